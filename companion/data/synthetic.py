"""Synthetic long-memory tasks: the adding problem and the copy task (NumPy only).

Both tasks put the information a model needs at the start of a long sequence and ask for
it at the end, so a model can only do better than a fixed guess by carrying that
information across the sequence.

* :func:`adding_problem`: two input channels, random values and two markers; the target
  is the sum of the two marked values. Predicting the mean, 1, whatever the input, gives
  a mean squared error of 1/6 (:data:`ADDING_BASELINE_MSE`).
* :func:`copy_task`: ``copy_length`` random symbols, a delay, a delimiter; the target is
  blank until the delimiter and then the same symbols in the same order. A model without
  memory can only guess them: :func:`copy_baseline_cross_entropy`.

The setups are those of Arjovsky, Shah and Bengio (2016), *Unitary evolution recurrent
neural networks*; the adding problem goes back to Hochreiter and Schmidhuber (1997), whose
variant differs (values in [-1, 1], a target rescaled into [0, 1]). Every function takes
``seed``: an int, a ``numpy.random.Generator`` (drawn from and advanced) or ``None``
(fresh entropy). Arrays are batch-first.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import DTypeLike

from companion._validate import check_int

ADDING_BASELINE_MSE = 1.0 / 6.0
"""Mean squared error of predicting 1 on the adding problem: the variance of the sum of
two independent uniform numbers in [0, 1), 2 / 12."""

Seed = int | np.random.Generator | None


def _generator(seed: Seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"seed: expected an int, a numpy.random.Generator or None, got {type(seed).__name__}"
        )
    if seed < 0:
        raise ValueError(f"seed: expected a non-negative int, got {seed}")
    return np.random.default_rng(int(seed))


def _float_dtype(dtype: DTypeLike) -> np.dtype:
    try:
        result = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype: expected a NumPy float dtype, got {dtype!r}") from err
    if result.kind != "f":
        raise ValueError(f"dtype: expected a float dtype (float32, float64), got {result}")
    return result


def adding_problem(
    batch_size: int, seq_len: int, *, seed: Seed = None, dtype: DTypeLike = np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """A minibatch of the adding problem.

    Each sequence has two input features per time step: a value drawn uniformly from
    [0, 1), and a marker that is 1 at exactly two time steps and 0 elsewhere. The first
    marked step is drawn uniformly from the first half, ``[0, seq_len // 2)``, the second
    from the second half, ``[seq_len // 2, seq_len)``. The target is the sum of the two
    marked values, in [0, 2).

    Args:
        batch_size: ``B``, the number of sequences (>= 1).
        seq_len: ``T``, the number of time steps (>= 2).
        seed: an int, a ``numpy.random.Generator`` or ``None``.
        dtype: float dtype of both arrays.

    Returns:
        ``(x, y)``: ``x`` of shape ``(B, T, 2)`` (``x[..., 0]`` the values, ``x[..., 1]`` the
        markers) and ``y`` of shape ``(B,)``.

    Taught in the book's section 6.2, book/06-future/02-long-memory.md.
    """
    B = check_int(batch_size, "batch_size", minimum=1)
    T = check_int(seq_len, "seq_len", minimum=2)
    dtype = _float_dtype(dtype)
    rng = _generator(seed)
    values = rng.random((B, T))
    half = T // 2
    first = rng.integers(0, half, size=B)
    second = rng.integers(half, T, size=B)
    rows = np.arange(B)
    markers = np.zeros((B, T))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype(dtype)
    # the target from the stored values, so that it is exact in the returned dtype's inputs
    y = x[rows, first, 0].astype(np.float64) + x[rows, second, 0]
    return x, y.astype(dtype)


def copy_vocab_size(n_symbols: int = 8) -> int:
    """Number of token ids of :func:`copy_task`: the symbols, the blank and the delimiter."""
    return check_int(n_symbols, "n_symbols", minimum=1) + 2


def copy_task(
    batch_size: int, delay: int, *, n_symbols: int = 8, copy_length: int = 10, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """A minibatch of the copy task, as token ids.

    Ids ``0 .. n_symbols - 1`` are the symbols to copy, ``n_symbols`` is the blank and
    ``n_symbols + 1`` the delimiter (:func:`copy_vocab_size` ids in all). A sequence has
    ``L = delay + 2 * copy_length`` time steps:

    * input: ``copy_length`` symbols drawn uniformly, ``delay - 1`` blanks, the delimiter,
      then ``copy_length`` blanks;
    * target: ``delay + copy_length`` blanks, then the ``copy_length`` symbols of the input
      in the same order, so that each symbol is asked for ``delay + copy_length`` steps
      after it was shown.

    Args:
        batch_size: ``B``, the number of sequences (>= 1).
        delay: ``T`` of the papers, the number of steps from the last symbol shown to the
            delimiter (>= 1).
        n_symbols: the number of distinct symbols to copy (>= 1; 8 in the papers).
        copy_length: ``K``, the number of symbols to copy (>= 1; 10 in the papers).
        seed: an int, a ``numpy.random.Generator`` or ``None``.

    Returns:
        ``(x, y)``, two int64 arrays of shape ``(B, L)``. The recalled part is
        ``y[:, -copy_length:]``, equal to ``x[:, :copy_length]``.
    """
    B = check_int(batch_size, "batch_size", minimum=1)
    T = check_int(delay, "delay", minimum=1)
    n = check_int(n_symbols, "n_symbols", minimum=1)
    K = check_int(copy_length, "copy_length", minimum=1)
    rng = _generator(seed)
    blank, delimiter = n, n + 1
    symbols = rng.integers(0, n, size=(B, K))
    L = T + 2 * K
    x = np.full((B, L), blank, dtype=np.int64)
    x[:, :K] = symbols
    x[:, K + T - 1] = delimiter
    y = np.full((B, L), blank, dtype=np.int64)
    y[:, -K:] = symbols
    return x, y


def copy_baseline_cross_entropy(
    delay: int, *, n_symbols: int = 8, copy_length: int = 10, recalled_only: bool = False
) -> float:
    """Cross-entropy (nats per step) of the best model of the copy task without memory.

    Such a model outputs the blank with certainty until the delimiter has been read and
    then a uniform guess over the ``n_symbols`` symbols. Its cross-entropy is
    ``log(n_symbols)`` on each recalled step and 0 elsewhere: averaged over the
    ``delay + 2 * copy_length`` steps, ``copy_length * log(n_symbols) / (delay + 2 *
    copy_length)`` (``recalled_only=False``, as Arjovsky et al. report it), or
    ``log(n_symbols)`` over the recalled steps only. Its accuracy on the recalled steps is
    ``1 / n_symbols``.
    """
    T = check_int(delay, "delay", minimum=1)
    n = check_int(n_symbols, "n_symbols", minimum=1)
    K = check_int(copy_length, "copy_length", minimum=1)
    if recalled_only:
        return math.log(n)
    return K * math.log(n) / (T + 2 * K)
