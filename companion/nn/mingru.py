"""minGRU: a GRU whose gate does not look at the previous hidden state (Feng et al., 2024).

One layer computes, for every time step at once,

    z_t = sigmoid(x_t W_xz + b_z),    n_t = x_t W_xn + b_n,                 (B, T, H) each

and then the recurrence

    h_t = (1 - z_t) * h_{t-1} + z_t * n_t,

a diagonal linear recurrence in ``h`` with decays ``a_t = 1 - z_t`` and inputs
``b_t = z_t * n_t``. Since neither depends on ``h``, the whole sequence can be computed by
:func:`companion.nn.scan.linear_recurrence_scan` (``mode="scan"``) instead of a loop over
time (``mode="loop"``); both give the same numbers. Compared with the GRU of chapter 5
there is no reset gate, the update gate and the candidate depend on ``x_t`` only, and the
candidate has no ``tanh``. Stacked layers feed each layer's hidden states to the next.

Calls look like those of ``torch.nn.GRU`` with ``batch_first=True``:
``output, h_n = layer(x, h0)``, so a ``MinGRU`` can stand in for the recurrent layer of a
model such as :class:`companion.nn.charlm.CharLM`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from companion._validate import check_positive_int
from companion.nn.scan import linear_recurrence_loop, linear_recurrence_scan

MODES = ("scan", "loop")


class MinGRU(nn.Module):
    """A stack of ``num_layers`` minGRU layers, batch-first.

    Args:
        input_size: ``D``, input features.
        hidden_size: ``H``, hidden units per layer.
        num_layers: stacked layers; layer ``k > 0`` reads the hidden states of layer ``k - 1``.
        batch_first: must be ``True`` (accepted so that the layer can replace
            ``torch.nn.GRU(..., batch_first=True)``).
        mode: ``"scan"`` (parallel over time) or ``"loop"`` (one time step after another).

    Parameters:
        ``weight_l{k}``: ``(2H, D_k)``, the rows of ``W_xz.T`` then ``W_xn.T``;
        ``bias_l{k}``: ``(2H,)``. Initialised uniform in ``[-1/sqrt(H), 1/sqrt(H)]``.

    Shapes:
        ``forward(x, h0=None)``: ``x`` is ``(B, T, D)``, ``h0`` is ``(num_layers, B, H)`` or
        ``None`` (zeros); returns ``(output, h_n)``: ``output`` ``(B, T, H)`` holds the last
        layer's hidden states, ``h_n`` ``(num_layers, B, H)`` every layer's last one.

    Taught in the book's section 6.7, book/06-future/07-state-space.md.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        batch_first: bool = True,
        mode: str = "scan",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for arg, value in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
        ):
            check_positive_int(value, arg)
        if batch_first is not True:
            raise ValueError(f"batch_first: MinGRU is batch-first only, got {batch_first!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.batch_first = True
        self.mode = mode  # checked by the property setter
        for k in range(num_layers):
            size = input_size if k == 0 else hidden_size
            weight = torch.empty(2 * hidden_size, size, device=device, dtype=dtype)
            bias = torch.empty(2 * hidden_size, device=device, dtype=dtype)
            self.register_parameter(f"weight_l{k}", nn.Parameter(weight))
            self.register_parameter(f"bias_l{k}", nn.Parameter(bias))
        self.reset_parameters()

    @property
    def mode(self) -> str:
        """``"scan"`` or ``"loop"``: how the recurrence over time is computed."""
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"mode: expected one of {', '.join(MODES)}, got {value!r}")
        self._mode = value

    def reset_parameters(self) -> None:
        """Every weight and bias uniform in ``[-1/sqrt(H), 1/sqrt(H)]``, as torch.nn.GRU's."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        return text + f", mode={self.mode!r}"

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if not isinstance(x, Tensor):
            raise TypeError(f"x: expected a torch.Tensor (B, T, D), got {type(x).__name__}")
        if x.ndim != 3 or x.shape[2] != self.input_size or 0 in x.shape:
            raise ValueError(
                f"x: expected a non-empty tensor (B, T, D) with D = {self.input_size}, "
                f"got {tuple(x.shape)}"
            )
        expected = (self.num_layers, x.shape[0], self.hidden_size)
        if h0 is not None and (not isinstance(h0, Tensor) or tuple(h0.shape) != expected):
            got = tuple(h0.shape) if isinstance(h0, Tensor) else type(h0).__name__
            raise ValueError(f"h0: expected shape (num_layers, B, H) = {expected}, got {got}")
        recurrence = linear_recurrence_scan if self.mode == "scan" else linear_recurrence_loop
        finals = []
        for k in range(self.num_layers):
            projected = x @ getattr(self, f"weight_l{k}").T + getattr(self, f"bias_l{k}")
            gate, candidate = projected.chunk(2, dim=-1)  # (B, T, H) each
            z = torch.sigmoid(gate)
            # 1 - sigmoid(u) = sigmoid(-u), without the rounding of a subtraction from 1
            x = recurrence(torch.sigmoid(-gate), z * candidate, None if h0 is None else h0[k])
            finals.append(x[:, -1])
        return x, torch.stack(finals)
