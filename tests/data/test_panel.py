"""A family of related series: the generator, per-series standardisation, pooled and stacked
windows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from companion.data.panel import (
    Panel,
    pooled_windows,
    related_series,
    stacked_windows,
    standardise_per_series,
)


def _unscaled(panel: Panel) -> np.ndarray:
    """Each series with its level and scale undone: z_{t - lag} + noise * u_t."""
    return (panel.values - panel.levels[:, None]) / panel.scales[:, None]


# ---------------------------------------------------------------- related_series


def test_shapes_groups_and_ranges():
    panel = related_series(6, 40, lags=(0, 2, 1), seed=0)
    assert isinstance(panel, Panel)
    assert panel.values.shape == (6, 40) and panel.values.dtype == np.float64
    assert panel.driver.tolist() == [0, 0, 0, 1, 1, 1]
    assert panel.lags.tolist() == [0, 2, 1, 0, 2, 1]
    assert ((-100 <= panel.levels) & (panel.levels <= 100)).all()
    assert ((0.1 <= panel.scales) & (panel.scales <= 10)).all()


def test_seeded_and_reproducible():
    a, b = related_series(4, 30, seed=3), related_series(4, 30, seed=3)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.allclose(a.values, related_series(4, 30, seed=4).values)
    generator = np.random.default_rng(3)
    np.testing.assert_array_equal(related_series(4, 30, seed=generator).values, a.values)


def test_a_follower_repeats_its_leader_later():
    panel = related_series(4, 50, lags=(0, 1, 3, 0), seed=1)  # noise 0: exact copies
    z = _unscaled(panel)
    np.testing.assert_allclose(z[1, 1:], z[0, :-1], atol=1e-9)
    np.testing.assert_allclose(z[2, 3:], z[0, :-3], atol=1e-9)
    np.testing.assert_allclose(z[3], z[0], atol=1e-9)
    assert not np.allclose(z[1], z[0])  # a follower is not its leader


def test_the_observation_noise_has_the_stated_size():
    panel = related_series(2, 4000, lags=(0, 0), noise=0.5, seed=2)
    difference = np.diff(_unscaled(panel), axis=0)[0]  # u of one minus u of the other
    assert difference.std() == pytest.approx(0.5 * np.sqrt(2), rel=0.05)


def test_the_drivers_follow_the_stated_ar_process():
    """Least squares on a long series gives back phi, and innovations of variance 1."""
    phi = (1.0, -0.5)
    z = _unscaled(related_series(2, 5000, coefficients=phi, seed=4))
    for row in z:
        past = np.stack([row[1:-1], row[:-2]], axis=1)
        fitted, *_ = np.linalg.lstsq(past, row[2:], rcond=None)
        np.testing.assert_allclose(fitted, phi, atol=0.04)
        assert (row[2:] - past @ fitted).std() == pytest.approx(1.0, rel=0.05)
    correlation = np.corrcoef(z)[0, 1]
    assert abs(correlation) < 0.1  # one driver each: independent series


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"coefficients": (1.0, 0.2)}, ValueError, "coefficients: expected a stationary"),
        ({"coefficients": ()}, ValueError, "coefficients: expected a non-empty"),
        ({"lags": (0, -1)}, ValueError, r"lags: expected delays >= 0, got \[0, -1\]"),
        ({"lags": (0, 1, 2)}, ValueError, "n_series: expected a multiple of len"),
        ({"lags": (0.5,)}, TypeError, "lags: expected a non-empty sequence of ints"),
        ({"noise": -0.1}, ValueError, "noise: expected a number >= 0, got -0.1"),
        ({"noise": "0.1"}, TypeError, "noise: expected a number, got '0.1' of type str"),
        ({"seed": "0"}, TypeError, "seed: expected an int or a numpy.random.Generator"),
    ],
)
def test_related_series_refuses_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        related_series(4, 20, **kwargs)


def test_sizes_must_be_positive_ints():
    with pytest.raises(ValueError, match="n_series: expected a positive int, got 0"):
        related_series(0, 20)
    with pytest.raises(TypeError, match="length: expected a positive int, got .* of type float"):
        related_series(4, 20.0)


# ---------------------------------------------------------------- standardise_per_series


def test_each_series_has_mean_0_and_std_1_on_its_training_part():
    series = related_series(5, 60, seed=5).values
    scaled, mean, std = standardise_per_series(series, 40)
    np.testing.assert_allclose(scaled[:, :40].mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled[:, :40].std(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(scaled * std[:, None] + mean[:, None], series, rtol=1e-12)
    assert not np.allclose(scaled[:, 40:].mean(axis=1), 0.0)  # the test part is not fitted


def test_the_values_after_the_training_part_change_nothing():
    series = related_series(3, 30, seed=6).values
    changed = series.copy()
    changed[:, 20:] = 1e6
    _, mean, std = standardise_per_series(series, 20)
    _, mean_changed, std_changed = standardise_per_series(changed, 20)
    np.testing.assert_array_equal(mean, mean_changed)
    np.testing.assert_array_equal(std, std_changed)


@given(
    arrays(
        np.float64, st.tuples(st.integers(1, 4), st.integers(2, 12)), elements=st.floats(-1e3, 1e3)
    ),
    st.data(),
)
def test_standardising_is_undone_by_mean_and_std(series, data):
    train_length = data.draw(st.integers(2, series.shape[1]))
    if (series[:, :train_length].std(axis=1) < 1e-6).any():
        return  # (nearly) constant rows are refused, tested below
    scaled, mean, std = standardise_per_series(series, train_length)
    np.testing.assert_allclose(scaled * std[:, None] + mean[:, None], series, atol=1e-6)


def test_standardise_refuses_bad_input():
    series = np.arange(12.0).reshape(2, 6)
    with pytest.raises(ValueError, match="train_length: expected an int from 2 to L = 6, got 1"):
        standardise_per_series(series, 1)
    with pytest.raises(ValueError, match="got 7"):
        standardise_per_series(series, 7)
    with pytest.raises(TypeError, match="train_length: expected an int, got .* of type float"):
        standardise_per_series(series, 3.0)
    with pytest.raises(ValueError, match=r"series: expected a non-empty array of shape \(N, L\)"):
        standardise_per_series(series[0], 3)
    constant = series.copy()
    constant[1, :3] = 5.0
    with pytest.raises(ValueError, match="series: row 1 is constant over its first 3 values"):
        standardise_per_series(constant, 3)
    with pytest.raises(TypeError, match="series: expected a numeric array"):
        standardise_per_series(np.array([["a", "b"]]), 2)


# ---------------------------------------------------------------- windows


def test_pooled_windows_keep_the_series_id_and_position():
    series = np.arange(30.0).reshape(3, 10) * np.array([[1.0], [10.0], [100.0]])
    X, Y, ids, index = pooled_windows(series, slice(0, 8), input_length=3, horizon=2)
    M = 8 - 3 - 2 + 1
    assert X.shape == (3 * M, 3, 1) and Y.shape == (3 * M, 2)
    assert ids.tolist() == [0] * M + [1] * M + [2] * M
    for x, y, row, i in zip(X, Y, ids, index, strict=True):
        np.testing.assert_array_equal(x[:, 0], series[row, i - 3 : i])
        np.testing.assert_array_equal(y, series[row, i : i + 2])
        assert i + 2 <= 8  # the targets stay inside the part


def test_stacked_windows_hold_every_series_at_the_same_steps():
    series = related_series(4, 25, seed=7).values
    X, Y, index = stacked_windows(series, slice(15, 25), input_length=5)
    assert X.shape == (10, 5, 4) and Y.shape == (10, 4)
    assert index.tolist() == list(range(15, 25))
    for m, i in enumerate(index):
        np.testing.assert_array_equal(X[m], series[:, i - 5 : i].T)
        np.testing.assert_array_equal(Y[m], series[:, i])


def test_windows_refuse_a_single_series():
    with pytest.raises(ValueError, match=r"series: expected a non-empty array of shape \(N, L\)"):
        pooled_windows(np.arange(10.0), slice(0, 10), input_length=3)
