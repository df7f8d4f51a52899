"""The recurrent forecaster: shapes, errors, the companion backend, and a learning test."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from companion.nn.backend import recurrent_layer
from companion.nn.forecaster import Forecaster


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_output_shape(cell, num_layers):
    torch.manual_seed(0)
    model = Forecaster(input_size=3, hidden_size=8, horizon=5, cell=cell, num_layers=num_layers)
    assert isinstance(model.rnn, getattr(torch.nn, cell.upper()))
    assert model(torch.randn(4, 12, 3)).shape == (4, 5)
    assert model(torch.randn(1, 1, 3)).shape == (1, 5)  # a window of one step


def test_forecast_depends_on_the_whole_window_but_not_on_other_examples():
    torch.manual_seed(0)
    model = Forecaster(hidden_size=8, horizon=2)
    x = torch.randn(3, 10, 1)
    y = model(x)
    x_changed = x.clone()
    x_changed[0, 0, 0] += 1.0  # the first step of the first window
    y_changed = model(x_changed)
    assert not torch.allclose(y_changed[0], y[0])
    torch.testing.assert_close(y_changed[1:], y[1:])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cell": "transformer"}, "cell: expected one of rnn, lstm, gru"),
        ({"backend": "jax"}, "backend: expected one of torch, companion"),
        ({"hidden_size": 0}, "hidden_size: expected a positive int"),
        ({"horizon": 2.0}, "horizon: expected a positive int"),
        ({"dropout": 0.2}, "needs num_layers >= 2"),
        ({"dropout": 1.0, "num_layers": 2}, r"dropout: expected a value in \[0, 1\)"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Forecaster(**kwargs)


@pytest.mark.parametrize("shape", [(4, 10), (4, 10, 2), (4, 0, 1)])
def test_bad_input_shape(shape):
    with pytest.raises(ValueError, match=r"x: expected shape \(B, T, 1\)"):
        Forecaster(hidden_size=4)(torch.randn(*shape))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_companion_backend_computes_the_same_function(cell):
    torch.manual_seed(0)
    reference = Forecaster(hidden_size=6, horizon=3, cell=cell, num_layers=2)
    ours = Forecaster(hidden_size=6, horizon=3, cell=cell, num_layers=2, backend="companion")
    assert isinstance(ours.rnn, recurrent_layer(cell, "companion"))
    ours.load_state_dict(reference.state_dict())  # same parameter names and shapes
    x = torch.randn(5, 7, 1)
    torch.testing.assert_close(ours(x), reference(x), rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_learns_a_sine_wave():
    """Direct 4-step forecasts of a sine wave (period 25 steps) from 20-step windows."""
    torch.manual_seed(0)
    series = np.sin(2 * np.pi * np.arange(600) / 25.0)
    windows = np.lib.stride_tricks.sliding_window_view(series, 24)
    x = torch.tensor(windows[:, :20, None], dtype=torch.float32)
    y = torch.tensor(windows[:, 20:], dtype=torch.float32)
    x_train, y_train, x_test, y_test = x[:450], y[:450], x[480:], y[480:]
    model = Forecaster(hidden_size=32, horizon=4, cell="gru")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    generator = torch.Generator().manual_seed(0)
    for _ in range(150):
        batch = torch.randint(len(x_train), (32,), generator=generator)
        loss = torch.nn.functional.mse_loss(model(x_train[batch]), y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        test_mse = torch.nn.functional.mse_loss(model(x_test), y_test).item()
    assert test_mse < 1e-3  # the series has variance 0.5
