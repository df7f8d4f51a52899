"""Time series for forecasting: two real series from statsmodels, a split, windows, scaling.

The series ship inside ``statsmodels.datasets`` (no download):

- :func:`load_sunspots`: the yearly mean sunspot number, 1700 to 2008 (309 points);
- :func:`load_co2`: atmospheric CO2 at Mauna Loa, weekly from March 1958 to December 2001
  with gaps, turned into a monthly series here (see its docstring).

Both return a :class:`TimeSeries`, a plain ``(time, values)`` pair of NumPy arrays with the
time in float years. Everything after loading is NumPy only: :func:`chronological_split`
cuts a series into train, validation and test parts in time order, :func:`make_windows`
and :func:`split_windows` cut it into ``(input window, next values)`` examples, and
:class:`Standardiser` scales it with statistics of the training part only.

A model is judged against forecasts made from the same information at the same *origins*
(``index``, the position of each forecast's first target, as :func:`split_windows`
returns it): :func:`persistence` and :func:`seasonal_naive` (with or without drift), a
fitted ``statsmodels`` model run by :func:`statsmodels_forecasts`, and the errors at
each lead time, :func:`forecast_errors`.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from companion._validate import check_bool, check_fraction, check_int, check_positive_int


class TimeSeries(NamedTuple):
    """A univariate series: ``time`` (N,) float years and ``values`` (N,) float64."""

    time: np.ndarray
    values: np.ndarray


class Split(NamedTuple):
    """Index ranges of the chronological train, validation and test parts of a series."""

    train: slice
    val: slice
    test: slice


def _statsmodels_datasets() -> ModuleType:
    try:
        from statsmodels import datasets
    except ImportError as err:  # an optional dependency: pip install rnn-course[data]
        raise ImportError(
            "the time series come from statsmodels.datasets; install statsmodels "
            "(pip install 'rnn-course[data]')"
        ) from err
    return datasets


def load_sunspots() -> TimeSeries:
    """Yearly mean sunspot numbers, 1700 to 2008, from ``statsmodels.datasets.sunspots``.

    Returns:
        ``TimeSeries(time, values)``: ``time`` (309,) the years as floats (1700.0, ...),
        ``values`` (309,) the yearly mean sunspot number (float64, no gaps).
    """
    frame = _statsmodels_datasets().sunspots.load_pandas().data
    return TimeSeries(
        frame["YEAR"].to_numpy(dtype=np.float64), frame["SUNACTIVITY"].to_numpy(dtype=np.float64)
    )


def load_co2() -> TimeSeries:
    """Monthly mean CO2 at Mauna Loa, March 1958 to December 2001, in ppm.

    ``statsmodels.datasets.co2`` holds weekly measurements with 59 missing weeks. Each
    calendar month becomes the mean of its available weeks; the few months without any
    (five, all in 1958 and 1964) are filled by linear interpolation in time between their
    neighbours.

    Returns:
        ``TimeSeries(time, values)``: ``time`` (N,) in float years, ``year + (month - 1) / 12``
        (so January 1960 is 1960.0), ``values`` (N,) float64 in ppm, without gaps.
    """
    weekly = _statsmodels_datasets().co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean().interpolate(method="time")
    index = monthly.index
    time = index.year.to_numpy(dtype=np.float64) + (index.month.to_numpy() - 1) / 12.0
    return TimeSeries(time, monthly.to_numpy(dtype=np.float64))


def chronological_split(
    n: int, *, val_fraction: float = 0.15, test_fraction: float = 0.15
) -> Split:
    """Split ``n`` time steps in time order: the first part trains, the last part tests.

    The test part is the last ``round(n * test_fraction)`` steps, the validation part the
    ``round(n * val_fraction)`` steps before it, and training gets the rest. No shuffling:
    a model must never train on the future of what it is tested on.

    Returns:
        :class:`Split` of three slices covering ``range(n)`` without overlap.
    """
    check_int(n, "n")
    check_fraction(val_fraction, "val_fraction")
    check_fraction(test_fraction, "test_fraction")
    n_test, n_val = round(n * test_fraction), round(n * val_fraction)
    n_train = n - n_val - n_test
    if min(n_test, n_val, n_train) < 1:
        raise ValueError(
            f"n: {n} steps are too few for val_fraction={val_fraction} and "
            f"test_fraction={test_fraction} with every part non-empty"
        )
    return Split(slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, n))


def _check_window_args(series: np.ndarray, input_length: int, horizon: int) -> np.ndarray:
    for name, value in (("input_length", input_length), ("horizon", horizon)):
        check_positive_int(value, name)
    array = np.asarray(series, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"series: expected shape (N,), got {array.shape}")
    return array


def make_windows(series: np.ndarray, input_length: int, horizon: int) -> tuple[np.ndarray, ...]:
    """Every ``(input window, next values)`` example of a series, in time order.

    Window ``i`` reads ``series[i : i + input_length]`` and its target is the
    ``horizon`` values that follow, ``series[i + input_length : i + input_length + horizon]``.

    Args:
        series: (N,) values.
        input_length: ``T``, the number of time steps each example reads.
        horizon: how many values after the window each example must predict.

    Returns:
        ``(X, Y)``: ``X`` (N - T - horizon + 1, T, 1) and ``Y`` (N - T - horizon + 1, horizon),
        float64.

    Raises:
        ValueError: the series is shorter than ``input_length + horizon``.

    Taught in the book's section 5.9, book/05-code/09-forecasting.md.
    """
    array = _check_window_args(series, input_length, horizon)
    count = len(array) - input_length - horizon + 1
    if count < 1:
        raise ValueError(
            f"series: {len(array)} values are too few for input_length={input_length} plus "
            f"horizon={horizon}; need at least {input_length + horizon}"
        )
    windows = np.lib.stride_tricks.sliding_window_view(array, input_length + horizon)[:count]
    return windows[:, :input_length, None].copy(), windows[:, input_length:].copy()


def split_windows(
    series: np.ndarray, part: slice, input_length: int, horizon: int
) -> tuple[np.ndarray, ...]:
    """The windows whose *targets* lie inside ``part`` (e.g. ``split.test``) of a series.

    Inputs may reach back before ``part.start``: the first test window reads the last
    ``input_length`` values before the test part, as a forecaster standing at that point in
    time would. Targets never leave ``part``, so validation and test targets are never
    trained on.

    Returns:
        ``(X, Y, index)``: ``X`` (M, T, 1) and ``Y`` (M, horizon) as in :func:`make_windows`,
        and ``index`` (M,), the position in ``series`` of each example's first target
        (``Y[i] == series[index[i] : index[i] + horizon]``).
    """
    array = _check_window_args(series, input_length, horizon)
    if not isinstance(part, slice) or part.step not in (None, 1):
        raise TypeError(f"part: expected a slice with step 1, got {part!r}")
    start, stop, _ = part.indices(len(array))
    first = max(start, input_length)
    if stop - first < horizon:
        raise ValueError(
            f"part: {part!r} of a series of {len(array)} values leaves no window with "
            f"input_length={input_length} and horizon={horizon}"
        )
    X, Y = make_windows(array[first - input_length : stop], input_length, horizon)
    return X, Y, np.arange(first, first + len(Y))


class Standardiser:
    """Subtract a mean and divide by a standard deviation, both fitted on training data.

    Fit it on the training part only: statistics of the validation or test parts would
    leak the future into the model. ``transform`` and ``inverse_transform`` accept arrays
    of any shape (element-wise).

        scaler = Standardiser().fit(values[split.train])
        z = scaler.transform(values)             # train part: mean 0, standard deviation 1
        values_again = scaler.inverse_transform(z)
    """

    def __init__(self) -> None:
        self.mean: float | None = None
        self.std: float | None = None

    def fit(self, values: np.ndarray) -> Standardiser:
        """Store the mean and standard deviation of ``values``; return ``self``."""
        array = np.asarray(values, dtype=np.float64)
        if array.size < 2:
            raise ValueError(f"values: expected at least 2 values, got {array.size}")
        if not np.isfinite(array).all():
            raise ValueError("values: expected finite numbers, got NaN or inf")
        std = float(array.std())
        if std == 0.0:
            raise ValueError("values: every value is the same; the standard deviation is 0")
        self.mean, self.std = float(array.mean()), std
        return self

    def _fitted(self) -> tuple[float, float]:
        """The fitted ``(mean, std)``; an error before ``fit``."""
        if self.mean is None or self.std is None:
            raise RuntimeError("Standardiser: call fit(training_values) first")
        return self.mean, self.std

    def transform(self, values: np.ndarray) -> np.ndarray:
        """``(values - mean) / std``, same shape as ``values``."""
        mean, std = self._fitted()
        return (np.asarray(values, dtype=np.float64) - mean) / std

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        """``values * std + mean``: back to the units of the series."""
        mean, std = self._fitted()
        return np.asarray(values, dtype=np.float64) * std + mean

    def __repr__(self) -> str:
        return f"Standardiser(mean={self.mean}, std={self.std})"


# --- forecasts to compare a model with ---------------------------------------------------------


def _check_origins(index: np.ndarray, low: int, length: int) -> np.ndarray:
    """``index`` as a non-empty (M,) int64 array with every value in ``[low, length]``."""
    array = np.asarray(index)
    if array.dtype.kind not in "iu":
        raise TypeError(f"index: expected integer positions, got dtype {array.dtype}")
    if array.ndim != 1 or len(array) == 0:
        raise ValueError(f"index: expected a non-empty array of shape (M,), got {array.shape}")
    if array.min() < low or array.max() > length:
        raise ValueError(
            f"index: expected positions in [{low}, {length}] (the forecast from position i "
            f"reads series[:i]), got values from {array.min()} to {array.max()}"
        )
    return array.astype(np.int64)


def persistence(series: np.ndarray, index: np.ndarray, horizon: int) -> np.ndarray:
    """Every future value equals the last observed one: ``y_hat[t + k] = y[t]``.

    ``t = index[i] - 1`` is the last observed step of forecast ``i`` and ``k = 1 .. h``.

    Args:
        series: (N,) values.
        index: (M,) the position of each forecast's first target (the forecast made there
            reads ``series[:index[i]]`` only), in ``[1, N]``.
        horizon: ``h``, how many values each forecast covers.

    Returns:
        (M, h) float64: row ``i`` repeats ``series[index[i] - 1]``.
    """
    array = _check_window_args(series, 1, horizon)
    origins = _check_origins(index, 1, len(array))
    return np.repeat(array[origins - 1, None], horizon, axis=1)


def seasonal_naive(
    series: np.ndarray, index: np.ndarray, horizon: int, period: int, *, drift: bool = False
) -> np.ndarray:
    """The value one season earlier: ``y_hat[t + k] = y[t + k - period]``.

    ``t = index[i] - 1`` is the last observed step of forecast ``i``. A forecast further
    ahead than one period copies the last observed period again:
    ``y_hat[t + k] = y[t + k - j * period]`` with ``j = (k - 1) // period + 1`` (for
    ``k = 1 .. h``), the fewest whole periods back that reach an observed value. With
    ``drift``, each copy is raised by the change over the last period, once for every
    period it was copied across: ``+ j * (y[t] - y[t - period])``, so a steady trend plus
    a season of that period is forecast exactly.

    Args:
        series: (N,) values.
        index: (M,) the position of each forecast's first target (the forecast reads
            ``series[:index[i]]`` only), in ``[period, N]``, or ``[period + 1, N]`` with
            ``drift``.
        horizon: ``h``, how many values each forecast covers.
        period: ``m``, the length of the season in time steps (12 for monthly data with a
            yearly cycle).
        drift: add the change over the last period.

    Returns:
        (M, h) float64.

    Taught in the book's section 5.9, book/05-code/09-forecasting.md.
    """
    array = _check_window_args(series, 1, horizon)
    period = check_positive_int(period, "period")
    check_bool(drift, "drift")
    origins = _check_origins(index, period + int(drift), len(array))
    lead = np.arange(horizon)  # k - 1
    cycles = lead // period + 1  # j
    forecasts = array[origins[:, None] + lead - period * cycles]
    if drift:
        change = array[origins - 1] - array[origins - 1 - period]
        forecasts = forecasts + cycles * change[:, None]
    return forecasts


def statsmodels_forecasts(
    result: Any, series: np.ndarray, index: np.ndarray, horizon: int
) -> np.ndarray:
    """A fitted ``statsmodels`` model's forecasts from every origin, each fed back in.

    The model, fitted on the training part only, is applied with its fitted parameters to
    the whole series; from each origin it forecasts ``horizon`` steps *dynamically*
    (recursively): the forecast of step ``t`` is used in place of ``y[t]`` for the forecast
    of ``t + 1``, so nothing after the origin is read.

    Args:
        result: a fitted time-series model of ``statsmodels`` (``AutoReg(...).fit()``,
            ``SARIMAX(...).fit()``), with ``apply`` and ``predict``.
        series: (N,) values, the training values included.
        index: (M,) the position of each forecast's first target, in ``[1, N]``.
        horizon: ``h``, how many values each forecast covers.

    Returns:
        (M, h) float64.

    Taught in the book's section 5.9, book/05-code/09-forecasting.md.
    """
    if not (
        callable(getattr(result, "apply", None)) and callable(getattr(result, "predict", None))
    ):
        raise TypeError(
            "result: expected a fitted statsmodels time-series model with apply() and "
            f"predict(), got {type(result).__name__}"
        )
    array = _check_window_args(series, 1, horizon)
    origins = _check_origins(index, 1, len(array))
    applied = result.apply(array)
    return np.stack(
        [np.asarray(applied.predict(start=o, end=o + horizon - 1, dynamic=True)) for o in origins]
    )


def forecast_errors(forecasts: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean absolute error and root-mean-square error at each lead time.

    Args:
        forecasts: (M, h) forecasts, row ``i`` made from origin ``i``.
        truth: (M, h) the values they forecast.

    Returns:
        ``(mae, rmse)``, each (h,) float64: column ``k`` averages over the ``M`` origins
        the errors ``k + 1`` steps ahead.
    """
    arrays = []
    for name, value in (("forecasts", forecasts), ("truth", truth)):
        array = np.asarray(value, dtype=np.float64)
        if array.ndim != 2 or 0 in array.shape:
            raise ValueError(
                f"{name}: expected a non-empty array of shape (M, h), got {array.shape}"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{name}: expected finite numbers, got NaN or inf")
        arrays.append(array)
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(
            f"truth: expected the shape of forecasts, {arrays[0].shape}, got {arrays[1].shape}"
        )
    error = arrays[0] - arrays[1]
    return np.abs(error).mean(axis=0), np.sqrt((error**2).mean(axis=0))
