"""Missing values and irregular time steps: the inputs a recurrent network needs to see them.

A missing value is stored as NaN in a float array of shape ``(B, T, D)``. A recurrent
network cannot read NaN (one NaN spoils every later state, the loss and every gradient),
so the gaps must be filled, and the network must be *told* which values were filled:
a filled value looks like any measured one. The inputs built here are those of
Lipton et al. (2016) and Che et al. (2018, GRU-D):

    x = drop_at_random(values, rate=0.5, seed=0)      # (B, T, D) with NaN where missing
    observed = observed_mask(x)                       # (B, T, D) True where measured
    inputs = missing_value_features(x, fill="zero", indicator=True, time_since=True)
    # (B, T, 3D): the filled values, the missing-value indicator m_t (1 measured,
    # 0 missing), the time since the last measurement

The indicator is an input feature, not a mask: in this book *masking* means keeping padded
steps out of a recurrent network's state updates and loss (the papers call ``m_t`` a
"masking vector").

Irregular sampling: :func:`time_gaps` turns the time stamps ``s_t`` of each step into the
gaps ``s_t - s_{t-1}``, a feature the network can read (its step counter is not a clock).

NumPy only; a page turns the arrays into tensors.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from companion._validate import check_positive_number, check_probability

__all__ = [
    "observed_mask",
    "drop_at_random",
    "fill_missing",
    "time_gaps",
    "time_since_observed",
    "missing_value_features",
]

FILLS = ("zero", "forward", "mean")


def _as_sequences(x: object, name: str = "x") -> np.ndarray:
    """``x`` as a float64 array of shape (B, T, D), NaN allowed, inf not."""
    array = np.asarray(x)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{name}: expected a numeric array (B, T, D), got dtype {array.dtype}")
    array = array.astype(np.float64)
    if array.ndim != 3 or 0 in array.shape:
        raise ValueError(
            f"{name}: expected a non-empty array of shape (B, T, D), got {array.shape}"
        )
    if np.isinf(array).any():
        raise ValueError(f"{name}: expected finite values or NaN (missing), got inf")
    return array


def _as_time(time: ArrayLike, batch: int, steps: int) -> np.ndarray:
    """Time stamps as a (B, T) float64 array: ``time`` is (T,) or (B, T), non-decreasing."""
    array = np.asarray(time, dtype=np.float64)
    if array.ndim == 1:
        array = np.broadcast_to(array, (batch, len(array)))
    if array.shape != (batch, steps):
        raise ValueError(
            f"time: expected shape (T,) = ({steps},) or (B, T) = ({batch}, {steps}), "
            f"got {np.shape(time)}"
        )
    if not np.isfinite(array).all():
        raise ValueError("time: expected finite time stamps, got NaN or inf")
    if (np.diff(array, axis=1) < 0).any():
        raise ValueError("time: expected non-decreasing time stamps along each sequence")
    return array


def observed_mask(x: np.ndarray) -> np.ndarray:
    """``(B, T, D)`` bool: True where ``x`` holds a measured value, False where it is NaN."""
    return ~np.isnan(_as_sequences(x))


def drop_at_random(x: np.ndarray, rate: float, seed: int | np.random.Generator = 0) -> np.ndarray:
    """A copy of ``x`` (B, T, D) with each value replaced by NaN with probability ``rate``.

    Values are dropped independently of each other and of their size (*missing completely
    at random*). Values already missing stay missing.
    """
    array = _as_sequences(x)
    check_probability(rate, "rate")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = array.copy()
    out[rng.random(array.shape) < rate] = np.nan
    return out


def fill_missing(x: np.ndarray, method: str = "zero", *, value: float = 0.0) -> np.ndarray:
    """``x`` (B, T, D) with every NaN replaced; measured values are unchanged.

    Args:
        x: values with NaN where missing.
        method: ``"zero"``: write ``value`` (0 by default; after standardisation, 0 is
            the mean); ``"forward"``: carry the last measured value of the same feature
            forward (``value`` before the first measurement); ``"mean"``: the mean of the
            measured values of that feature over the whole array (``value`` for a feature
            never measured).
        value: the constant of ``"zero"``, and the fallback of the other two.

    Returns:
        ``(B, T, D)`` float64 without NaN.
    """
    array = _as_sequences(x)
    if method not in FILLS:
        raise ValueError(f"method: expected one of {', '.join(FILLS)}, got {method!r}")
    observed = ~np.isnan(array)
    if method == "zero":
        return np.where(observed, array, float(value))
    if method == "mean":
        counts = observed.sum(axis=(0, 1))
        sums = np.where(observed, array, 0.0).sum(axis=(0, 1))
        means = np.where(counts > 0, sums / np.maximum(counts, 1), float(value))
        return np.where(observed, array, means)
    # forward: the index of the last measurement at or before each step (-1: none yet)
    steps = np.arange(array.shape[1])[None, :, None]
    last = np.maximum.accumulate(np.where(observed, steps, -1), axis=1)
    carried = np.take_along_axis(np.where(observed, array, 0.0), np.maximum(last, 0), axis=1)
    return np.where(last >= 0, carried, float(value))


def time_gaps(time: np.ndarray) -> np.ndarray:
    """The gaps ``s_t - s_{t-1}`` between consecutive time stamps; 0 at the first step.

    Args:
        time: ``(T,)`` or ``(B, T)`` non-decreasing time stamps ``s_t``.

    Returns:
        Gaps of the same shape as ``time``, float64.
    """
    array = np.asarray(time, dtype=np.float64)
    if array.ndim == 1:
        return time_gaps(array[None])[0]
    if array.ndim != 2 or array.shape[-1] == 0:
        raise ValueError(
            f"time: expected a non-empty array of shape (T,) or (B, T), got {array.shape}"
        )
    array = _as_time(array, *array.shape)
    return np.diff(array, axis=1, prepend=array[:, :1])


def time_since_observed(mask: np.ndarray, time: np.ndarray | None = None) -> np.ndarray:
    """For each value, the time since its feature was last measured *before* this step.

    The recursion of Che et al. (2018): ``delta_1 = 0`` and, for ``t > 1``,
    ``delta_t = s_t - s_{t-1}`` if the feature was measured at ``t - 1``, else
    ``s_t - s_{t-1} + delta_{t-1}``. Equivalently ``delta_t = s_t - s_j``, with ``j`` the
    last step before ``t`` where the feature was measured (the first step if none was).

    Args:
        mask: ``(B, T, D)`` bool, the missing-value indicator ``m_t``: True where measured
            (:func:`observed_mask`).
        time: ``(T,)`` or ``(B, T)`` time stamps ``s_t``; ``None``: ``s_t = t`` (regular
            steps, so ``delta`` counts steps).

    Returns:
        ``(B, T, D)`` float64, non-negative.
    """
    array = np.asarray(mask)
    if array.dtype != bool:
        raise TypeError(f"mask: expected a bool array (B, T, D), got dtype {array.dtype}")
    if array.ndim != 3 or 0 in array.shape:
        raise ValueError(f"mask: expected a non-empty array of shape (B, T, D), got {array.shape}")
    batch, steps, _ = array.shape
    stamps = _as_time(np.arange(steps) if time is None else time, batch, steps)[..., None]
    index = np.arange(steps)[None, :, None]
    last = np.maximum.accumulate(np.where(array, index, 0), axis=1)  # last measured at or before t
    before = np.concatenate([np.zeros_like(last[:, :1]), last[:, :-1]], axis=1)  # ... before t
    return stamps - np.take_along_axis(np.broadcast_to(stamps, array.shape), before, axis=1)


def missing_value_features(
    x: np.ndarray,
    *,
    fill: str = "zero",
    indicator: bool = True,
    time_since: bool = False,
    time: np.ndarray | None = None,
    time_scale: float = 1.0,
) -> np.ndarray:
    """The inputs of a recurrent network for values with gaps, concatenated feature-wise.

    Args:
        x: ``(B, T, D)`` values with NaN where missing.
        fill: how the gaps are filled (:func:`fill_missing`).
        indicator: append the missing-value indicator ``m_t`` (1.0 measured, 0.0 missing),
            ``D`` more features.
        time_since: append :func:`time_since_observed` divided by ``time_scale``, ``D`` more.
        time: time stamps for ``time_since`` (``None``: one unit per step).
        time_scale: divides the times since the last measurement, to keep them near 1.

    Returns:
        ``(B, T, D * k)`` float64 with ``k = 1 + indicator + time_since``: the filled values,
        then the indicator, then the times since the last measurement.

    Taught in the book's section 7.4, book/07-faq/04-missing-irregular.md.
    """
    array = _as_sequences(x)
    check_positive_number(time_scale, "time_scale")
    observed = ~np.isnan(array)
    parts = [fill_missing(array, fill)]
    if indicator:
        parts.append(observed.astype(np.float64))
    if time_since:
        parts.append(time_since_observed(observed, time) / time_scale)
    return np.concatenate(parts, axis=-1)
