"""The RNN's construction, shapes, and its errors for bad input."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from companion.scratch import RNN

D, H, V, B, T = 5, 4, 3, 2, 6


@pytest.fixture
def rnn():
    return RNN(input_size=D, hidden_size=H, output_size=V, seed=0, dtype=np.float64)


def test_importing_scratch_does_not_import_torch():
    code = (
        "import sys, companion.scratch, companion.data.text, companion.history\n"
        "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_parameters_and_default_initialisation(rnn):
    p = rnn.params
    assert {k: v.shape for k, v in p.items()} == {
        "W_xh": (D, H),
        "W_hh": (H, H),
        "b_h": (H,),
        "W_hy": (H, V),
        "b_y": (V,),
    }
    assert all(v.dtype == np.float64 for v in p.values())
    np.testing.assert_allclose(p["W_hh"].T @ p["W_hh"], np.eye(H), atol=1e-12)  # orthogonal
    assert not p["b_h"].any() and not p["b_y"].any()
    assert np.abs(p["W_xh"]).max() <= np.sqrt(6 / (D + H))  # Xavier uniform bound
    assert np.abs(p["W_hy"]).max() <= np.sqrt(6 / (H + V))
    assert repr(rnn) == "RNN(input_size=5, hidden_size=4, output_size=3, dtype=float64)"


def test_seed_makes_initialisation_reproducible():
    a, b, c = RNN(D, H, V, seed=1), RNN(D, H, V, seed=1), RNN(D, H, V, seed=2)
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    assert not np.array_equal(a.params["W_hh"], c.params["W_hh"])
    rng = np.random.default_rng(3)
    assert not np.array_equal(
        RNN(D, H, V, seed=rng).params["W_xh"], RNN(D, H, V, seed=rng).params["W_xh"]
    )


def test_shapes_of_outputs(rnn):
    x = np.zeros((B, T), dtype=np.int64)
    logits, hs = rnn.forward(x)
    assert logits.shape == (B, T, V) and hs.shape == (B, T, H)
    assert logits.flags.c_contiguous and hs.flags.c_contiguous
    loss, grads, h_last = rnn.loss_and_grads(x, np.zeros((B, T), dtype=np.int64))
    assert isinstance(loss, float) and h_last.shape == (B, H)
    np.testing.assert_array_equal(h_last, hs[:, -1])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"input_size": 0}, ValueError, "input_size: expected a positive int, got 0"),
        (
            {"hidden_size": 2.5},
            TypeError,
            "hidden_size: expected a positive int, got 2.5 of type float",
        ),
        ({"dtype": np.int32}, TypeError, "dtype: expected np.float32 or np.float64, got int32"),
        (
            {"seed": "x"},
            TypeError,
            "seed: expected an int or a numpy.random.Generator, got 'x' of type str",
        ),
    ],
)
def test_bad_constructor_arguments(kwargs, error, match):
    args = {"input_size": D, "hidden_size": H, "output_size": V, **kwargs}
    with pytest.raises(error, match=re.escape(match)):
        RNN(**args)


GOOD_Y = np.zeros((B, T), dtype=np.int64)

BAD_X = [
    (
        np.zeros((B, T, D + 1)),
        ValueError,
        "x: expected shape (B, T) integer ids in [0, 5) or (B, T, D) = (B, T, 5) floats, "
        "got (2, 6, 6)",
    ),
    (np.zeros((B * T, D)), ValueError, "got (12, 5)"),  # rank 2 floats
    (np.zeros((B, T, 1, D)), ValueError, "got (2, 6, 1, 5)"),
    (np.zeros(T, dtype=np.int64), ValueError, "x: expected shape (B, T) integer ids"),
    (np.zeros((B, 0), dtype=np.int64), ValueError, "got (2, 0)"),
    (np.full((B, T), D), ValueError, "x: expected ids in [0, 5), got values from 5 to 5"),
    (np.full((B, T), -1), ValueError, "x: expected ids in [0, 5), got values from -1 to -1"),
    (np.full((B, T, D), np.nan), ValueError, "x: expected finite values, got 60 NaN/inf"),
    (np.zeros((B, T), dtype=bool), TypeError, "x: expected an array of integers or floats"),
    (np.full((B, T), "a"), TypeError, "x: expected an array of integers or floats"),
]


@pytest.mark.parametrize("x, error, match", BAD_X)
def test_bad_x(rnn, x, error, match):
    with pytest.raises(error, match=re.escape(match)):
        rnn.forward(x)
    with pytest.raises(error, match=re.escape(match)):
        rnn.loss_and_grads(x, GOOD_Y)


@pytest.mark.parametrize(
    "y, error, match",
    [
        (
            np.zeros((B, T + 1), dtype=np.int64),
            ValueError,
            "y: expected shape (B, T) like x = (2, 6), got (2, 7)",
        ),
        (np.zeros((B + 1, T), dtype=np.int64), ValueError, "got (3, 6)"),
        (np.zeros((B, T, V), dtype=np.int64), ValueError, "got (2, 6, 3)"),
        (np.zeros((B, T)), TypeError, "y: expected integer ids, got dtype float64"),
        (np.full((B, T), V), ValueError, "y: expected ids in [0, 3), got values from 3 to 3"),
        (np.full((B, T), -2), ValueError, "y: expected ids in [0, 3), got values from -2 to -2"),
    ],
)
def test_bad_y(rnn, y, error, match):
    with pytest.raises(error, match=re.escape(match)):
        rnn.loss_and_grads(np.zeros((B, T), dtype=np.int64), y)


@pytest.mark.parametrize(
    "h0, match",
    [
        (np.zeros(H), "h0: expected shape (B, H) = (2, 4), got (4,)"),
        (np.zeros((B + 1, H)), "h0: expected shape (B, H) = (2, 4), got (3, 4)"),
        (np.zeros((B, H + 1)), "h0: expected shape (B, H) = (2, 4), got (2, 5)"),
        (np.full((B, H), np.inf), "h0: expected finite values, got 8 NaN/inf entries"),
    ],
)
def test_bad_h0(rnn, h0, match):
    x = np.zeros((B, T), dtype=np.int64)
    with pytest.raises(ValueError, match=re.escape(match)):
        rnn.forward(x, h0)
    with pytest.raises(ValueError, match=re.escape(match)):
        rnn.loss_and_grads(x, GOOD_Y, h0)


def test_bad_backward_arguments(rnn):
    x = np.zeros((B, T), dtype=np.int64)
    _, hs = rnn.forward(x)
    with pytest.raises(
        ValueError, match=re.escape("hs: expected shape (B, T, H) = (2, 6, 4), got (2, 5, 4)")
    ):
        rnn.backward(x, hs[:, :-1], np.zeros((B, T, V)))
    with pytest.raises(
        ValueError, match=re.escape("dlogits: expected shape (B, T, V) = (2, 6, 3), got (2, 6, 4)")
    ):
        rnn.backward(x, hs, np.zeros((B, T, V + 1)))
