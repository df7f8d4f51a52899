"""Many related time series at once (a *panel*): a generator, per-series scaling, windows.

:func:`related_series` draws a family of series with a stated generating process: ``G``
independent *drivers*, each an autoregressive process AR(p),

    z_t = phi_1 z_{t-1} + ... + phi_p z_{t-p} + e_t,   e_t ~ N(0, 1),

and ``N = G * K`` series, ``K`` to a driver, each a delayed, noisy, shifted and scaled copy
of its driver,

    x_t = level + scale * (z_{t - lag} + noise * u_t),   u_t ~ N(0, 1).

With ``lags=(0,)`` (the default) every series has a driver of its own: the series share
their dynamics and nothing else. With ``lags=(0, 1)`` the series come in pairs whose second
series repeats the first one step later: the first *leads*, the second *lags*.

A network reads such a family in one of three ways: one model per series (*local*), one
model trained on the windows of every series pooled (*global*, :func:`pooled_windows`), or
one model whose input at each time step is every series (*multivariate*,
:func:`stacked_windows`). Series of different levels and scales are first brought to one
scale, each by the statistics of its own training part (:func:`standardise_per_series`).

    panel = related_series(20, 160, lags=(0, 1), seed=0)
    scaled, mean, std = standardise_per_series(panel.values, train_length=60)
    X, Y, ids, index = pooled_windows(scaled, slice(0, 60), input_length=10)

NumPy only; the windows are those of :func:`companion.data.timeseries.split_windows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from companion._validate import as_generator, check_int, check_number, check_positive_int
from companion.data.timeseries import split_windows

__all__ = [
    "Panel",
    "related_series",
    "standardise_per_series",
    "pooled_windows",
    "stacked_windows",
]

BURN_IN = 200  # steps drawn and dropped so that each driver starts in its stationary regime


class Panel(NamedTuple):
    """A family of series and how it was drawn (all arrays have one row per series).

    ``values`` (N, L) float64; ``driver`` (N,) int, the driver each series copies; ``lags``
    (N,) int, by how many steps it follows its driver; ``levels`` (N,) and ``scales`` (N,)
    float64, its shift and scale.
    """

    values: np.ndarray
    driver: np.ndarray
    lags: np.ndarray
    levels: np.ndarray
    scales: np.ndarray


def _check_stationary(coefficients: Sequence[float]) -> np.ndarray:
    phi = np.asarray(coefficients, dtype=np.float64)
    if phi.ndim != 1 or len(phi) == 0 or not np.isfinite(phi).all():
        raise ValueError(
            f"coefficients: expected a non-empty sequence of finite numbers, got {coefficients!r}"
        )
    companion_matrix = np.eye(len(phi), k=-1)
    companion_matrix[0] = phi
    radius = np.abs(np.linalg.eigvals(companion_matrix)).max()
    if radius >= 1.0:
        raise ValueError(
            f"coefficients: expected a stationary AR process (every root of "
            f"1 - phi_1 B - ... - phi_p B^p outside the unit circle), got {tuple(phi)} whose "
            f"companion matrix has spectral radius {radius:.3f}"
        )
    return phi


def related_series(
    n_series: int,
    length: int,
    *,
    coefficients: Sequence[float] = (1.5, -0.8),
    lags: Sequence[int] = (0,),
    noise: float = 0.0,
    seed: int | np.random.Generator = 0,
) -> Panel:
    """Draw ``n_series`` related series of ``length`` steps (the process in the module's doc).

    Args:
        n_series: ``N``, a multiple of ``len(lags)``.
        length: ``L``, the steps of every series.
        coefficients: ``(phi_1, ..., phi_p)`` of the drivers' AR(p) process, stationary.
            The default, ``(1.5, -0.8)``, gives cycles of about 11 steps that die out
            slowly.
        lags: ``K`` non-negative delays, one for each series of a group that shares a
            driver: series ``g * K + k`` is driver ``g`` delayed by ``lags[k]`` steps.
        noise: standard deviation of the observation noise ``u_t``, in the units of the
            innovations ``e_t``.
        seed: an int or a ``numpy.random.Generator`` (drawn from and advanced).

    Returns:
        :class:`Panel`; the levels are drawn uniformly from [-100, 100] and the scales
        log-uniformly from [0.1, 10], one of each per series.
    """
    n_series, length = (
        check_positive_int(n_series, "n_series"),
        check_positive_int(length, "length"),
    )
    phi = _check_stationary(coefficients)
    delays = np.asarray(lags)
    if delays.ndim != 1 or len(delays) == 0 or delays.dtype.kind not in "iu":
        raise TypeError(f"lags: expected a non-empty sequence of ints, got {lags!r}")
    if delays.min() < 0:
        raise ValueError(f"lags: expected delays >= 0, got {delays.tolist()}")
    if n_series % len(delays):
        raise ValueError(
            f"n_series: expected a multiple of len(lags) = {len(delays)} (one driver for "
            f"every group of {len(delays)} series), got {n_series}"
        )
    if not check_number(noise, "noise") >= 0:
        raise ValueError(f"noise: expected a number >= 0, got {noise!r}")
    rng = as_generator(seed)
    n_drivers, p, back = n_series // len(delays), len(phi), int(delays.max())
    steps = BURN_IN + back + length
    z, e = np.zeros((n_drivers, steps)), rng.normal(size=(n_drivers, steps))
    for t in range(p, steps):
        z[:, t] = z[:, t - p : t][:, ::-1] @ phi + e[:, t]
    driver = np.repeat(np.arange(n_drivers), len(delays))
    lag = np.tile(delays, n_drivers).astype(np.int64)
    start = BURN_IN + back - lag  # series i at step t is z[driver, start + t] = z_{t - lag}
    copies = z[driver[:, None], start[:, None] + np.arange(length)]
    levels = rng.uniform(-100.0, 100.0, n_series)
    scales = np.exp(rng.uniform(np.log(0.1), np.log(10.0), n_series))
    observed = copies + noise * rng.normal(size=copies.shape)
    return Panel(levels[:, None] + scales[:, None] * observed, driver, lag, levels, scales)


def _as_panel(series: object) -> np.ndarray:
    array = np.asarray(series)
    if array.dtype.kind not in "fiu":
        raise TypeError(f"series: expected a numeric array (N, L), got dtype {array.dtype}")
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(f"series: expected a non-empty array of shape (N, L), got {array.shape}")
    return array.astype(np.float64)


def standardise_per_series(
    series: np.ndarray, train_length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scale every series by the mean and standard deviation of its own first values.

    Args:
        series: (N, L) values, one series a row.
        train_length: how many values at the start of each series are training data; only
            they set the statistics (2 to L).

    Returns:
        ``(scaled, mean, std)``: ``scaled`` (N, L) ``= (series - mean[:, None]) /
        std[:, None]``, and ``mean``, ``std`` (N,), with which ``scaled * std[:, None] +
        mean[:, None]`` gives the series back.
    """
    array = _as_panel(series)
    if not 2 <= check_int(train_length, "train_length") <= array.shape[1]:
        raise ValueError(
            f"train_length: expected an int from 2 to L = {array.shape[1]}, got {train_length}"
        )
    train = array[:, :train_length]
    if not np.isfinite(train).all():
        raise ValueError("series: expected finite training values, got NaN or inf")
    mean, std = train.mean(axis=1), train.std(axis=1)
    if (std == 0).any():
        raise ValueError(
            f"series: row {int(np.argmax(std == 0))} is constant over its first "
            f"{train_length} values; its standard deviation is 0"
        )
    return (array - mean[:, None]) / std[:, None], mean, std


def pooled_windows(
    series: np.ndarray, part: slice, input_length: int, horizon: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The windows of every series whose targets lie in ``part``, pooled, with series ids.

    Series 0's windows come first, then series 1's, and so on, each in time order, as
    :func:`companion.data.timeseries.split_windows` cuts them.

    Args:
        series: (N, L) values, one series a row (scaled, for a global model).
        part: the steps the targets must lie in, e.g. ``slice(0, train_length)``.
        input_length: ``T``, the steps each window reads.
        horizon: ``h``, the values after each window it predicts.

    Returns:
        ``(X, Y, ids, index)``: ``X`` (N * M, T, 1), ``Y`` (N * M, h), ``ids`` (N * M,) the
        row of the series each window comes from, ``index`` (N * M,) the position of its first
        target in that row.
    """
    array = _as_panel(series)
    cut = [split_windows(row, part, input_length, horizon) for row in array]
    X, Y, index = (np.concatenate(arrays) for arrays in zip(*cut, strict=True))
    ids = np.repeat(np.arange(len(array)), len(cut[0][0]))
    return X, Y, ids, index


def stacked_windows(
    series: np.ndarray, part: slice, input_length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows whose input at each step is every series, for one step ahead of all of them.

    Args:
        series: (N, L) values, one series a row.
        part: the steps the targets must lie in.
        input_length: ``T``, the steps each window reads.

    Returns:
        ``(X, Y, index)``: ``X`` (M, T, N), window ``m`` holding every series at the same
        ``T`` steps; ``Y`` (M, N) the next value of each; ``index`` (M,) the position of
        the targets.
    """
    X, Y, _, index = pooled_windows(series, part, input_length)
    n = len(np.asarray(series))
    M = len(X) // n
    return X[..., 0].reshape(n, M, input_length).transpose(1, 2, 0), Y.reshape(n, M).T, index[:M]
