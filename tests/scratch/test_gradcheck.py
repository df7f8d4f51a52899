"""The gradient checker itself: it passes right gradients and catches wrong ones."""

from __future__ import annotations

import re

import numpy as np
import pytest

from companion.scratch import RNN, gradcheck, relative_error


def quadratic(params):
    """L = sum(w**3) / 3 + sum(b); dL/dw = w**2, dL/db = 1."""
    w, b = params["w"], params["b"]
    return float((w**3).sum() / 3 + b.sum()), {"w": w**2, "b": np.ones_like(b)}


def test_right_gradient_passes_and_params_are_restored():
    params = {"w": np.random.default_rng(0).normal(size=(3, 4)), "b": np.zeros(2)}
    before = {k: v.copy() for k, v in params.items()}
    result = gradcheck(lambda: quadratic(params), params)
    assert result.max_rel_error < 1e-8
    assert result.num_checked == 14
    for name in params:
        np.testing.assert_array_equal(params[name], before[name])


def test_wrong_gradient_is_found_and_located():
    params = {"w": np.random.default_rng(0).normal(size=(3, 4)), "b": np.zeros(2)}

    def wrong():
        loss, grads = quadratic(params)
        grads["w"][1, 2] *= 1.01
        return loss, grads

    result = gradcheck(wrong, params)
    assert result.param == "w" and result.index == (1, 2)
    assert result.max_rel_error == pytest.approx(0.01 / 2.01, rel=1e-4)
    assert str(result).startswith("max relative error 4.98e-03 at w[1, 2] (analytic")


def test_clipped_gradient_fails_the_check():
    from companion.scratch import clip_grad_norm

    rnn = RNN(3, 4, 3, seed=0)
    x, y = np.array([[0, 1, 2]]), np.array([[1, 2, 0]])

    def clipped():
        loss, grads, _ = rnn.loss_and_grads(x, y)
        clip_grad_norm(grads, 1e-3)
        return loss, grads

    assert gradcheck(clipped, rnn.params).max_rel_error > 0.5


def test_random_subset_of_entries():
    rnn = RNN(20, 30, 20, seed=0)
    x, y = np.array([[0, 5, 7, 19]]), np.array([[5, 7, 19, 0]])
    f = lambda: rnn.loss_and_grads(x, y)[:2]  # noqa: E731
    result = gradcheck(f, rnn.params, max_entries=10, seed=1)
    assert result.num_checked == 10 * 5
    assert result.max_rel_error < 1e-6
    assert gradcheck(f, rnn.params, max_entries=10, seed=1) == result  # seeded


def test_relative_error():
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(1.0, -1.0) == 1.0
    assert relative_error(1e-9, 0.0) == pytest.approx(1e-5)  # below the floor: vs the floor
    assert relative_error(1e-9, 0.0, floor=1e-12) == 1.0


def test_float32_parameters_are_refused():
    rnn = RNN(2, 2, 2, dtype=np.float32)
    with pytest.raises(TypeError, match=re.escape("params['W_xh']: gradcheck needs float64")):
        gradcheck(lambda: rnn.loss_and_grads(np.array([[0]]), np.array([[1]]))[:2], rnn.params)


def test_nan_gradient_is_the_worst():
    params = {"w": np.ones(3)}
    result = gradcheck(
        lambda: (float(params["w"].sum()), {"w": np.array([1.0, np.nan, 1.0])}), params
    )
    assert result.max_rel_error == np.inf and result.index == (1,)


def test_grads_must_cover_every_parameter():
    params = {"w": np.ones(2), "b": np.ones(1)}
    with pytest.raises(
        ValueError,
        match=re.escape("f: expected grads with the keys of params ['b', 'w'], got ['w']"),
    ):
        gradcheck(lambda: (0.0, {"w": np.ones(2)}), params)
