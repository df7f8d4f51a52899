"""The recurrent forecaster: shapes, errors, the companion backend, training and prediction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from companion.nn.backend import recurrent_layer
from companion.nn.forecaster import Forecaster, fit_forecaster, predict


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
        ({"dropout": 0.2}, "needs num_layers >= 2"),
        ({"dropout": 1.0, "num_layers": 2}, r"dropout: expected a number in \[0, 1\)"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Forecaster(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizon": 2.0}, "horizon: expected a positive int, got 2.0 of type float"),
        ({"num_layers": True}, "num_layers: expected a positive int, got True of type bool"),
        ({"dropout": "0.1"}, r"dropout: expected a number in \[0, 1\), got '0.1' of type str"),
    ],
)
def test_arguments_of_the_wrong_type_are_type_errors(kwargs, message):
    with pytest.raises(TypeError, match=message):
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


def sine_windows(n: int, horizon: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Windows of 12 steps of a noisy sine wave and the ``horizon`` values that follow."""
    rng = np.random.default_rng(seed)
    series = np.sin(np.arange(n + 12 + horizon) / 3.0) + 0.05 * rng.normal(size=n + 12 + horizon)
    windows = np.lib.stride_tricks.sliding_window_view(series, 12 + horizon)[:n]
    return windows[:, :12, None], windows[:, 12:]


def test_predict_is_the_model_on_numpy_windows_without_gradients():
    torch.manual_seed(0)
    model = Forecaster(hidden_size=8, horizon=3).train()
    windows = np.random.default_rng(0).normal(size=(5, 7, 1))  # float64
    forecasts = predict(model, windows)
    assert isinstance(forecasts, np.ndarray) and forecasts.dtype == np.float32
    assert forecasts.shape == (5, 3)
    with torch.no_grad():
        want = model(torch.tensor(windows, dtype=torch.float32)).numpy()
    np.testing.assert_array_equal(forecasts, want)
    assert model.training  # the mode is restored
    double = Forecaster(hidden_size=8, horizon=3).double()
    assert predict(double, windows).dtype == np.float64


@pytest.mark.parametrize(
    ("model", "windows", "error", "message"),
    [
        (lambda x: x, np.zeros((2, 3, 1)), TypeError, "model: expected a torch.nn.Module"),
        (torch.nn.Identity(), np.zeros((2, 3, 1)), ValueError, "model: .*parameters"),
        (Forecaster(hidden_size=2), np.zeros((2, 3)), ValueError, r"windows: .*\(M, T, D\)"),
        (Forecaster(hidden_size=2), np.zeros((0, 3, 1)), ValueError, "windows: .*non-empty"),
        (Forecaster(hidden_size=2), np.array([[["a"]]]), ValueError, "windows: .*numeric"),
    ],
)
def test_predict_rejects_bad_input(model, windows, error, message):
    with pytest.raises(error, match=message):
        predict(model, windows)


def test_fit_forecaster_is_seeded_and_stops_early():
    train, val = sine_windows(64, 2), sine_windows(16, 2, seed=1)
    kwargs = dict(hidden_size=4, lr=3e-2, epochs=200, early_stopping=2, seed=3, device="cpu")
    model, history = fit_forecaster(train, val, **kwargs)
    assert isinstance(model, Forecaster) and not model.training
    assert model.horizon == 2 and model.input_size == 1
    steps, val_loss = history["val_loss"]
    best = int(np.argmin(val_loss))
    assert len(steps) == best + 1 + 2 < 200  # stopped 2 epochs after the best one
    with torch.no_grad():  # and the weights of the best epoch were restored
        X, Y = (torch.tensor(a, dtype=torch.float32) for a in val)
        assert torch.nn.functional.mse_loss(model(X), Y).item() == pytest.approx(val_loss[best])
    again, _ = fit_forecaster(train, val, **kwargs)
    for ours, theirs in zip(model.parameters(), again.parameters(), strict=True):
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("train", "val", "error", "message"),
    [
        ((np.zeros((4, 3, 1)),), (np.zeros((2, 3, 1)), np.zeros((2, 1))), TypeError, "train"),
        ((np.zeros((4, 3)), np.zeros((4, 1))), None, ValueError, r"train: .*X .*\(M, T, D\)"),
        ((np.zeros((4, 3, 1)), np.zeros((3, 1))), None, ValueError, "train: .*M = 4"),
        (None, (np.zeros((2, 3, 1)), np.zeros((2, 2))), ValueError, "val: .*h = 1"),
        (None, (np.zeros((2, 3, 2)), np.zeros((2, 1))), ValueError, "val: .*D = 1"),
    ],
)
def test_fit_forecaster_rejects_bad_windows(train, val, error, message):
    good = (np.zeros((4, 3, 1)), np.zeros((4, 1)))
    with pytest.raises(error, match=message):
        fit_forecaster(train or good, val or good, epochs=1, device="cpu")


@pytest.mark.slow
def test_fit_forecaster_learns_a_sine_wave():
    train, val = sine_windows(256, 3), sine_windows(64, 3, seed=1)
    X_test, Y_test = sine_windows(64, 3, seed=2)
    model, _ = fit_forecaster(train, val, hidden_size=16, lr=1e-2, epochs=40, device="cpu")
    test_mse = ((predict(model, X_test) - Y_test) ** 2).mean()
    assert test_mse < 0.02  # the sine wave has variance 0.5, the noise 0.0025
