"""torch versions of the scratch models, for parity tests (tests may import torch)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from companion.scratch import RNN


def torch_modules(rnn: RNN) -> tuple[torch.nn.RNN, torch.nn.Linear]:
    """``torch.nn.RNN(batch_first=True)`` and ``nn.Linear`` holding ``rnn``'s weights.

    torch stores weights column-vector style (``W_ih`` is ``(H, D)``) and has two biases;
    ``bias_ih`` carries ``b_h`` and ``bias_hh`` is zero.
    """
    p = rnn.params
    dtype = torch.float64 if rnn.dtype == np.float64 else torch.float32
    cell = torch.nn.RNN(rnn.input_size, rnn.hidden_size, batch_first=True, dtype=dtype)
    head = torch.nn.Linear(rnn.hidden_size, rnn.output_size, dtype=dtype)
    with torch.no_grad():
        cell.weight_ih_l0.copy_(torch.from_numpy(p["W_xh"].T))
        cell.weight_hh_l0.copy_(torch.from_numpy(p["W_hh"].T))
        cell.bias_ih_l0.copy_(torch.from_numpy(p["b_h"]))
        cell.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(p["W_hy"].T))
        head.bias.copy_(torch.from_numpy(p["b_y"]))
    return cell, head


def as_torch_input(x: np.ndarray, input_size: int, dtype: torch.dtype) -> torch.Tensor:
    """Float input as it is; integer ids as their one-hot vectors."""
    if x.dtype.kind in "iu":
        return F.one_hot(torch.from_numpy(x), input_size).to(dtype)
    return torch.from_numpy(x).to(dtype)


def torch_loss_and_grads(rnn: RNN, x: np.ndarray, y: np.ndarray, h0: np.ndarray | None):
    """Loss, grads (keyed like ``rnn.params``), ``h_T`` and ``dL/dh0`` by torch autograd."""
    cell, head = torch_modules(rnn)
    dtype = cell.weight_hh_l0.dtype
    inputs = as_torch_input(x, rnn.input_size, dtype)
    batch = inputs.shape[0]
    start = torch.zeros(batch, rnn.hidden_size, dtype=dtype) if h0 is None else torch.from_numpy(h0)
    start = start.clone().requires_grad_(True)
    out, h_last = cell(inputs, start[None])
    logits = head(out)
    loss = F.cross_entropy(logits.reshape(-1, rnn.output_size), torch.from_numpy(y).reshape(-1))
    loss.backward()
    grads = {
        "W_xh": cell.weight_ih_l0.grad.T.numpy(),
        "W_hh": cell.weight_hh_l0.grad.T.numpy(),
        "b_h": cell.bias_ih_l0.grad.numpy(),
        "W_hy": head.weight.grad.T.numpy(),
        "b_y": head.bias.grad.numpy(),
    }
    return loss.item(), grads, h_last[0].detach().numpy(), start.grad.numpy()
