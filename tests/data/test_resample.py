"""Down-sampling by a whole factor: blocks aligned to the end, the last value or the mean."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from companion.data.resample import decimate

# (B, T, D) arrays of small floats, and a factor between 1 and T
batches = st.tuples(st.integers(1, 3), st.integers(1, 12), st.integers(1, 3)).flatmap(
    lambda shape: st.tuples(
        arrays(np.float64, shape, elements=st.floats(-5, 5)), st.integers(1, shape[1])
    )
)


def _blocks_by_loop(x: np.ndarray, factor: int, method: str) -> np.ndarray:
    """The definition, written out: blocks counted back from the last step."""
    B, T, D = x.shape
    out = np.zeros((B, T // factor, D))
    for j in range(T // factor):
        end = T - (T // factor - 1 - j) * factor  # block j ends just before step `end`
        block = x[:, end - factor : end]
        out[:, j] = block[:, -1] if method == "take" else block.mean(axis=1)
    return out


def test_a_small_example_by_hand():
    x = np.arange(7.0)  # 7 = 2 * 3 + 1: step 0 is dropped, blocks [1, 2, 3] and [4, 5, 6]
    assert decimate(x, 3).tolist() == [2.0, 5.0]
    assert decimate(x, 3, method="take").tolist() == [3.0, 6.0]
    assert decimate(x, 1).tolist() == x.tolist()
    assert decimate(x, 7).tolist() == [3.0]


@given(batches, st.sampled_from(["take", "mean"]))
def test_matches_the_definition(case, method):
    x, factor = case
    got = decimate(x, factor, method=method)
    assert got.shape == (x.shape[0], x.shape[1] // factor, x.shape[2])
    np.testing.assert_allclose(got, _blocks_by_loop(x, factor, method), rtol=1e-12, atol=1e-12)


@given(batches)
def test_one_series_is_a_batch_of_one(case):
    x, factor = case
    series = x[0, :, 0]
    for method in ("take", "mean"):
        got = decimate(series, factor, method=method)
        assert got.shape == (len(series) // factor,) and got.dtype == np.float64
        batched = decimate(x, factor, method=method)[0, :, 0]
        np.testing.assert_allclose(got, batched, rtol=1e-12, atol=0)  # the order of the sums


def test_the_last_block_ends_at_the_last_step():
    x = np.random.default_rng(0).normal(size=(2, 10, 3))
    assert decimate(x, 4, method="take")[:, -1].tolist() == x[:, -1].tolist()
    np.testing.assert_allclose(decimate(x, 4)[:, -1], x[:, -4:].mean(axis=1))


def test_integers_become_floats_and_the_input_is_unchanged():
    x = np.arange(12).reshape(1, 12, 1)
    before = x.copy()
    got = decimate(x, 4)
    assert got.dtype == np.float64 and got[0, :, 0].tolist() == [1.5, 5.5, 9.5]
    np.testing.assert_array_equal(x, before)


def test_keeping_samples_aliases_and_the_block_mean_damps_it():
    """23 Hz at 100 Hz, down by 4 to 25 Hz: taking samples folds it to 25 - 23 = 2 Hz at full
    amplitude; the mean of 4 samples keeps |sin(4 pi f / fs) / (4 sin(pi f / fs))| of it."""
    fs, f, factor = 100.0, 23.0, 4
    x = np.sin(2 * np.pi * f * np.arange(400) / fs)
    response = abs(np.sin(np.pi * f * factor / fs) / (factor * np.sin(np.pi * f / fs)))
    for method, amplitude in (("take", 1.0), ("mean", response)):
        y = decimate(x, factor, method=method)
        spectrum = 2 * np.abs(np.fft.rfft(y)) / len(y)
        frequencies = np.fft.rfftfreq(len(y), d=factor / fs)
        assert frequencies[spectrum.argmax()] == pytest.approx(2.0)
        assert spectrum.max() == pytest.approx(amplitude, rel=1e-6)
    assert response < 0.1


@pytest.mark.parametrize(
    "x, factor, method, error, match",
    [
        (np.zeros((2, 5)), 1, "mean", ValueError, r"x: expected shape .*, got \(2, 5\)"),
        (np.zeros((2, 0, 1)), 1, "mean", ValueError, r"non-empty, got \(2, 0, 1\)"),
        (np.array(["a", "b"]), 1, "mean", TypeError, "x: expected an array of integers or"),
        (np.array([True, False]), 1, "mean", TypeError, "x: .* got dtype bool"),
        (np.zeros(5), 2.0, "mean", TypeError, "factor: expected a positive int, got 2.0"),
        (np.zeros(5), True, "mean", TypeError, "factor: expected a positive int, got True"),
        (np.zeros(5), 0, "mean", ValueError, "factor: expected a positive int, got 0"),
        (np.zeros((1, 5, 2)), 6, "take", ValueError, r"factor: .* \[1, T\] = \[1, 5\], got 6"),
        (np.zeros(5), 2, "median", ValueError, "method: expected one of take, mean, got 'median'"),
    ],
)
def test_bad_arguments_are_named(x, factor, method, error, match):
    with pytest.raises(error, match=match):
        decimate(x, factor, method=method)
