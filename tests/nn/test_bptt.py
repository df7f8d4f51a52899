"""The backward pass by hand (companion/nn/bptt.py) against autograd and against torch.nn.

tests/nn/test_recurrent.py checks every contract of the layers with their default, the hand
backward; here: that the layers do run it, that it gives the gradients of the autograd loop
in every configuration, that gradients of gradients work, and where autograd takes over.
"""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

import companion.nn
from companion.nn.lstm_variants import LSTMVariant

MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]
MODE_IDS = ["RNN-tanh", "RNN-relu", "LSTM", "GRU"]
TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-10}
# (num_layers, bidirectional, batch_first, with hx, lengths, bias, dropout)
CONFIGURATIONS = {
    "one-layer": (1, False, False, False, None, True, 0.0),
    "hx-batch-first": (2, False, True, True, None, True, 0.0),
    "three-layers-bidirectional": (3, True, False, True, None, True, 0.0),
    "no-bias": (2, True, True, True, None, False, 0.0),
    "packed-sorted": (2, True, True, True, [6, 4, 4, 1], True, 0.0),
    "packed-unsorted": (2, True, False, True, [2, 6, 1, 4], True, 0.0),
    "dropout": (3, True, True, False, [3, 6, 1, 6], True, 0.5),
}


def layers(kind, *args, dtype=torch.float64, device="cpu", **kwargs):
    """``(ours, theirs)``: companion.nn's layer with torch.nn's weights, and torch.nn's."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, kind)(*args, dtype=dtype, device=device, **kwargs)
    ours = getattr(companion.nn, kind)(*args, dtype=dtype, device=device, **kwargs)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def outputs_and_gradients(layer, x, hx, lengths):
    """Output, final states and the gradients of a fixed random function of them, seeded."""
    leaves = [x, *(hx if isinstance(hx, tuple) else (hx,) if hx is not None else ())]
    if lengths is not None:
        x = pack_padded_sequence(x, lengths, batch_first=layer.batch_first, enforce_sorted=False)
    torch.manual_seed(1)  # dropout draws the same numbers every time
    output, state = layer(x, hx)
    output = output.data if isinstance(output, PackedSequence) else output
    results = [output, *(state if isinstance(state, tuple) else (state,))]
    generator = torch.Generator().manual_seed(2)
    weights = [torch.randn(r.shape, generator=generator, dtype=r.dtype) for r in results]
    loss = sum((r * w.to(r.device)).sum() for r, w in zip(results, weights, strict=True))
    return results + list(torch.autograd.grad(loss, [*leaves, *layer.parameters()]))


def inputs(layer, configuration, dtype, device="cpu"):
    """``x`` and ``hx`` (or None) for a configuration, needing gradients."""
    num_layers, bidirectional, batch_first, with_hx, lengths, _, _ = configuration
    B, T = 4, 6
    x = torch.randn((B, T, 3) if batch_first else (T, B, 3), dtype=dtype, device=device)
    if not with_hx:
        return x.requires_grad_(), None
    shape = (num_layers * (2 if bidirectional else 1), B, 5)
    parts = tuple(torch.randn(shape, dtype=dtype, device=device) for _ in layer.state_names)
    hx = tuple(p.requires_grad_() for p in parts)
    return x.requires_grad_(), hx if len(hx) == 2 else hx[0]


def build(kind, extra, configuration, dtype=torch.float64, device="cpu"):
    num_layers, bidirectional, batch_first, _, lengths, bias, dropout = configuration
    ours, theirs = layers(
        kind,
        3,
        5,
        num_layers=num_layers,
        bidirectional=bidirectional,
        batch_first=batch_first,
        bias=bias,
        dropout=dropout,
        dtype=dtype,
        device=device,
        **extra,
    )
    return ours, theirs, lengths


def assert_all_close(a, b, tol):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=tol)


def grad_fn_names(layer, x):
    """The names of the autograd nodes that made the layer's output from ``x``."""
    names, stack = set(), [layer(x)[0].grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and type(node).__name__ not in names:
            names.add(type(node).__name__)
            stack.extend(next_node for next_node, _ in node.next_functions)
    return names


# ------------------------------------------------------------------ which path runs


@pytest.mark.parametrize(("kind", "extra"), MODES, ids=MODE_IDS)
def test_layers_run_the_hand_backward_by_default(kind, extra):
    layer = getattr(companion.nn, kind)(3, 4, num_layers=2, **extra)
    x = torch.randn(5, 2, 3)
    assert "RecurrenceBackward" in grad_fn_names(layer, x)
    layer.hand_backward = False  # the autograd loop, for teaching and benchmarks
    assert "RecurrenceBackward" not in grad_fn_names(layer, x)
    assert type(layer).hand_backward  # the instance's choice, not the class's


@pytest.mark.parametrize(
    "layer",
    [companion.nn.LSTM(3, 4, proj_size=2), LSTMVariant(3, 4, variant="coupled")],
    ids=["projection", "subclass-with-its-own-step"],
)
def test_autograd_runs_what_the_hand_backward_does_not_cover(layer):
    assert "RecurrenceBackward" not in grad_fn_names(layer, torch.randn(5, 2, 3))


# ------------------------------------------------------------------ the same gradients


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("configuration", CONFIGURATIONS.values(), ids=CONFIGURATIONS.keys())
@pytest.mark.parametrize(("kind", "extra"), MODES, ids=MODE_IDS)
def test_hand_backward_equals_autograd_and_torch(kind, extra, configuration, dtype):
    ours, theirs, lengths = build(kind, extra, configuration, dtype)
    x, hx = inputs(ours, configuration, dtype)
    hand = outputs_and_gradients(ours, x, hx, lengths)
    ours.hand_backward = False
    loop = outputs_and_gradients(ours, x, hx, lengths)
    assert_all_close(hand, loop, TOLERANCE[dtype])
    if configuration[-1] == 0.0:  # dropout draws torch's numbers too: see test_recurrent.py
        assert_all_close(hand, outputs_and_gradients(theirs, x, hx, lengths), TOLERANCE[dtype])


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize(("kind", "extra"), MODES, ids=MODE_IDS)
def test_forward_gives_the_numbers_of_the_autograd_loop_to_the_last_bit(kind, extra, packed):
    # The operations of _step in its order; B * H = 20 puts every other step's rows off
    # 64-byte lines, where a BLAS may round differently (LSTMVariant's "full" relies on it).
    configuration = CONFIGURATIONS["packed-unsorted" if packed else "hx-batch-first"]
    ours, _, lengths = build(kind, extra, configuration)
    x, hx = inputs(ours, configuration, torch.float64)
    hand = outputs_and_gradients(ours, x, hx, lengths)
    ours.hand_backward = False
    loop = outputs_and_gradients(ours, x, hx, lengths)
    count = 1 + len(ours.state_names)  # the output and the final states
    assert all(torch.equal(a, b) for a, b in zip(hand[:count], loop[:count], strict=True))


@pytest.mark.parametrize(("kind", "extra"), MODES, ids=MODE_IDS)
def test_unbatched_input_and_no_grad(kind, extra):
    ours, theirs = layers(kind, 3, 5, num_layers=2, bidirectional=True, **extra)
    x = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    assert_all_close(
        outputs_and_gradients(ours, x, None, None),
        outputs_and_gradients(theirs, x, None, None),
        1e-10,
    )
    with torch.no_grad():
        output = ours(x)[0]
    torch.testing.assert_close(output, theirs(x)[0], rtol=0, atol=1e-10)


def test_empty_batch():
    layer = companion.nn.LSTM(3, 4, bidirectional=True)
    x = torch.randn(5, 0, 3, requires_grad=True)
    output, (h, c) = layer(x)
    assert output.shape == (5, 0, 8) and h.shape == c.shape == (2, 0, 4)
    output.sum().backward()
    assert layer.weight_hh_l0.grad.abs().max() == 0


# ------------------------------------------------------------------ gradcheck


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize(("kind", "extra"), MODES, ids=MODE_IDS)
def test_gradcheck_and_gradgradcheck(kind, extra, packed):
    # Small and float64: both checks compare with finite differences. The parameters are
    # inputs of the checked function, so their gradients are checked too.
    layer = getattr(companion.nn, kind)(2, 3, bidirectional=True, dtype=torch.float64, **extra)
    names = [name for name, _ in layer.named_parameters()]
    x = torch.randn(3, 3, 2, dtype=torch.float64, requires_grad=True)
    hx = torch.randn(2, 3, 3, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([3, 1, 2])

    def function(x, hx, *weights):
        parameters = dict(zip(names, weights, strict=True))
        state = (hx, hx.tanh()) if kind == "LSTM" else hx
        if packed:
            x = pack_padded_sequence(x, lengths, enforce_sorted=False)
        output, final = torch.func.functional_call(layer, parameters, (x, state))
        output = output.data if packed else output
        return output, *(final if isinstance(final, tuple) else (final,))

    arguments = (x, hx, *(p.detach().requires_grad_() for p in layer.parameters()))
    assert "RecurrenceBackward" in grad_fn_names(layer, x.detach())
    assert torch.autograd.gradcheck(function, arguments)
    assert torch.autograd.gradgradcheck(function, arguments, fast_mode=True)


def test_double_backward_gives_the_gradients_of_the_autograd_loop():
    # A gradient penalty: the gradient of a function of the gradient.
    layer = companion.nn.GRU(3, 4, num_layers=2, dtype=torch.float64)
    x = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True)
    results = []
    for hand_backward in (True, False):
        layer.hand_backward = hand_backward
        (grad_x,) = torch.autograd.grad(layer(x)[0].square().sum(), x, create_graph=True)
        penalty = grad_x.square().sum()
        results.append(torch.autograd.grad(penalty, [x, *layer.parameters()]))
    assert_all_close(*results, 1e-10)


def test_recurrence_computes_only_the_gradients_asked_for():
    # Only x_proj needs a gradient here (the weights are detached): no weight gradient.
    layer = companion.nn.GRU(2, 3)
    weight_hh, bias_hh = layer.weight_hh_l0.detach(), layer.bias_hh_l0.detach()
    x_proj = torch.randn(4, 9, requires_grad=True)
    cell, initial = companion.nn.bptt.CELLS["GRU"], (torch.zeros(2, 3),)
    h, final = companion.nn.bptt.recurrence(
        cell, layer._step, x_proj, weight_hh, bias_hh, [2, 2], initial, False
    )
    assert type(h.grad_fn).__name__ == "RecurrenceBackward"
    (grad,) = torch.autograd.grad(h.sum() + final[0].sum(), x_proj)
    loop = torch.cat([layer._step(x_proj[:2], initial, weight_hh.T, bias_hh)[0]])
    torch.testing.assert_close(h[:2], loop, rtol=0, atol=0)  # the same operations
    assert grad.shape == x_proj.shape and grad.abs().sum() > 0


# ------------------------------------------------------------------ CUDA


@pytest.mark.cuda
@pytest.mark.parametrize(
    "configuration",
    [CONFIGURATIONS["three-layers-bidirectional"], CONFIGURATIONS["packed-unsorted"]],
    ids=["padded", "packed"],
)
@pytest.mark.parametrize(("kind", "extra"), MODES, ids=MODE_IDS)
def test_hand_backward_on_cuda(kind, extra, configuration):
    # float64: cuDNN and the hand backward then agree closely (float32 may use TF32).
    ours, theirs, lengths = build(kind, extra, configuration, torch.float64, "cuda")
    x, hx = inputs(ours, configuration, torch.float64, "cuda")
    assert "RecurrenceBackward" in grad_fn_names(ours, x)
    hand = outputs_and_gradients(ours, x, hx, lengths)
    assert_all_close(hand, outputs_and_gradients(theirs, x, hx, lengths), 1e-8)
    ours.hand_backward = False
    assert_all_close(hand, outputs_and_gradients(ours, x, hx, lengths), 1e-10)
