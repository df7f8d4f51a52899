"""LSTM variants for gate ablations: one gate removed, or the forget gate tied to the input gate.

The variants are those of Greff et al. (2017), *LSTM: a search space odyssey*, applied to
the course's LSTM (PyTorch's, which has no peephole connections):

* ``"full"``: the LSTM of :class:`companion.nn.LSTM`, unchanged;
* ``"no_forget"``: ``f_t = 1``, the cell state is never scaled down (the LSTM of 1997);
* ``"no_input"``: ``i_t = 1``, every candidate ``g_t`` is written in full;
* ``"no_output"``: ``o_t = 1``, ``h_t = tanh(c_t)``;
* ``"coupled"``: ``f_t = 1 - i_t``, one gate decides how much to write and how much to keep.

A removed gate keeps its block of weights, so parameter names and shapes stay those of
``torch.nn.LSTM``; the block is simply not used, and its gradient is zero.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from companion.nn.recurrent import LSTM, State

LSTM_VARIANTS: tuple[str, ...] = ("full", "no_forget", "no_input", "no_output", "coupled")


class LSTMVariant(LSTM):
    """:class:`companion.nn.LSTM` with one of the gate changes of :data:`LSTM_VARIANTS`.

    Arguments as :class:`companion.nn.LSTM`, plus the keyword ``variant``. Input ``(B, T,
    D)`` with ``batch_first=True``; output ``(B, T, H)`` and the final ``(h_n, c_n)``.

    Taught in the book's section 6.2, book/06-future/02-long-memory.md.
    """

    def __init__(self, *args: Any, variant: str = "full", **kwargs: Any) -> None:
        if variant not in LSTM_VARIANTS:
            raise ValueError(
                f"variant: expected one of {', '.join(LSTM_VARIANTS)}, got {variant!r}"
            )
        super().__init__(*args, **kwargs)
        self.variant = variant

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, variant={self.variant!r}"

    def _step(self, x_proj_t: Tensor, state: State, W_hh: Tensor, b_hh: Tensor | None) -> State:
        h, c = state
        i, f, g, o = torch.addmm(x_proj_t, h, W_hh).chunk(4, dim=1)  # (B, H) each
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        if self.variant == "no_forget":
            c = c + i * g
        elif self.variant == "no_input":
            c = f * c + g
        elif self.variant == "coupled":
            c = (1 - i) * c + i * g
        else:
            c = f * c + i * g
        h = torch.tanh(c) if self.variant == "no_output" else o * torch.tanh(c)
        return h, c
