"""Down-sampling a regularly sampled series by a whole factor: keep one sample, or average.

At ``factor`` times fewer samples a series covers the same span of time in ``factor`` times
fewer steps. Keeping every ``factor``-th sample (``method="take"``) folds any oscillation
faster than half the new rate into a slow one that is not in the signal (*aliasing*);
averaging each block of ``factor`` samples first (``method="mean"``) is a crude low-pass
filter that removes most of it:

    x = np.sin(2 * np.pi * 23 * np.arange(400) / 100)   # 23 Hz, sampled at 100 Hz
    decimate(x, 4, method="take")   # (100,) at 25 Hz: a false 2 Hz wave of the same amplitude
    decimate(x, 4, method="mean")   # (100,): the same wave, about ten times smaller

Blocks are aligned to the *end* of the series: when ``T`` is not a multiple of ``factor``,
the first ``T % factor`` steps (the oldest) are dropped, so that the last block ends at the
last step and its value uses nothing later (what a forecast from the newest data needs).

NumPy only.
"""

from __future__ import annotations

import numpy as np

from companion._validate import as_array, check_positive_int, shape_error

__all__ = ["decimate", "METHODS"]

METHODS = ("take", "mean")


def decimate(x: np.ndarray, factor: int, *, method: str = "mean") -> np.ndarray:
    """``x`` at ``factor`` times fewer time steps: one value per block of ``factor`` steps.

    Args:
        x: ``(T,)`` one series, or ``(B, T, D)`` a batch of series, batch-first; integers or
            floats.
        factor: the number of consecutive steps that become one, ``1 <= factor <= T``.
        method: ``"take"``: the last value of each block (the value measured at the block's
            end, as if the series had been sampled ``factor`` times less often);
            ``"mean"``: the mean of each block (a low-pass filter, then the same sampling).

    Returns:
        ``(T // factor,)`` or ``(B, T // factor, D)`` float64. Block ``j`` holds steps
        ``r + j * factor`` to ``r + (j + 1) * factor - 1`` of ``x``, with ``r = T % factor``:
        the first ``r`` steps are dropped, so that the last block ends at the last step.

    Taught in the book's section 7.8, book/07-faq/08-sampling-rate.md.
    """
    array = as_array(x, "x")
    if array.ndim not in (1, 3) or 0 in array.shape:
        raise shape_error("x", "(T,) or (B, T, D), non-empty", array.shape)
    steps = array.shape[0] if array.ndim == 1 else array.shape[1]
    if check_positive_int(factor, "factor") > steps:
        raise ValueError(f"factor: expected an int in [1, T] = [1, {steps}], got {factor}")
    if method not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    series = array.astype(np.float64).reshape(1, steps, 1) if array.ndim == 1 else array
    blocks = series[:, steps % factor :].reshape(len(series), steps // factor, factor, -1)
    out = (blocks[:, :, -1] if method == "take" else blocks.mean(axis=2)).astype(np.float64)
    return out.reshape(-1) if array.ndim == 1 else out
