"""Weight initialisers, each seeded.

Every function takes ``seed``: an int (a fresh generator seeded with it, so the same call
gives the same array) or a ``numpy.random.Generator`` (drawn from, so successive calls
differ). Weight matrices follow the row-vector convention, shape ``(fan_in, fan_out)``:
``W_xh`` is ``(D, H)``, ``W_hh`` is ``(H, H)``, ``W_hy`` is ``(H, V)``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import DTypeLike

from companion._validate import Seed, as_generator

__all__ = ["Seed", "as_generator", "orthogonal", "uniform", "normal", "xavier_uniform"]


def _shape(shape: int | tuple[int, ...]) -> tuple[int, ...]:
    return (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)


def _fans(shape: int | tuple[int, ...]) -> tuple[int, int]:
    shape = _shape(shape)
    if len(shape) != 2:
        raise ValueError(f"shape: expected a 2-D shape (fan_in, fan_out), got {shape}")
    return shape[0], shape[1]


def uniform(
    shape: int | tuple[int, ...],
    low: float = 0.0,
    high: float = 1.0,
    *,
    seed: Seed = 0,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Entries drawn uniformly from ``[low, high)``."""
    return as_generator(seed).uniform(low, high, _shape(shape)).astype(dtype)


def normal(
    shape: int | tuple[int, ...],
    mean: float = 0.0,
    std: float = 1.0,
    *,
    seed: Seed = 0,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Entries drawn from a normal distribution ``N(mean, std**2)``."""
    return as_generator(seed).normal(mean, std, _shape(shape)).astype(dtype)


def xavier_std(shape: tuple[int, int], gain: float = 1.0) -> float:
    """Glorot and Bengio's standard deviation ``gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(shape)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def xavier_uniform(
    shape: tuple[int, int],
    gain: float = 1.0,
    *,
    seed: Seed = 0,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Xavier/Glorot uniform: ``U(-a, a)`` with ``a = sqrt(3) * xavier_std``, as torch."""
    bound = math.sqrt(3.0) * xavier_std(shape, gain)
    return uniform(shape, -bound, bound, seed=seed, dtype=dtype)


def xavier_normal(
    shape: tuple[int, int],
    gain: float = 1.0,
    *,
    seed: Seed = 0,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Xavier/Glorot normal: ``N(0, xavier_std**2)``."""
    return normal(shape, 0.0, xavier_std(shape, gain), seed=seed, dtype=dtype)


def orthogonal(
    shape: tuple[int, int],
    gain: float = 1.0,
    *,
    seed: Seed = 0,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2014), as torch does it.

    The QR decomposition of a Gaussian matrix, with the signs of ``R``'s diagonal moved
    into ``Q`` so the result is uniformly distributed. For ``rows >= cols`` the columns
    are orthonormal (``W.T @ W = gain**2 * I``), otherwise the rows are.
    """
    rows, cols = _fans(shape)
    gaussian = as_generator(seed).normal(0.0, 1.0, (max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(gaussian)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return (gain * q).astype(dtype)
