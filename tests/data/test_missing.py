"""Missing-value inputs (fill, mask, time since the last measurement) and time gaps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from companion.data.missing import (
    drop_at_random,
    fill_missing,
    missing_value_features,
    observed_mask,
    time_gaps,
    time_since_observed,
)

NAN = np.nan

# (B, T, D) arrays of small floats with NaN in some places
values = st.tuples(st.integers(1, 3), st.integers(1, 8), st.integers(1, 3)).flatmap(
    lambda shape: arrays(
        np.float64,
        shape,
        elements=st.one_of(st.just(NAN), st.floats(-5, 5, allow_nan=False)),
    )
)


def _forward_fill_loop(x: np.ndarray, value: float) -> np.ndarray:
    out = x.copy()
    for b in range(x.shape[0]):
        for d in range(x.shape[2]):
            last = value
            for t in range(x.shape[1]):
                if np.isnan(out[b, t, d]):
                    out[b, t, d] = last
                else:
                    last = out[b, t, d]
    return out


def _delta_loop(mask: np.ndarray, time: np.ndarray) -> np.ndarray:
    """The recursion of Che et al. (2018), written out."""
    delta = np.zeros(mask.shape)
    for b in range(mask.shape[0]):
        for t in range(1, mask.shape[1]):
            gap = time[b, t] - time[b, t - 1]
            delta[b, t] = np.where(mask[b, t - 1], gap, gap + delta[b, t - 1])
    return delta


def test_a_small_example_by_hand():
    x = np.array([[[1.0], [NAN], [NAN], [4.0], [NAN]]])
    mask = observed_mask(x)
    assert mask[0, :, 0].tolist() == [True, False, False, True, False]
    assert fill_missing(x)[0, :, 0].tolist() == [1, 0, 0, 4, 0]
    assert fill_missing(x, "forward")[0, :, 0].tolist() == [1, 1, 1, 4, 4]
    assert fill_missing(x, "mean")[0, :, 0].tolist() == [1, 2.5, 2.5, 4, 2.5]
    assert time_since_observed(mask)[0, :, 0].tolist() == [0, 1, 2, 3, 1]
    stamps = np.array([0.0, 1.0, 3.0, 4.0, 10.0])
    assert time_since_observed(mask, stamps)[0, :, 0].tolist() == [0, 1, 3, 4, 6]
    assert time_gaps(stamps).tolist() == [0, 1, 2, 1, 6]
    features = missing_value_features(x, time_since=True)
    assert features.shape == (1, 5, 3)
    assert features[0, :, 1].tolist() == [1, 0, 0, 1, 0]


@given(values, st.floats(-2, 2))
def test_forward_fill_matches_a_loop(x, value):
    filled = fill_missing(x, "forward", value=value)
    assert not np.isnan(filled).any()
    np.testing.assert_array_equal(filled, _forward_fill_loop(x, value))


@given(values, st.sampled_from(["zero", "forward", "mean"]))
def test_filling_keeps_measured_values(x, method):
    filled = fill_missing(x, method)
    mask = observed_mask(x)
    assert filled.shape == x.shape and not np.isnan(filled).any()
    np.testing.assert_array_equal(filled[mask], x[mask])


@given(values, st.data())
def test_time_since_observed_matches_the_recursion(x, data):
    mask = observed_mask(x)
    B, T, _ = x.shape
    gaps = data.draw(arrays(np.float64, (B, T), elements=st.floats(0, 3)))
    stamps = np.cumsum(gaps, axis=1)
    np.testing.assert_allclose(
        time_since_observed(mask, stamps), _delta_loop(mask, stamps), atol=1e-12
    )
    np.testing.assert_array_equal(
        time_since_observed(mask), _delta_loop(mask, np.broadcast_to(np.arange(T), (B, T)))
    )


@given(values)
def test_features_are_fill_then_mask_then_time(x):
    D = x.shape[-1]
    features = missing_value_features(x, fill="forward", time_since=True, time_scale=2.0)
    assert features.shape == (*x.shape[:2], 3 * D)
    np.testing.assert_array_equal(features[..., :D], fill_missing(x, "forward"))
    np.testing.assert_array_equal(features[..., D : 2 * D], observed_mask(x))
    np.testing.assert_array_equal(features[..., 2 * D :], time_since_observed(observed_mask(x)) / 2)
    assert missing_value_features(x, indicator=False).shape == x.shape


def test_drop_at_random_is_seeded_and_has_the_rate():
    x = np.zeros((50, 40, 2))
    a, b = drop_at_random(x, 0.3, seed=1), drop_at_random(x, 0.3, seed=1)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    assert abs(np.isnan(a).mean() - 0.3) < 0.03
    assert not np.isnan(drop_at_random(x, 0.0)).any()
    assert np.isnan(drop_at_random(x, 1.0)).all()
    assert np.isnan(drop_at_random(np.full((1, 2, 1), NAN), 0.0)).all()  # missing stays missing


def test_time_gaps_batched():
    stamps = np.array([[0.0, 0.5, 2.0], [1.0, 1.0, 4.0]])
    np.testing.assert_array_equal(time_gaps(stamps), [[0, 0.5, 1.5], [0, 0, 3]])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: observed_mask(np.zeros((2, 3))), ValueError, r"\(B, T, D\)"),
        (lambda: observed_mask(np.array([[["a"]]])), TypeError, "numeric"),
        (lambda: fill_missing(np.full((1, 1, 1), np.inf)), ValueError, "inf"),
        (lambda: fill_missing(np.zeros((1, 2, 1)), "median"), ValueError, "method"),
        (lambda: drop_at_random(np.zeros((1, 2, 1)), 1.5), ValueError, "rate"),
        (lambda: time_gaps([0.0, 2.0, 1.0]), ValueError, "non-decreasing"),
        (lambda: time_gaps(np.zeros((1, 1, 1))), ValueError, "time"),
        (lambda: time_since_observed(np.ones((1, 2, 1))), TypeError, "bool"),
        (lambda: time_since_observed(np.ones((1, 3, 1), bool), [0, 1]), ValueError, "time"),
        (
            lambda: missing_value_features(np.zeros((1, 2, 1)), time_scale=0),
            ValueError,
            "time_scale",
        ),
    ],
)
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
