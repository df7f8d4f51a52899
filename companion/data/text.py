"""Text for character-level language models: a corpus that ships with Python, a split, a vocabulary.

The corpus is CPython's own documentation prose, ``pydoc_data.topics`` (what ``help()``
shows for keywords and topics). It is installed with every CPython, so it needs no
download; its size differs between Python versions (about 465k characters on 3.11), so
nothing here assumes a size. NumPy and the standard library only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np

from companion._validate import check_fraction

# The few non-ASCII characters of pydoc_data.topics, mapped to their ASCII spelling.
ASCII_REPLACEMENTS = {
    "\u201c": '"',
    "\u201d": '"',  # curly double quotes
    "\u2018": "'",
    "\u2019": "'",  # curly single quotes
    "\u2013": "-",
    "\u2014": "--",  # en dash, em dash
    "\u2026": "...",  # ellipsis
    "\u00b0": "deg",  # degree sign ("max-temp °F")
    "\u00df": "ss",  # German sharp s
}


def to_ascii(text: str) -> str:
    """``text`` in plain ASCII, deterministically.

    First :data:`ASCII_REPLACEMENTS`; then accents are dropped (``"é"`` becomes ``"e"``,
    by Unicode NFKD decomposition); any character still outside ASCII becomes ``"?"``.
    """
    table: dict[int, str] = str.maketrans(ASCII_REPLACEMENTS)
    text = text.translate(table)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    kept = (ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch if ch.isascii() else "?" for ch in kept)


def load_pydoc_corpus(ascii_only: bool = True) -> str:
    """The text of every topic in ``pydoc_data.topics``, one after another.

    Topics are joined in sorted order of their keys, separated by a blank line, so the
    result is the same on every run of the same Python version.

    Args:
        ascii_only: map the few non-ASCII characters (curly quotes, dashes, ...) to ASCII
            with :func:`to_ascii`, which shrinks the vocabulary by about ten characters
            that occur too rarely to learn. ``False`` keeps the text as it is.
    """
    try:
        from pydoc_data.topics import topics
    except ImportError as err:  # some Linux distributions ship the stdlib in pieces
        raise RuntimeError(
            "pydoc_data.topics is missing from this Python installation; install the full "
            "standard library (e.g. the distribution's python3 'stdlib' package)"
        ) from err
    text = "\n".join(topics[key] for key in sorted(topics))
    return to_ascii(text) if ascii_only else text


def train_val_split(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """Hold out the *last* ``val_fraction`` of ``text`` (no shuffling: it is one stream).

    Also works on any sequence that can be sliced, e.g. an array of ids.

    Returns:
        ``(train, val)``, with ``train + val == text``.
    """
    check_fraction(val_fraction, "val_fraction")
    cut = int(len(text) * (1.0 - val_fraction))
    if cut == 0 or cut == len(text):
        raise ValueError(
            f"text: too short ({len(text)} items) to hold out a fraction {val_fraction} "
            "with both parts non-empty"
        )
    return text[:cut], text[cut:]


def id_list(ids: np.ndarray | Sequence[int], size: int) -> list[int]:
    """The ids of a 1-D sequence as a list of ints, each checked to lie in ``[0, size)``."""
    array = np.asarray(ids)
    if array.size == 0:
        return []
    if array.ndim != 1:
        raise ValueError(f"ids: expected shape (N,), got {array.shape}")
    if array.dtype.kind not in "iu":
        raise TypeError(f"ids: expected integers, got dtype {array.dtype}")
    if array.min() < 0 or array.max() >= size:
        raise ValueError(
            f"ids: expected ids in [0, {size}), got values from {array.min()} to {array.max()}"
        )
    return array.tolist()


class CharVocab:
    """The characters of a text, numbered in sorted order.

    Args:
        text: every character that occurs in it gets an id, ``0 .. size - 1``.
        unk: ``None`` (the default): encoding a character that is not in the vocabulary
            raises a ``ValueError`` that lists the unknown characters. A single character
            (e.g. ``"?"``): it is added to the vocabulary and stands for every unknown
            character when encoding.
    """

    def __init__(self, text: str, *, unk: str | None = None) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text: expected a str, got {type(text).__name__}")
        if unk is not None and (not isinstance(unk, str) or len(unk) != 1):
            raise ValueError(f"unk: expected None or a single character, got {unk!r}")
        chars = set(text) | ({unk} if unk is not None else set())
        if not chars:
            raise ValueError("text: expected at least one character, got ''")
        self.chars: tuple[str, ...] = tuple(sorted(chars))
        self.unk = unk
        self._ids = {ch: i for i, ch in enumerate(self.chars)}
        # A lookup table from Unicode code point to id (-1: not in the vocabulary).
        self._table = np.full(max(map(ord, self.chars)) + 1, -1, dtype=np.int64)
        self._table[[ord(ch) for ch in self.chars]] = np.arange(len(self.chars))

    @property
    def size(self) -> int:
        """Number of distinct characters, ``V``."""
        return len(self.chars)

    def __len__(self) -> int:
        return self.size

    def __contains__(self, ch: object) -> bool:
        return ch in self._ids

    def __repr__(self) -> str:
        return f"CharVocab(size={self.size}, unk={self.unk!r})"

    def encode(self, text: str) -> np.ndarray:
        """``(N,)`` int64 ids of the ``N`` characters of ``text``."""
        if not isinstance(text, str):
            raise TypeError(f"text: expected a str, got {type(text).__name__}")
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        known = codes < len(self._table)
        ids = np.full(len(codes), -1, dtype=np.int64)
        ids[known] = self._table[codes[known]]
        unknown = ids < 0
        if unknown.any():
            if self.unk is None:
                missing = sorted({chr(c) for c in codes[unknown]})
                shown = "".join(missing[:20]) + (" ..." if len(missing) > 20 else "")
                raise ValueError(
                    f"text: {len(missing)} character(s) not in the vocabulary: {shown!r}; "
                    "build the vocabulary from text that has them, or use CharVocab(..., unk='?')"
                )
            ids[unknown] = self._ids[self.unk]
        return ids

    def decode(self, ids: np.ndarray | list[int]) -> str:
        """The text of a 1-D sequence of ids in ``[0, size)``."""
        return "".join([self.chars[i] for i in id_list(ids, self.size)])
