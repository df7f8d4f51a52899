"""A recurrent forecaster: read a window of a time series, predict the next values.

Many-to-one with *direct* multi-step output: one recurrent layer reads the window, and a
linear layer maps its hidden state at the last time step to all ``horizon`` future values at
once (rather than feeding its own predictions back in, one step at a time).

:func:`fit_forecaster` trains one on ``(window, next values)`` examples (as
:func:`companion.data.timeseries.split_windows` cuts them) with :func:`companion.train.fit`,
and :func:`predict` turns NumPy windows into NumPy forecasts.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from companion._validate import check_positive_int, check_probability
from companion.history import History
from companion.nn.backend import recurrent_layer
from companion.seeding import seed_everything
from companion.train import fit


class Forecaster(nn.Module):
    """Window ``(B, T, D)`` in, the next ``horizon`` values ``(B, horizon)`` out.

    Args:
        input_size: ``D``, the number of features at each time step (1 for a univariate
            series).
        hidden_size: ``H``, the hidden units of each recurrent layer.
        horizon: how many future values each window predicts.
        cell: ``"gru"``, ``"lstm"`` or ``"rnn"`` (tanh).
        num_layers: stacked recurrent layers.
        dropout: dropout between stacked layers (needs ``num_layers >= 2``).
        backend: ``"torch"`` for ``torch.nn`` layers, ``"companion"`` for the hand-written
            ``companion.nn`` layers.

    Taught in the book's section 5.9, book/05-code/09-forecasting.md.
    """

    def __init__(
        self,
        input_size: int = 1,
        hidden_size: int = 32,
        horizon: int = 1,
        *,
        cell: str = "gru",
        num_layers: int = 1,
        dropout: float = 0.0,
        backend: str = "torch",
    ) -> None:
        super().__init__()
        for name, value in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("horizon", horizon),
            ("num_layers", num_layers),
        ):
            check_positive_int(value, name)
        check_probability(dropout, "dropout", allow_one=False)
        if dropout > 0.0 and num_layers == 1:
            raise ValueError("dropout: acts between stacked layers; it needs num_layers >= 2")
        self.input_size, self.horizon, self.cell = input_size, horizon, cell
        layer = recurrent_layer(cell, backend)
        self.rnn = layer(
            input_size, hidden_size, num_layers=num_layers, dropout=dropout, batch_first=True
        )
        self.head = nn.Linear(hidden_size, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (B, T, D) windows -> (B, horizon) forecasts of the values that follow."""
        if x.ndim != 3 or x.shape[-1] != self.input_size or x.shape[1] == 0:
            raise ValueError(
                f"x: expected shape (B, T, {self.input_size}) with T >= 1, got {tuple(x.shape)}"
            )
        outputs, _ = self.rnn(x)  # (B, T, H): the top layer's hidden state at every step
        return self.head(outputs[:, -1])


def _windows_tensors(windows: object, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``(X, Y)`` NumPy arrays (M, T, D) and (M, h) as float32 tensors, shapes checked."""
    if not (isinstance(windows, (tuple, list)) and len(windows) == 2):
        raise TypeError(f"{name}: expected a pair (X, Y) of arrays, got {type(windows).__name__}")
    X, Y = (torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float32) for a in windows)
    if X.ndim != 3 or 0 in X.shape:
        raise ValueError(f"{name}: expected X of shape (M, T, D), got {tuple(X.shape)}")
    if Y.ndim != 2 or Y.shape[0] != X.shape[0] or Y.shape[1] == 0:
        raise ValueError(
            f"{name}: expected Y of shape (M, h) with M = {X.shape[0]} as in X, "
            f"got {tuple(Y.shape)}"
        )
    return X, Y


def fit_forecaster(
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    *,
    hidden_size: int = 32,
    cell: str = "gru",
    lr: float = 3e-3,
    batch_size: int = 32,
    epochs: int = 200,
    early_stopping: int = 20,
    clip: float = 1.0,
    seed: int = 0,
    device: str | torch.device | None = None,
) -> tuple[Forecaster, History]:
    """Train a :class:`Forecaster` on windows; stop early on the validation windows.

    Seeds every generator with ``seed``, then trains with the mean squared error, Adam and
    gradient clipping by norm (:func:`companion.train.fit`, in float32 on every device),
    validates after every epoch and stops when the validation error has not improved for
    ``early_stopping`` epochs, keeping the weights of the best epoch.

    Args:
        train: ``(X, Y)``, windows ``X`` (M, T, D) and the values that follow ``Y`` (M, h).
        val: ``(X_val, Y_val)`` of the same ``D`` and ``h``.
        hidden_size: ``H`` of the recurrent layer.
        cell: ``"gru"``, ``"lstm"`` or ``"rnn"``.
        lr: Adam's learning rate.
        batch_size: windows per minibatch, shuffled every epoch.
        epochs: the most passes over ``train``.
        early_stopping: epochs without a better validation error before training stops.
        clip: the largest global gradient norm.
        seed: seeds Python, NumPy and torch before the weights are drawn.
        device: ``None`` picks ``companion.get_device()``.

    Returns:
        ``(model, history)``: the model in eval mode, on ``device``, and the
        :class:`~companion.history.History` of :func:`companion.train.fit`.

    Taught in the book's section 5.9, book/05-code/09-forecasting.md.
    """
    seed_everything(seed)
    X, Y = _windows_tensors(train, "train")
    X_val, Y_val = _windows_tensors(val, "val")
    if X_val.shape[2] != X.shape[2] or Y_val.shape[1] != Y.shape[1]:
        raise ValueError(
            f"val: expected D = {X.shape[2]} and h = {Y.shape[1]} as in train, got "
            f"X {tuple(X_val.shape)} and Y {tuple(Y_val.shape)}"
        )
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(X, Y), batch_size=batch_size, shuffle=True
    )
    model = Forecaster(X.shape[2], hidden_size, Y.shape[1], cell=cell)
    history = fit(
        model,
        loader,
        [(X_val, Y_val)],
        loss=nn.MSELoss(),
        optimizer=torch.optim.Adam(model.parameters(), lr=lr),
        epochs=epochs,
        clip=clip,
        early_stopping=early_stopping,
        amp=False,
        device=device,
        progress=False,
    )
    return model.eval(), history


def predict(model: nn.Module, windows: np.ndarray) -> np.ndarray:
    """The forecasts of ``model`` for NumPy windows: (M, T, D) -> (M, h), without gradients.

    The windows become a tensor of the model's dtype on the model's device; the model runs
    in eval mode (its mode is restored afterwards), and the forecasts come back as a NumPy
    array of that dtype.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    parameter = next(model.parameters(), None)
    if parameter is None:
        raise ValueError("model: expected a module with parameters, got none")
    array = np.asarray(windows)
    if array.dtype.kind not in "fiu" or array.ndim != 3 or 0 in array.shape:
        raise ValueError(
            f"windows: expected a non-empty numeric array of shape (M, T, D), got "
            f"{array.shape} of dtype {array.dtype}"
        )
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            x = torch.tensor(array, dtype=parameter.dtype, device=parameter.device)
            return model(x).cpu().numpy()
    finally:
        model.train(was_training)
