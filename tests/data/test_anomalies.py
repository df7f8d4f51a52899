"""Synthetic series with injected anomalies, the false-alarm threshold and the detection summary."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from companion.data.anomalies import (
    KINDS,
    Anomaly,
    LabelledSeries,
    detection_summary,
    false_alarm_threshold,
    inject_anomalies,
    seasonal_series,
)

P = 24


def _cycle(n: int, period: int = P) -> np.ndarray:
    phase = 2 * np.pi * np.arange(n) / period
    return np.sin(phase) + 0.5 * np.sin(2 * phase)


# ---------------------------------------------------------------- the normal series


def test_the_series_is_seeded_and_has_the_requested_length():
    a, b = seasonal_series(500, seed=3), seasonal_series(500, seed=3)
    assert a.shape == (500,) and a.dtype == np.float64
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, seasonal_series(500, seed=4))


def test_the_noise_is_ar1_with_the_stated_coefficient_and_innovations():
    x = seasonal_series(40_000, period=P, ar=0.6, noise=0.3, seed=0)
    e = x - _cycle(len(x))
    innovations = e[1:] - 0.6 * e[:-1]  # the error of the best one-step forecast
    assert abs(innovations.std() - 0.3) < 0.01
    assert abs(np.corrcoef(innovations[1:], innovations[:-1])[0, 1]) < 0.02
    assert abs(np.corrcoef(e[1:], e[:-1])[0, 1] - 0.6) < 0.02


def test_the_first_step_is_drawn_from_the_stationary_distribution():
    rng = np.random.default_rng(0)
    first = np.array([seasonal_series(1, ar=0.8, noise=0.3, seed=rng)[0] for _ in range(4000)])
    assert abs(first.std() - 0.3 / math.sqrt(1 - 0.8**2)) < 0.03  # 0.5, not 0.3


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n": 0}, ValueError, "n: expected a positive int, got 0"),
        ({"n": 2.5}, TypeError, "n: expected a positive int"),
        ({"period": 1}, ValueError, "period: expected an int >= 2, got 1"),
        ({"ar": 1.0}, ValueError, r"ar: expected a number in \[0, 1\), got 1.0"),
        ({"ar": "0.5"}, TypeError, "ar: expected a number"),
        ({"noise": 0.0}, ValueError, "noise: expected a standard deviation > 0, got 0.0"),
        ({"seed": "0"}, TypeError, "seed: expected an int or a numpy.random.Generator"),
    ],
)
def test_bad_arguments_of_the_series_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        seasonal_series(**({"n": 100} | kwargs))


# ---------------------------------------------------------------- injected anomalies


def test_each_anomaly_adds_what_its_kind_says_and_nothing_else():
    values = seasonal_series(3 * 200, seed=1)
    kept = values.copy()
    series = inject_anomalies(values, list(KINDS), period=P, size=0.8, length=30, seed=2)
    np.testing.assert_array_equal(values, kept)  # the input is not changed
    added = series.values - values
    expected = np.zeros_like(values)
    for anomaly in series.anomalies:
        steps = np.arange(anomaly.start, anomaly.stop)
        if anomaly.kind == "pattern change":
            assert anomaly.size == 0.8
            expected[steps] = -0.8 * np.sin(4 * np.pi * steps / P)
        else:
            assert abs(anomaly.size) == 0.8
            expected[steps] = anomaly.size
    np.testing.assert_allclose(added, expected, atol=1e-12)
    assert [a.stop - a.start for a in series.anomalies] == [1, 30, 30]


def test_labels_mark_exactly_the_steps_of_each_anomaly():
    series = inject_anomalies(seasonal_series(6 * 150, seed=1), list(KINDS) * 2, period=P,
                              length=40, seed=3)  # fmt: skip
    expected = np.zeros(len(series.values), dtype=np.int64)
    for anomaly in series.anomalies:
        expected[anomaly.start : anomaly.stop] = KINDS.index(anomaly.kind) + 1
    np.testing.assert_array_equal(series.labels, expected)
    assert [a.kind for a in series.anomalies] == list(KINDS) * 2


def test_anomalies_keep_a_period_away_from_the_edges_of_their_slots():
    slot = 40 + 2 * P  # the shortest slot allowed: the start has one possible value
    series = inject_anomalies(np.zeros(5 * slot), ["level shift"] * 5, period=P, length=40)
    assert [a.start for a in series.anomalies] == [i * slot + P for i in range(5)]
    for seed in range(20):
        longer = inject_anomalies(np.zeros(4 * 300), list(KINDS) + ["spike"], period=P, seed=seed)
        for i, anomaly in enumerate(longer.anomalies):
            assert i * 300 + P <= anomaly.start and anomaly.stop <= (i + 1) * 300 - P


def test_a_pattern_change_of_size_one_runs_the_cycle_backwards():
    cycle = _cycle(4 * 100)
    series = inject_anomalies(cycle, ["pattern change"], period=P, size=1.0, length=48)
    anomaly = series.anomalies[0]
    steps = np.arange(anomaly.start, anomaly.stop)
    np.testing.assert_allclose(series.values[steps], _cycle(P)[(P // 2 - steps) % P], atol=1e-12)
    assert np.abs(series.values).max() <= np.abs(cycle).max() + 1e-12  # no value out of range


def test_sizes_can_differ_by_kind_and_signs_are_random():
    sizes = {"spike": 3.0, "level shift": 2.0, "pattern change": 0.5}
    series = inject_anomalies(np.zeros(30 * 150), list(KINDS) * 10, period=P, size=sizes)
    for anomaly in series.anomalies:
        assert abs(anomaly.size) == sizes[anomaly.kind]
    signs = {np.sign(a.size) for a in series.anomalies if a.kind != "pattern change"}
    assert signs == {-1.0, 1.0}


@pytest.mark.parametrize(
    "values, kinds, kwargs, error, match",
    [
        (np.zeros((2, 500)), ["spike"], {}, ValueError, r"values: expected shape \(N,\)"),
        (np.zeros(500), "spike", {}, TypeError, "kinds: expected a non-empty list"),
        (np.zeros(500), [], {}, TypeError, "kinds: expected a non-empty list"),
        (np.zeros(500), ["dip"], {}, ValueError, "kinds: expected each kind to be one of"),
        (np.zeros(300), ["spike"] * 3, {}, ValueError, "300 steps are too few .* at least 360"),
        (np.zeros(500), ["spike"], {"length": 0}, ValueError, "length: expected a positive int"),
        (np.zeros(500), ["spike"], {"size": {"level shift": 1}}, ValueError, r"none for \['spike'"),
        (np.zeros(500), ["spike"], {"size": "big"}, TypeError, "size: expected a number"),
    ],
)
def test_bad_arguments_of_the_injection_are_refused(values, kinds, kwargs, error, match):
    with pytest.raises(error, match=match):
        inject_anomalies(values, kinds, **({"period": P} | kwargs))


# ---------------------------------------------------------------- the threshold


def test_the_threshold_by_hand():
    scores = np.array([0.5, 3.0, 1.0, np.nan, 2.0, 2.0, 2.0, 0.1, 4.0])  # 8 scores
    assert false_alarm_threshold(scores, 0.0) == 4.0  # nothing may lie above
    assert false_alarm_threshold(scores, 0.1) == 4.0  # floor(0.8) = 0 above
    assert false_alarm_threshold(scores, 0.25) == 2.0  # 2 above: 3 and 4
    assert false_alarm_threshold(scores, 0.5) == 2.0  # 4 allowed, 2 above: 2.0 is tied
    assert false_alarm_threshold(scores, 0.99) == 0.1


def test_a_rate_times_n_that_rounds_below_an_integer_still_allows_it():
    scores = np.arange(100.0)
    assert 0.29 * 100 < 29  # 28.999999999999996 in floating point
    assert false_alarm_threshold(scores, 0.29) == 70.0  # 29 scores above: 71 to 99


@given(
    arrays(np.float64, st.integers(1, 60), elements=st.floats(-3, 3).map(lambda v: round(v, 1))),
    st.floats(0, 0.99),
)
def test_the_threshold_is_the_smallest_that_keeps_the_rate(scores, rate):
    threshold = false_alarm_threshold(scores, rate)
    allowed = math.floor(rate * len(scores) + 1e-9)
    assert threshold in scores
    assert (scores > threshold).sum() <= allowed
    below = scores[scores < threshold]
    if len(below):
        assert (scores > below.max()).sum() > allowed  # any lower threshold flags more
    if abs(rate * len(scores) - round(rate * len(scores))) > 1e-6:
        assert threshold == np.quantile(scores, 1 - rate, method="inverted_cdf")


@pytest.mark.parametrize(
    "scores, rate, error, match",
    [
        (np.full(4, np.nan), 0.1, ValueError, "at least one score that is not NaN"),
        (np.zeros((2, 3)), 0.1, ValueError, r"normal_scores: expected shape \(n,\)"),
        (np.zeros(5), 1.0, ValueError, r"rate: expected a number in \[0, 1\)"),
        (np.zeros(5), -0.01, ValueError, r"rate: expected a number in \[0, 1\)"),
        (np.zeros(5), "1%", TypeError, "rate: expected a number"),
    ],
)
def test_bad_arguments_of_the_threshold_are_refused(scores, rate, error, match):
    with pytest.raises(error, match=match):
        false_alarm_threshold(scores, rate)


# ---------------------------------------------------------------- the detection summary


def _hand_series() -> LabelledSeries:
    labels = np.array([0, 1, 0, 2, 2, 2, 0, 0, 1, 0, 3, 3, 0, 0])
    anomalies = (
        Anomaly("spike", 1, 2, 1.0),
        Anomaly("level shift", 3, 6, -1.0),
        Anomaly("spike", 8, 9, 1.0),
        Anomaly("pattern change", 10, 12, 1.0),
    )
    return LabelledSeries(np.zeros(len(labels)), labels, anomalies)


def test_the_detection_summary_by_hand():
    flags = np.zeros(14, dtype=bool)
    flags[[1, 5, 6, 13]] = True  # one spike, one shift step, two false alarms
    found = detection_summary(flags, _hand_series())
    assert found.events == {"spike": 0.5, "level shift": 1.0, "pattern change": 0.0}
    assert found.steps == {"spike": 0.5, "level shift": 1 / 3, "pattern change": 0.0}
    assert found.false_alarm_rate == 2 / 7  # 7 normal steps


def test_no_flags_find_nothing_and_raise_no_alarm():
    found = detection_summary(np.zeros(14, dtype=bool), _hand_series())
    assert found.false_alarm_rate == 0.0 and set(found.events.values()) == {0.0}


@pytest.mark.parametrize(
    "flags, series, error, match",
    [
        (np.zeros(14), _hand_series(), TypeError, "flags: expected a bool array, got dtype"),
        (np.zeros(13, dtype=bool), _hand_series(), ValueError, r"expected shape \(14,\)"),
        (np.zeros(14, dtype=bool), np.zeros(14), TypeError, "series: expected a LabelledSeries"),
    ],
)
def test_bad_arguments_of_the_summary_are_refused(flags, series, error, match):
    with pytest.raises(error, match=match):
        detection_summary(flags, series)
