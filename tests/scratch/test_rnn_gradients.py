"""The NumPy RNN against finite differences and against torch (nn.RNN and autograd)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.scratch import RNN, gradcheck, sum_rows_by_id

from .reference import as_torch_input, torch_loss_and_grads, torch_modules

PARAMS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


def make_problem(B, T, D, H, V, *, integer_input, with_h0, seed=0, dtype=np.float64):
    """A model with non-zero biases (so no gradient is zero by symmetry) and its data."""
    rng = np.random.default_rng(seed)
    rnn = RNN(D, H, V, seed=seed, dtype=dtype)
    for name in ("b_h", "b_y"):
        rnn.params[name][:] = rng.normal(0.0, 0.5, rnn.params[name].shape)
    x = rng.integers(0, D, (B, T)) if integer_input else rng.normal(size=(B, T, D))
    y = rng.integers(0, V, (B, T))
    h0 = rng.normal(0.0, 0.5, (B, H)) if with_h0 else None
    return rnn, x, y, h0


sizes = st.integers(min_value=1, max_value=4)


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    B=sizes,
    T=sizes,
    D=sizes,
    H=sizes,
    V=sizes,
    integer_input=st.booleans(),
    with_h0=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_gradients_match_finite_differences(B, T, D, H, V, integer_input, with_h0, seed):
    rnn, x, y, h0 = make_problem(
        B, T, D, H, V, integer_input=integer_input, with_h0=with_h0, seed=seed
    )
    result = gradcheck(lambda: rnn.loss_and_grads(x, y, h0)[:2], rnn.params)
    assert result.max_rel_error < 1e-6, str(result)


@pytest.mark.parametrize("integer_input", [False, True])
@pytest.mark.parametrize("D, H, V", [(1, 1, 1), (3, 5, 4)])
def test_gradcheck_of_the_smallest_models(D, H, V, integer_input):
    rnn, x, y, h0 = make_problem(1, 1, D, H, V, integer_input=integer_input, with_h0=True)
    result = gradcheck(lambda: rnn.loss_and_grads(x, y, h0)[:2], rnn.params)
    assert result.max_rel_error < 1e-6, str(result)


@pytest.mark.parametrize("integer_input", [False, True])
@pytest.mark.parametrize("with_h0", [False, True])
@pytest.mark.parametrize("B, T, D, H, V", [(1, 1, 1, 1, 1), (2, 7, 5, 6, 4), (3, 12, 9, 8, 9)])
def test_loss_and_gradients_equal_torch_autograd(B, T, D, H, V, integer_input, with_h0):
    rnn, x, y, h0 = make_problem(B, T, D, H, V, integer_input=integer_input, with_h0=with_h0)
    loss, grads, h_last = rnn.loss_and_grads(x, y, h0)
    t_loss, t_grads, t_h_last, t_dh0 = torch_loss_and_grads(rnn, x, y, h0)

    assert loss == pytest.approx(t_loss, abs=1e-10)
    assert list(grads) == list(PARAMS)
    for name in PARAMS:
        assert grads[name].shape == rnn.params[name].shape
        np.testing.assert_allclose(grads[name], t_grads[name], rtol=0, atol=1e-10, err_msg=name)
    np.testing.assert_allclose(h_last, t_h_last, rtol=0, atol=1e-12)

    logits, hs = rnn.forward(x, h0)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    dlogits = (probs - np.eye(V)[y]) / (B * T)
    b_grads, dh0 = rnn.backward(x, hs, dlogits, h0)
    np.testing.assert_allclose(dh0, t_dh0, rtol=0, atol=1e-10)
    for name in PARAMS:
        np.testing.assert_allclose(b_grads[name], grads[name], rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype, atol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("integer_input", [False, True])
def test_forward_equals_torch_nn_rnn(dtype, atol, integer_input):
    rnn, x, _, h0 = make_problem(
        3, 9, 6, 5, 4, integer_input=integer_input, with_h0=True, dtype=dtype
    )
    logits, hs = rnn.forward(x, h0)
    cell, head = torch_modules(rnn)
    tdtype = cell.weight_hh_l0.dtype
    with torch.no_grad():
        out, h_n = cell(as_torch_input(x, 6, tdtype), torch.from_numpy(h0).to(tdtype)[None])
        t_logits = head(out)
    assert logits.shape == (3, 9, 4) and hs.shape == (3, 9, 5)
    assert logits.dtype == dtype and hs.dtype == dtype
    np.testing.assert_allclose(hs, out.numpy(), rtol=0, atol=atol)
    np.testing.assert_allclose(logits, t_logits.numpy(), rtol=0, atol=atol)
    np.testing.assert_allclose(hs[:, -1], h_n[0].numpy(), rtol=0, atol=atol)


def test_integer_input_equals_one_hot_input():
    rnn, ids, y, h0 = make_problem(4, 6, 7, 5, 3, integer_input=True, with_h0=True)
    one_hot = np.eye(7)[ids]
    loss_i, grads_i, h_i = rnn.loss_and_grads(ids, y, h0)
    loss_f, grads_f, h_f = rnn.loss_and_grads(one_hot, y, h0)
    assert loss_i == pytest.approx(loss_f, abs=1e-14)
    np.testing.assert_allclose(h_i, h_f, atol=1e-14)
    for name in PARAMS:
        np.testing.assert_allclose(grads_i[name], grads_f[name], atol=1e-14)


def test_carrying_the_state_equals_one_long_forward_pass():
    rnn, x, _, _ = make_problem(2, 10, 3, 4, 3, integer_input=True, with_h0=False)
    logits, hs = rnn.forward(x)
    first_logits, first_hs = rnn.forward(x[:, :6])
    rest_logits, rest_hs = rnn.forward(x[:, 6:], h0=first_hs[:, -1])
    np.testing.assert_allclose(np.concatenate([first_hs, rest_hs], axis=1), hs, atol=1e-15)
    np.testing.assert_allclose(
        np.concatenate([first_logits, rest_logits], axis=1), logits, atol=1e-15
    )


def test_float32_model_computes_in_float32():
    rnn, x, y, h0 = make_problem(2, 5, 4, 3, 4, integer_input=False, with_h0=True, dtype=np.float32)
    loss, grads, h_last = rnn.loss_and_grads(x, y, h0)  # x and h0 are float64 here
    assert isinstance(loss, float)
    assert h_last.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())
    rnn64, *_ = make_problem(2, 5, 4, 3, 4, integer_input=False, with_h0=True)
    loss64, grads64, _ = rnn64.loss_and_grads(x, y, h0)
    assert loss == pytest.approx(loss64, rel=1e-5)
    for name in PARAMS:
        np.testing.assert_allclose(grads[name], grads64[name], atol=1e-5)


def test_loss_and_grads_does_not_change_its_inputs():
    rnn, x, y, h0 = make_problem(2, 5, 4, 3, 4, integer_input=False, with_h0=True)
    copies = [a.copy() for a in (x, y, h0)] + [p.copy() for p in rnn.params.values()]
    rnn.loss_and_grads(x, y, h0)
    for before, after in zip(copies, [x, y, h0, *rnn.params.values()], strict=True):
        np.testing.assert_array_equal(before, after)


def test_sum_rows_by_id_equals_add_at():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 9, 50)
    ids[ids == 4] = 5  # one id never occurs: its row stays zero
    values = rng.normal(size=(50, 3))
    expected = np.zeros((9, 3))
    np.add.at(expected, ids, values)
    result = sum_rows_by_id(ids, values, 9)
    np.testing.assert_allclose(result, expected, atol=1e-14)
    assert not result[4].any()


def test_results_survive_the_next_call():
    """A model reuses its work arrays between calls: nothing it returned may change."""
    rnn, x, y, h0 = make_problem(3, 5, 4, 6, 4, integer_input=True, with_h0=True)
    logits, hs = rnn.forward(x, h0)
    loss, grads, h_last = rnn.loss_and_grads(x, y, h0)
    back_grads, dh0 = rnn.backward(x, hs, np.ones_like(logits), h0)
    returned = [logits, hs, h_last, dh0, *grads.values(), *back_grads.values()]
    copies = [a.copy() for a in returned]
    _, other_x, other_y, _ = make_problem(3, 5, 4, 6, 4, integer_input=True, with_h0=True, seed=1)
    rnn.loss_and_grads(other_x, other_y)  # the same shapes, other values
    rnn.forward(other_x[:, :2])  # another length
    for before, after in zip(copies, returned, strict=True):
        np.testing.assert_array_equal(before, after)
