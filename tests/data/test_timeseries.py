"""Time series loaders, the chronological split, windows, the standardiser and baselines."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion.data.timeseries import (
    Split,
    Standardiser,
    TimeSeries,
    chronological_split,
    forecast_errors,
    load_co2,
    load_sunspots,
    make_windows,
    persistence,
    seasonal_naive,
    split_windows,
    statsmodels_forecasts,
)


def test_sunspots_are_yearly_from_1700():
    series = load_sunspots()
    assert isinstance(series, TimeSeries)
    time, values = series  # a plain pair
    assert time.shape == values.shape == (309,)
    assert time.dtype == values.dtype == np.float64
    assert time[0] == 1700.0 and time[-1] == 2008.0
    np.testing.assert_array_equal(np.diff(time), 1.0)
    assert np.isfinite(values).all() and values.min() >= 0.0


def test_co2_is_monthly_without_gaps_and_matches_the_weekly_means():
    import statsmodels.api as sm

    time, values = load_co2()
    assert time.shape == values.shape
    assert time[0] == pytest.approx(1958 + 2 / 12)  # March 1958
    assert time[-1] == pytest.approx(2001 + 11 / 12)  # December 2001
    np.testing.assert_allclose(np.diff(time), 1 / 12, atol=1e-9)
    assert np.isfinite(values).all()
    assert 300 < values.min() < values.max() < 400  # ppm

    weekly = sm.datasets.co2.load_pandas().data["co2"]
    january_1990 = weekly["1990-01-01":"1990-01-31"].mean()
    assert values[np.isclose(time, 1990.0)][0] == pytest.approx(january_1990)
    # a month with no measurement at all lies between its neighbours
    months = weekly.resample("MS").mean()
    empty = np.flatnonzero(months.isna().to_numpy())
    assert len(empty) > 0
    for i in empty:
        assert min(values[i - 1], values[i + 1]) - 1e-9 <= values[i]
        assert values[i] <= max(values[i - 1], values[i + 1]) + 1e-9


def test_chronological_split_covers_everything_in_order():
    split = chronological_split(309, val_fraction=0.15, test_fraction=0.15)
    assert isinstance(split, Split)
    assert split.train == slice(0, 217)  # 309 - 46 - 46
    assert split.val == slice(217, 263)
    assert split.test == slice(263, 309)


@given(
    n=st.integers(3, 2000),
    val_fraction=st.floats(0.01, 0.45),
    test_fraction=st.floats(0.01, 0.45),
)
def test_chronological_split_partitions_any_length(n, val_fraction, test_fraction):
    try:
        split = chronological_split(n, val_fraction=val_fraction, test_fraction=test_fraction)
    except ValueError as err:
        assert "too few" in str(err)
        return
    indices = np.concatenate([np.arange(n)[part] for part in split])
    np.testing.assert_array_equal(indices, np.arange(n))
    assert all(part.stop > part.start for part in split)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 100, "val_fraction": 0.0}, "val_fraction"),
        ({"n": 100, "test_fraction": 1.0}, "test_fraction"),
        ({"n": 2}, "too few"),
    ],
)
def test_chronological_split_rejects_bad_arguments(kwargs, message):
    n = kwargs.pop("n")
    with pytest.raises(ValueError, match=message):
        chronological_split(n, **kwargs)


def test_chronological_split_rejects_a_float_length():
    with pytest.raises(TypeError, match="n: expected an int"):
        chronological_split(10.0)


def test_make_windows_shapes_and_contents():
    series = np.arange(10.0)
    X, Y = make_windows(series, input_length=3, horizon=2)
    assert X.shape == (6, 3, 1) and Y.shape == (6, 2)
    np.testing.assert_array_equal(X[0, :, 0], [0, 1, 2])
    np.testing.assert_array_equal(Y[0], [3, 4])
    np.testing.assert_array_equal(X[-1, :, 0], [5, 6, 7])
    np.testing.assert_array_equal(Y[-1], [8, 9])
    X[0, 0, 0] = 99.0  # a copy, not a view of the series
    assert series[0] == 0.0


@given(n=st.integers(1, 60), input_length=st.integers(1, 20), horizon=st.integers(1, 10))
def test_make_windows_every_target_follows_its_input(n, input_length, horizon):
    series = np.random.default_rng(n).normal(size=n)
    if n < input_length + horizon:
        with pytest.raises(ValueError, match=f"need at least {input_length + horizon}"):
            make_windows(series, input_length, horizon)
        return
    X, Y = make_windows(series, input_length, horizon)
    assert len(X) == len(Y) == n - input_length - horizon + 1
    for i in range(len(X)):
        np.testing.assert_array_equal(X[i, :, 0], series[i : i + input_length])
        np.testing.assert_array_equal(Y[i], series[i + input_length : i + input_length + horizon])


@pytest.mark.parametrize(
    ("series", "input_length", "horizon", "error", "message"),
    [
        (np.zeros(5), 4, 2, ValueError, "5 values are too few"),
        (np.zeros((5, 2)), 2, 1, ValueError, r"series: expected shape \(N,\)"),
        (np.zeros(5), 0, 1, ValueError, "input_length: expected a positive int"),
        (np.zeros(5), 2, 0, ValueError, "horizon: expected a positive int"),
        (np.zeros(5), 2.0, 1, TypeError, "input_length: expected a positive int"),
    ],
)
def test_make_windows_rejects_bad_input(series, input_length, horizon, error, message):
    with pytest.raises(error, match=message):
        make_windows(series, input_length, horizon)


def test_split_windows_targets_stay_inside_their_part():
    series = np.arange(100.0)
    split = chronological_split(100, val_fraction=0.2, test_fraction=0.2)
    L, h = 10, 3
    X_train, Y_train, index_train = split_windows(series, split.train, L, h)
    X_test, Y_test, index_test = split_windows(series, split.test, L, h)
    # training targets end before the validation part, test targets start at the test part
    assert Y_train.max() < split.val.start
    assert index_test[0] == split.test.start and Y_test.min() == split.test.start
    assert Y_test.max() == 99 and len(Y_test) == 20 - h + 1
    # the first test window reads the L values just before the test part
    np.testing.assert_array_equal(X_test[0, :, 0], series[split.test.start - L : split.test.start])
    for X, Y, index in ((X_train, Y_train, index_train), (X_test, Y_test, index_test)):
        for i in range(len(Y)):
            np.testing.assert_array_equal(Y[i], series[index[i] : index[i] + h])
            np.testing.assert_array_equal(X[i, :, 0], series[index[i] - L : index[i]])


def test_split_windows_rejects_parts_without_a_window():
    with pytest.raises(ValueError, match="leaves no window"):
        split_windows(np.zeros(20), slice(15, 20), input_length=3, horizon=6)
    with pytest.raises(TypeError, match="part: expected a slice"):
        split_windows(np.zeros(20), (0, 10), input_length=3, horizon=1)


def test_standardiser_uses_training_statistics_only():
    train, test = np.array([1.0, 2.0, 3.0, 4.0]), np.array([10.0, 20.0])
    scaler = Standardiser().fit(train)
    assert scaler.mean == 2.5 and scaler.std == pytest.approx(np.std(train))
    z = scaler.transform(train)
    assert z.mean() == pytest.approx(0.0) and z.std() == pytest.approx(1.0)
    np.testing.assert_allclose(scaler.transform(test), (test - 2.5) / np.std(train))
    matrix = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(
        scaler.inverse_transform(scaler.transform(matrix)), matrix, atol=1e-12
    )


def test_standardiser_errors():
    with pytest.raises(RuntimeError, match="call fit"):
        Standardiser().transform(np.zeros(3))
    with pytest.raises(ValueError, match="standard deviation is 0"):
        Standardiser().fit(np.ones(5))
    with pytest.raises(ValueError, match="at least 2 values"):
        Standardiser().fit(np.ones(1))
    with pytest.raises(ValueError, match="finite"):
        Standardiser().fit(np.array([1.0, np.nan]))


# --- baseline forecasts and their errors -------------------------------------------------------


def test_persistence_repeats_the_last_observed_value():
    series = np.arange(10.0) ** 2
    forecasts = persistence(series, np.array([1, 4, 10]), horizon=3)
    np.testing.assert_array_equal(forecasts, [[0, 0, 0], [9, 9, 9], [81, 81, 81]])


@given(
    value=st.floats(-1e6, 1e6),
    n=st.integers(1, 50),
    horizon=st.integers(1, 20),
    data=st.data(),
)
def test_persistence_of_a_constant_series_is_exact(value, n, horizon, data):
    index = np.array(data.draw(st.lists(st.integers(1, n), min_size=1, max_size=10)))
    forecasts = persistence(np.full(n, value), index, horizon)
    assert forecasts.shape == (len(index), horizon)
    np.testing.assert_array_equal(forecasts, value)


def test_seasonal_naive_copies_one_period_back_and_the_last_period_beyond():
    series = np.arange(20.0)
    forecasts = seasonal_naive(series, np.array([4, 10]), horizon=7, period=3)
    # from index 4 (last observed 3): 1 2 3, then the same period again, and again
    np.testing.assert_array_equal(forecasts[0], [1, 2, 3, 1, 2, 3, 1])
    np.testing.assert_array_equal(forecasts[1], [7, 8, 9, 7, 8, 9, 7])
    with_drift = seasonal_naive(series, np.array([4, 10]), horizon=7, period=3, drift=True)
    np.testing.assert_array_equal(with_drift, [np.arange(4.0, 11.0), np.arange(10.0, 17.0)])


def test_seasonal_naive_with_drift_within_one_period_adds_the_last_change_once():
    rng = np.random.default_rng(0)
    series, index, m = rng.normal(size=60), np.arange(13, 48), 12
    k = np.arange(m)
    plain = series[index[:, None] + k - m]
    np.testing.assert_array_equal(seasonal_naive(series, index, m, m), plain)
    drift = (series[index - 1] - series[index - 1 - m])[:, None]
    np.testing.assert_array_equal(seasonal_naive(series, index, m, m, drift=True), plain + drift)


@given(
    period=st.integers(1, 12),
    horizon=st.integers(1, 30),
    slope=st.floats(-3.0, 3.0),
    data=st.data(),
)
def test_seasonal_naive_is_exact_on_a_season_and_with_drift_on_a_trend(
    period, horizon, slope, data
):
    season = np.array(data.draw(st.lists(st.floats(-10, 10), min_size=period, max_size=period)))
    n = 3 * period + horizon + 2
    t = np.arange(n)
    index = np.arange(period + 1, n - horizon + 1)
    periodic = np.tile(season, n // period + 1)[:n]
    truth = make_windows(periodic, 1, horizon)[1]  # truth[i - 1] = periodic[i : i + horizon]
    np.testing.assert_array_equal(
        seasonal_naive(periodic, index, horizon, period), truth[index - 1]
    )
    trending = periodic + slope * t
    np.testing.assert_allclose(
        seasonal_naive(trending, index, horizon, period, drift=True),
        truth[index - 1] + slope * (index[:, None] + np.arange(horizon)),
        atol=1e-9,
    )


def test_statsmodels_forecasts_feed_each_forecast_back():
    from statsmodels.tsa.ar_model import AutoReg

    rng = np.random.default_rng(1)
    series = np.zeros(200)
    for t in range(1, 200):
        series[t] = 0.5 + 0.8 * series[t - 1] + rng.normal()
    result = AutoReg(series[:150], lags=1).fit()
    c, phi = result.params
    index, h = np.array([150, 170, 200]), 4
    forecasts = statsmodels_forecasts(result, series, index, h)
    assert forecasts.shape == (3, h)
    for row, origin in zip(forecasts, index, strict=True):
        last, want = series[origin - 1], []
        for _ in range(h):
            last = c + phi * last
            want.append(last)
        np.testing.assert_allclose(row, want, rtol=1e-10)
    # nothing after the origin is read
    changed = series.copy()
    changed[171:] += 100.0
    np.testing.assert_allclose(
        statsmodels_forecasts(result, changed, index[1:2], h), forecasts[1:2], rtol=1e-10
    )


def test_forecast_errors_by_lead():
    truth = np.array([[1.0, 2.0], [3.0, 4.0]])
    forecasts = truth + np.array([[1.0, -3.0], [-1.0, 4.0]])
    mae, rmse = forecast_errors(forecasts, truth)
    np.testing.assert_allclose(mae, [1.0, 3.5])
    np.testing.assert_allclose(rmse, [1.0, np.sqrt(12.5)])


@given(m=st.integers(1, 8), h=st.integers(1, 6), seed=st.integers(0, 1000))
def test_forecast_errors_are_zero_for_the_truth_and_rmse_bounds_mae(m, h, seed):
    rng = np.random.default_rng(seed)
    truth, forecasts = rng.normal(size=(m, h)), rng.normal(size=(m, h))
    zeros = forecast_errors(truth, truth)
    np.testing.assert_array_equal(zeros[0], 0.0)
    np.testing.assert_array_equal(zeros[1], 0.0)
    mae, rmse = forecast_errors(forecasts, truth)
    assert mae.shape == rmse.shape == (h,)
    assert (rmse >= mae - 1e-12).all()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: persistence(np.zeros(5), np.array([0]), 2), ValueError, r"index: .*\[1, 5\]"),
        (lambda: persistence(np.zeros(5), np.array([6]), 2), ValueError, "got values from 6"),
        (lambda: persistence(np.zeros(5), np.array([1.0]), 2), TypeError, "index: expected int"),
        (lambda: persistence(np.zeros(5), np.array([], int), 2), ValueError, "non-empty"),
        (lambda: persistence(np.zeros(5), np.array([2]), 0), ValueError, "horizon"),
        (lambda: persistence(np.zeros((5, 1)), np.array([2]), 1), ValueError, "series"),
        (lambda: seasonal_naive(np.zeros(9), np.array([3]), 2, 4), ValueError, r"\[4, 9\]"),
        (
            lambda: seasonal_naive(np.zeros(9), np.array([4]), 2, 4, drift=True),
            ValueError,
            r"\[5, 9\]",
        ),
        (lambda: seasonal_naive(np.zeros(9), np.array([4]), 2, 0), ValueError, "period"),
        (lambda: seasonal_naive(np.zeros(9), np.array([4]), 2, 2.0), TypeError, "period"),
        (lambda: seasonal_naive(np.zeros(9), np.array([4]), 2, 2, drift=1), TypeError, "drift"),
        (lambda: statsmodels_forecasts(object(), np.zeros(9), [4], 2), TypeError, "result"),
        (lambda: forecast_errors(np.zeros((2, 3)), np.zeros((2, 2))), ValueError, "truth"),
        (lambda: forecast_errors(np.zeros(3), np.zeros(3)), ValueError, r"forecasts: .*\(M, h\)"),
        (lambda: forecast_errors(np.zeros((1, 1)), [[np.nan]]), ValueError, "truth: .*finite"),
    ],
)
def test_baselines_reject_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
