"""A recurrent forecaster: read a window of a time series, predict the next values.

Many-to-one with *direct* multi-step output: one recurrent layer reads the window, and a
linear layer maps its hidden state at the last time step to all ``horizon`` future values at
once (rather than feeding its own predictions back in, one step at a time).
"""

from __future__ import annotations

import torch
from torch import nn

from companion.nn.backend import recurrent_layer


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
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout: expected a value in [0, 1), got {dropout}")
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
