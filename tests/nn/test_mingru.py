"""companion.nn.mingru.MinGRU: the scan and the loop agree; the layer is what it says."""

from __future__ import annotations

import pytest
import torch

from companion.nn.charlm import CarriedStateLoss, CharLM
from companion.nn.mingru import MinGRU


def test_one_layer_by_the_equations():
    torch.manual_seed(0)
    layer = MinGRU(3, 4, dtype=torch.float64)
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    h0 = torch.randn(1, 2, 4, dtype=torch.float64)
    W_z, W_n = layer.weight_l0.T.split(4, dim=1)
    b_z, b_n = layer.bias_l0.split(4)
    h, states = h0[0], []
    for t in range(6):
        z = torch.sigmoid(x[:, t] @ W_z + b_z)
        h = (1 - z) * h + z * (x[:, t] @ W_n + b_n)
        states.append(h)
    output, h_n = layer(x, h0)
    torch.testing.assert_close(output, torch.stack(states, 1))
    torch.testing.assert_close(h_n, h[None])


@pytest.mark.parametrize("num_layers", [1, 3])
def test_scan_and_loop_give_the_same_outputs_and_gradients(num_layers):
    torch.manual_seed(0)
    layer = MinGRU(5, 7, num_layers=num_layers, dtype=torch.float64)
    x = torch.randn(3, 13, 5, dtype=torch.float64)
    h0 = torch.randn(num_layers, 3, 7, dtype=torch.float64)
    results = []
    for mode in ("loop", "scan"):
        layer.mode = mode
        layer.zero_grad()
        output, h_n = layer(x, h0)
        (output.sin().sum() + h_n.sum()).backward()
        results.append((output, h_n, [p.grad.clone() for p in layer.parameters()]))
    (out_a, h_a, g_a), (out_b, h_b, g_b) = results
    torch.testing.assert_close(out_b, out_a)
    torch.testing.assert_close(h_b, h_a)
    for grad_a, grad_b in zip(g_a, g_b, strict=True):
        torch.testing.assert_close(grad_b, grad_a)


def test_stands_in_for_the_gru_of_a_char_lm():
    torch.manual_seed(0)
    model = CharLM(10, 4, 8, cell="gru")
    model.rnn = MinGRU(4, 8, num_layers=2)
    x = torch.randint(0, 10, (2, 5))
    loss_fn = CarriedStateLoss()
    loss = loss_fn(model, (x, x, True))
    loss.backward()
    assert torch.isfinite(loss)
    loss_fn(model, (x, x, False))  # continues from the carried (2, 2, 8) state


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MinGRU(0, 4), "input_size"),
        (lambda: MinGRU(3, 4, batch_first=False), "batch_first"),
        (lambda: MinGRU(3, 4, mode="fast"), "mode"),
        (lambda: MinGRU(3, 4)(torch.randn(2, 5, 2)), r"x: expected .* D = 3"),
        (lambda: MinGRU(3, 4)(torch.randn(2, 5, 3), torch.zeros(2, 4)), r"h0: expected shape"),
    ],
)
def test_bad_arguments_get_a_clear_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()
