"""companion.nn.lstm_variants: each variant computes its own equations, and nothing else."""

from __future__ import annotations

import pytest
import torch

from companion.nn import LSTM
from companion.nn.lstm_variants import LSTM_VARIANTS, LSTMVariant

B, T, D, H = 3, 4, 2, 5
BLOCK = {"i": slice(0, H), "f": slice(H, 2 * H), "g": slice(2 * H, 3 * H), "o": slice(3 * H, 4 * H)}


def by_the_equations(layer, x, h, c, variant):
    """Hidden states (B, T, H) and (h_n, c_n), gate by gate, with the variant's change."""
    W_x, W_h = layer.weight_ih_l0.T, layer.weight_hh_l0.T
    b = layer.bias_ih_l0 + layer.bias_hh_l0
    states = []
    for t in range(x.shape[1]):
        a = x[:, t] @ W_x + h @ W_h + b
        i, f, o = (torch.sigmoid(a[:, BLOCK[k]]) for k in "ifo")
        g = torch.tanh(a[:, BLOCK["g"]])
        f = {"no_forget": torch.ones_like(f), "coupled": 1 - i}.get(variant, f)
        i = torch.ones_like(i) if variant == "no_input" else i
        o = torch.ones_like(o) if variant == "no_output" else o
        c = f * c + i * g
        h = o * torch.tanh(c)
        states.append(h)
    return torch.stack(states, dim=1), (h, c)


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(B, T, D, generator=g, dtype=torch.float64)
    h0, c0 = torch.randn(2, B, H, generator=g, dtype=torch.float64)
    return x, h0, c0


@pytest.mark.parametrize("variant", LSTM_VARIANTS)
def test_variant_computes_its_equations(variant, data):
    x, h0, c0 = data
    torch.manual_seed(0)
    layer = LSTMVariant(D, H, batch_first=True, variant=variant, dtype=torch.float64)
    output, (h_n, c_n) = layer(x, (h0[None], c0[None]))
    expected, (h_e, c_e) = by_the_equations(layer, x, h0, c0, variant)
    torch.testing.assert_close(output, expected, rtol=0, atol=1e-12)
    torch.testing.assert_close((h_n[0], c_n[0]), (h_e, c_e), rtol=0, atol=1e-12)


def test_full_is_the_course_lstm(data):
    x, h0, c0 = data
    torch.manual_seed(0)
    ours = LSTMVariant(D, H, num_layers=2, batch_first=True, dtype=torch.float64)
    reference = LSTM(D, H, num_layers=2, batch_first=True, dtype=torch.float64)
    reference.load_state_dict(ours.state_dict())
    hx = (torch.stack([h0, h0]), torch.stack([c0, c0]))
    torch.testing.assert_close(ours(x, hx), reference(x, hx), rtol=0, atol=0)


@pytest.mark.parametrize(
    "variant, unused", [("no_forget", "f"), ("no_input", "i"), ("no_output", "o"), ("coupled", "f")]
)
def test_the_removed_gate_gets_no_gradient(variant, unused, data):
    x, _, _ = data
    layer = LSTMVariant(D, H, batch_first=True, variant=variant, dtype=torch.float64)
    output, (h_n, c_n) = layer(x)
    (output.sum() + c_n.sum()).backward()
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        grad = getattr(layer, name).grad
        assert torch.all(grad[BLOCK[unused]] == 0), name
        used = [k for k in "ifgo" if k != unused]
        assert all(grad[BLOCK[k]].abs().sum() > 0 for k in used), name


def test_variants_differ_and_repr_names_them(data):
    x, h0, c0 = data
    outputs = {}
    for variant in LSTM_VARIANTS:
        torch.manual_seed(0)
        layer = LSTMVariant(D, H, batch_first=True, variant=variant, dtype=torch.float64)
        outputs[variant] = layer(x, (h0[None], c0[None]))[0]
        assert f"variant={variant!r}" in repr(layer)
    for variant in LSTM_VARIANTS[1:]:
        assert (outputs[variant] - outputs["full"]).abs().max() > 1e-3, variant


def test_unknown_variant_is_named():
    with pytest.raises(
        ValueError, match="variant: expected one of full, no_forget, .*got 'peephole'"
    ):
        LSTMVariant(D, H, variant="peephole")
