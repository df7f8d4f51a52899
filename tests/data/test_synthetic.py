"""The adding problem and the copy task: shapes, contents, seeding, baselines, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.data.synthetic import (
    ADDING_BASELINE_MSE,
    adding_problem,
    copy_baseline_cross_entropy,
    copy_task,
    copy_vocab_size,
)


@settings(max_examples=40, deadline=None)
@given(B=st.integers(1, 8), T=st.integers(2, 60), seed=st.integers(0, 2**32 - 1))
def test_adding_problem_shapes_markers_and_target(B, T, seed):
    x, y = adding_problem(B, T, seed=seed)
    assert x.shape == (B, T, 2) and y.shape == (B,)
    assert x.dtype == y.dtype == np.float32
    values, markers = x[..., 0], x[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(np.unique(markers)) <= {0.0, 1.0}
    half = T // 2
    # exactly one marker in each half
    np.testing.assert_array_equal(markers[:, :half].sum(axis=1), 1.0)
    np.testing.assert_array_equal(markers[:, half:].sum(axis=1), 1.0)
    np.testing.assert_allclose(y, (values * markers).sum(axis=1), rtol=1e-6)


def test_adding_problem_dtype_float64():
    x, y = adding_problem(3, 10, seed=0, dtype=np.float64)
    assert x.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(y, (x[..., 0] * x[..., 1]).sum(axis=1))


def test_adding_problem_is_seeded():
    a = adding_problem(4, 20, seed=7)
    b = adding_problem(4, 20, seed=7)
    c = adding_problem(4, 20, seed=8)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])


def test_a_generator_is_advanced_not_reset():
    rng = np.random.default_rng(0)
    first, _ = adding_problem(2, 10, seed=rng)
    second, _ = adding_problem(2, 10, seed=rng)
    assert not np.array_equal(first, second)
    again, _ = adding_problem(2, 10, seed=np.random.default_rng(0))
    np.testing.assert_array_equal(first, again)


def test_adding_baseline_is_the_variance_of_the_target():
    _, y = adding_problem(200_000, 4, seed=0, dtype=np.float64)
    assert ADDING_BASELINE_MSE == pytest.approx(1 / 6)
    assert np.mean((y - 1.0) ** 2) == pytest.approx(ADDING_BASELINE_MSE, rel=0.02)
    assert y.mean() == pytest.approx(1.0, abs=0.01)


@settings(max_examples=40, deadline=None)
@given(
    B=st.integers(1, 6),
    delay=st.integers(1, 40),
    n=st.integers(1, 10),
    K=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
)
def test_copy_task_layout(B, delay, n, K, seed):
    x, y = copy_task(B, delay, n_symbols=n, copy_length=K, seed=seed)
    L = delay + 2 * K
    blank, delimiter = n, n + 1
    assert copy_vocab_size(n) == n + 2
    assert x.shape == y.shape == (B, L)
    assert x.dtype == y.dtype == np.int64
    # input: K symbols, delay - 1 blanks, the delimiter, K blanks
    assert ((x[:, :K] >= 0) & (x[:, :K] < n)).all()
    assert (x[:, K : K + delay - 1] == blank).all()
    assert (x[:, K + delay - 1] == delimiter).all()
    assert (x[:, K + delay :] == blank).all()
    # target: blanks, then the same symbols in the same order
    assert (y[:, : delay + K] == blank).all()
    np.testing.assert_array_equal(y[:, -K:], x[:, :K])
    assert (y != delimiter).all()


def test_copy_task_each_symbol_is_asked_for_delay_plus_k_steps_later():
    delay, K = 5, 3
    x, y = copy_task(2, delay, copy_length=K, seed=1)
    for j in range(K):
        np.testing.assert_array_equal(y[:, j + delay + K], x[:, j])


def test_copy_task_symbols_are_uniform_and_seeded():
    x, _ = copy_task(4000, 1, seed=3)
    counts = np.bincount(x[:, :10].ravel(), minlength=8)
    assert len(counts) == 8
    assert counts.min() > 0.9 * counts.mean()
    np.testing.assert_array_equal(copy_task(3, 4, seed=3)[0], copy_task(3, 4, seed=3)[0])


def test_copy_baselines():
    assert copy_baseline_cross_entropy(100) == pytest.approx(10 * math.log(8) / 120)
    assert copy_baseline_cross_entropy(100, recalled_only=True) == pytest.approx(math.log(8))
    assert copy_baseline_cross_entropy(7, n_symbols=4, copy_length=2) == pytest.approx(
        2 * math.log(4) / 11
    )


def test_memoryless_model_scores_the_baseline():
    """Blanks with certainty, then uniform over the symbols: exactly the baseline."""
    delay, n, K = 6, 5, 4
    x, y = copy_task(50, delay, n_symbols=n, copy_length=K, seed=0)
    V = copy_vocab_size(n)
    probs = np.zeros(y.shape + (V,))
    probs[:, : delay + K, n] = 1.0
    probs[:, delay + K :, :n] = 1.0 / n
    picked = np.take_along_axis(probs, y[..., None], axis=-1)[..., 0]
    assert -np.log(picked).mean() == pytest.approx(
        copy_baseline_cross_entropy(delay, n_symbols=n, copy_length=K)
    )


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: adding_problem(0, 10), ValueError, "batch_size: expected a positive int, got 0"),
        (lambda: adding_problem(2, 1), ValueError, "seq_len: expected an int >= 2, got 1"),
        (
            lambda: adding_problem(2.0, 10),
            TypeError,
            "batch_size: expected a positive int, got 2.0 of type float",
        ),
        (lambda: adding_problem(2, True), TypeError, "seq_len: expected an int"),
        (lambda: adding_problem(2, 10, dtype=np.int32), ValueError, "dtype: expected a float"),
        (lambda: adding_problem(2, 10, seed=-1), ValueError, "seed: expected a non-negative"),
        (lambda: adding_problem(2, 10, seed="0"), TypeError, "seed: expected an int"),
        (lambda: copy_task(2, 0), ValueError, "delay: expected a positive int, got 0"),
        (lambda: copy_task(2, 5, n_symbols=0), ValueError, "n_symbols: expected a positive int"),
        (
            lambda: copy_task(2, 5, copy_length=0),
            ValueError,
            "copy_length: expected a positive int",
        ),
        (lambda: copy_baseline_cross_entropy(0), ValueError, "delay: expected a positive int"),
        (lambda: copy_vocab_size(0), ValueError, "n_symbols: expected a positive int"),
    ],
)
def test_bad_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_module_is_numpy_only():
    import subprocess
    import sys

    code = "import sys; import companion.data.synthetic; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
