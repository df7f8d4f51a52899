"""An arithmetic coder driven by a model: bits per character turned into a file.

A model that gives the next symbol probability ``p`` lets an arithmetic coder spend about
``-log2 p`` bits on it (Witten, Neal & Cleary 1987): the coder narrows an interval of
integers to the symbol's share of it, one symbol at a time, and writes out the leading bits
once they are settled. The decoder follows the same narrowing, so it must see *exactly* the
same shares: the probabilities are quantised to integer frequencies (:func:`quantise`), and
encoder and decoder get them from the same object, by the same calls, in the same order:

    data = encode(symbols, make_model())            # bytes
    decode(data, len(symbols), make_model())        # == symbols

The model is anything with ``predict() -> (V,)`` probabilities of the next symbol and
``update(symbol)``, which reads the symbol (:class:`Predictor`): ``encode`` calls
``predict`` then ``update`` with the true symbol, ``decode`` calls ``predict``, finds the
symbol, then ``update``. So a causal model, given the same symbols, computes the same
floating-point numbers in both. :class:`Recorder` keeps every distribution, to check that.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from companion._validate import as_array, check_int, shape_error

CODE_BITS = 32
"""Width of the coder's interval ``[low, high]``."""
PRECISION = 24
"""Quantised frequencies sum to ``2 ** PRECISION`` (at most ``CODE_BITS - 2``)."""

_TOP = (1 << CODE_BITS) - 1
_HALF = 1 << (CODE_BITS - 1)
_QUARTER = 1 << (CODE_BITS - 2)


class Predictor(Protocol):
    """A causal model of a symbol stream, as the coder drives it."""

    def predict(self) -> np.ndarray:
        """``(V,)``: probabilities of the next symbol."""
        ...  # pragma: no cover

    def update(self, symbol: int) -> None:
        """Read the next symbol."""
        ...  # pragma: no cover


class Recorder:
    """Wraps a :class:`Predictor` and keeps a copy of every distribution it gives.

    Attributes:
        distributions: ``[(V,), ...]``, one per ``predict`` call, in order.
    """

    def __init__(self, model: Predictor) -> None:
        self.model = model
        self.distributions: list[np.ndarray] = []

    def predict(self) -> np.ndarray:
        """The wrapped model's prediction, recorded."""
        probs = self.model.predict()
        self.distributions.append(np.array(probs, copy=True))
        return probs

    def update(self, symbol: int) -> None:
        """Pass ``symbol`` on to the wrapped model."""
        self.model.update(symbol)


def quantise(probs: np.ndarray, precision: int = PRECISION) -> np.ndarray:
    """``(V + 1,)`` cumulative integer frequencies of ``(V,)`` probabilities ``probs``.

    Symbol ``s`` gets ``floor(p_s (2^precision - V)) + 1``, at least 1, so every symbol
    stays codable; what rounding leaves over goes to the most probable symbol, so that the
    frequencies sum to ``2^precision`` exactly. The result depends on ``probs`` alone, so
    equal probabilities give equal frequencies, bit for bit.
    """
    check_int(precision, "precision", minimum=1)
    if precision > CODE_BITS - 2:
        raise ValueError(f"precision: expected an int <= {CODE_BITS - 2}, got {precision}")
    p = np.asarray(probs, dtype=np.float64)
    total = 1 << precision
    if p.ndim != 1 or not 2 <= p.size < total:
        raise shape_error("probs", f"(V,) with 2 <= V < {total}", p.shape)
    if not np.isfinite(p).all() or (p < 0).any() or abs(p.sum() - 1) > 1e-6:
        raise ValueError("probs: expected finite, non-negative probabilities that sum to 1")
    freqs = np.floor(p * (total - p.size)).astype(np.int64) + 1
    freqs[np.argmax(p)] += total - freqs.sum()
    cumulative = np.zeros(p.size + 1, dtype=np.int64)
    np.cumsum(freqs, out=cumulative[1:])
    return cumulative


def _narrow(low: int, high: int, cumulative: np.ndarray, symbol: int) -> tuple[int, int]:
    """The part of ``[low, high]`` that ``symbol`` owns under ``cumulative`` frequencies."""
    span, total = high - low + 1, int(cumulative[-1])
    return (
        low + span * int(cumulative[symbol]) // total,
        low + span * int(cumulative[symbol + 1]) // total - 1,
    )


def _settled(low: int, high: int) -> int | None:
    """How far to shift ``[low, high]`` down before doubling it, or ``None`` if no bit is settled.

    ``0``: the interval lies in the lower half (the next bit is 0); ``_HALF``: in the upper
    half (1); ``_QUARTER``: in the middle half, the bit not yet known (it will be the
    opposite of the next settled one).
    """
    if high < _HALF:
        return 0
    if low >= _HALF:
        return _HALF
    if low >= _QUARTER and high < _HALF + _QUARTER:
        return _QUARTER
    return None


def encode(symbols: np.ndarray, model: Predictor) -> bytes:
    """Arithmetic-code ``(N,)`` ``symbols`` with the distributions ``model`` predicts.

    For each symbol: ``model.predict()``, quantise, narrow the interval, write the bits it
    settles, then ``model.update(symbol)``. The last two bits pick a point inside the final
    interval; the bits after it are zeros, which :func:`decode` assumes past the end.

    Returns:
        The code, ``ceil(bits / 8)`` bytes, about ``-sum log2 p(symbol)`` bits in all.
    """
    ids = as_array(symbols, "symbols")
    if ids.dtype.kind not in "iu":
        raise TypeError(f"symbols: expected integer ids, got dtype {ids.dtype}")
    if ids.ndim != 1:
        raise shape_error("symbols", "(N,)", ids.shape)
    bits: list[int] = []
    low, high, pending = 0, _TOP, 0

    def emit(bit: int) -> None:
        nonlocal pending
        bits.append(bit)
        bits.extend([1 - bit] * pending)
        pending = 0

    for symbol in ids.tolist():
        cumulative = quantise(model.predict())
        if not 0 <= symbol < len(cumulative) - 1:
            raise ValueError(
                f"symbols: expected ids in [0, {len(cumulative) - 1}) (the model's V), got {symbol}"
            )
        low, high = _narrow(low, high, cumulative, symbol)
        while (offset := _settled(low, high)) is not None:
            if offset == _QUARTER:
                pending += 1
            else:
                emit(int(offset == _HALF))
            low, high = 2 * (low - offset), 2 * (high - offset) + 1
        model.update(symbol)
    pending += 1
    emit(0 if low < _QUARTER else 1)
    return np.packbits(np.array(bits, dtype=np.uint8)).tobytes()


def decode(data: bytes, n: int, model: Predictor) -> np.ndarray:
    """The ``n`` symbols that :func:`encode` coded into ``data`` with an equal ``model``.

    ``model`` must start in the state the encoder's did; it is asked for each distribution
    after reading the symbols decoded so far, as in :func:`encode`.

    Returns:
        ``(n,)`` int64 symbols.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data: expected bytes, got {type(data).__name__}")
    n = check_int(n, "n", minimum=0)
    bits = np.unpackbits(np.frombuffer(bytes(data), dtype=np.uint8)).tolist()
    bits.extend([0] * (CODE_BITS - min(len(bits), CODE_BITS)))
    value = int("".join(map(str, bits[:CODE_BITS])), 2)
    position, low, high = CODE_BITS, 0, _TOP
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        cumulative = quantise(model.predict())
        # value stays inside [low, high], so target is a frequency in [0, total)
        target = ((value - low + 1) * int(cumulative[-1]) - 1) // (high - low + 1)
        symbol = int(np.searchsorted(cumulative, target, side="right")) - 1
        low, high = _narrow(low, high, cumulative, symbol)
        while (offset := _settled(low, high)) is not None:
            bit = bits[position] if position < len(bits) else 0  # zeros past the end
            low, high = 2 * (low - offset), 2 * (high - offset) + 1
            value, position = 2 * (value - offset) + bit, position + 1
        out[i] = symbol
        model.update(symbol)
    return out
