"""What general-purpose compressors pay per character: baselines for character language models.

A compressor is a predictive model too: the length of its output in bits is the cost of
encoding the text. Two ways to measure it on held-out text:

* *unconditionally*: compress the held-out text alone;
* *conditionally*: compress the training text followed by the held-out text, and count only
  the extra bits, ``len(compress(train + test)) - len(compress(train))``: the compressor has
  read the training text first, exactly like a model trained on it. This is the fair
  comparison for a model's held-out loss.

Both are given in bits per *character* of the held-out text (its UTF-8 bytes are
compressed; for ASCII text a byte is a character). Standard library only.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from collections.abc import Callable

Compressor = Callable[[bytes], bytes]

COMPRESSORS: dict[str, Compressor] = {
    "gzip -9": lambda data: gzip.compress(data, compresslevel=9, mtime=0),
    "bz2 -9": lambda data: bz2.compress(data, compresslevel=9),
    "xz -9e": lambda data: lzma.compress(data, preset=9 | lzma.PRESET_EXTREME),
}
"""gzip at level 9, bz2 at level 9, xz (LZMA) at preset 9 with the *extreme* flag."""


def compression_bpc(
    train_text: str, test_text: str, compressors: dict[str, Compressor] | None = None
) -> dict[str, dict[str, float]]:
    """Bits per character of ``test_text`` under each compressor, with and without ``train_text``.

    Args:
        train_text: what the compressor reads first in the conditional measurement.
        test_text: the held-out text (non-empty).
        compressors: ``{name: function(bytes) -> bytes}``; default :data:`COMPRESSORS`.

    Returns:
        ``{name: {"conditional": bpc, "unconditional": bpc}}``.
    """
    for name, text in (("train_text", train_text), ("test_text", test_text)):
        if not isinstance(text, str):
            raise TypeError(f"{name}: expected a str, got {type(text).__name__}")
    if not test_text:
        raise ValueError("test_text: expected at least one character, got ''")
    compressors = COMPRESSORS if compressors is None else compressors
    train, test = train_text.encode(), test_text.encode()
    results = {}
    for name, compress in compressors.items():
        extra = len(compress(train + test)) - len(compress(train))
        results[name] = {
            "conditional": 8 * extra / len(test_text),
            "unconditional": 8 * len(compress(test)) / len(test_text),
        }
    return results
