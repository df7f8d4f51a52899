"""companion.nn.RNN, LSTM and GRU against torch.nn.RNN, LSTM and GRU.

Parity means: given the same weights and input, the same outputs, final states and
gradients (of the input, of the initial state and of every parameter).
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

import companion.nn
from companion.nn import GRU, LSTM, RNN

KINDS = ["RNN", "LSTM", "GRU"]
TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-10}


def pair(kind: str, *args, dtype=torch.float64, device="cpu", seed=0, **kwargs):
    """``(ours, theirs)``: torch's layer and ours, with torch's weights loaded into ours."""
    torch.manual_seed(seed)
    theirs = getattr(torch.nn, kind)(*args, dtype=dtype, device=device, **kwargs)
    ours = getattr(companion.nn, kind)(*args, dtype=dtype, device=device, **kwargs)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def as_tuple(state) -> tuple[torch.Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)


def initial_state(layer, batch):
    """A random ``hx`` for ``layer`` (``batch=None``: unbatched) that needs a gradient.

    A tensor, or a pair for the LSTM, with the layer's dtype and device.
    """
    layers = layer.num_layers * (2 if layer.bidirectional else 1)
    sizes = [layer.proj_size or layer.hidden_size]
    if layer.mode == "LSTM":
        sizes.append(layer.hidden_size)  # c keeps H features under a projection
    like = layer.weight_ih_l0
    parts = tuple(
        torch.randn(
            (layers, size) if batch is None else (layers, batch, size),
            dtype=like.dtype,
            device=like.device,
            requires_grad=True,
        )
        for size in sizes
    )
    return parts if len(parts) == 2 else parts[0]


def run(layer, x, hx, lengths=None, seed=0):
    """The layer's output (the data of a packed output) and final states, from ``seed``.

    With ``lengths``, ``x`` is packed first (``enforce_sorted=False``), so that gradients
    still reach the padded ``x``. The seed makes dropout draw the same numbers in every run.
    """
    if lengths is not None:
        x = pack_padded_sequence(x, lengths, batch_first=layer.batch_first, enforce_sorted=False)
    torch.manual_seed(seed)
    output, state = layer(x, hx)
    if isinstance(output, PackedSequence):
        output = output.data
    return output, as_tuple(state)


def run_and_grad(layer, x, hx, weights, lengths=None):
    """Outputs, final states and the gradients of a fixed random linear function of both."""
    output, state = run(layer, x, hx, lengths)
    loss = (output * weights[0]).sum() + sum(
        (s * w).sum() for s, w in zip(state, weights[1:], strict=True)
    )
    leaves = [x, *as_tuple(hx if hx is not None else ()), *layer.parameters()]
    return output, state, torch.autograd.grad(loss, leaves)


def assert_parity(ours, theirs, x, hx=None, tol=1e-10, lengths=None):
    """Same outputs, final states and gradients from ``ours`` and ``theirs``."""
    out_t, state_t = run(theirs, x, hx, lengths)
    weights = [torch.randn_like(out_t), *(torch.randn_like(s) for s in state_t)]
    out_a, state_a, grads_a = run_and_grad(ours, x, hx, weights, lengths)
    out_b, state_b, grads_b = run_and_grad(theirs, x, hx, weights, lengths)
    assert out_a.shape == out_b.shape
    torch.testing.assert_close(out_a, out_b, rtol=0, atol=tol)
    assert len(state_a) == len(state_b)
    for a, b in zip(state_a, state_b, strict=True):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, rtol=0, atol=tol)
    assert len(grads_a) == len(grads_b)
    for a, b in zip(grads_a, grads_b, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=tol)


# ------------------------------------------------------------------ the same module


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bias", [True, False])
def test_same_parameters_and_initialisation_as_torch(kind, bias):
    torch.manual_seed(3)
    theirs = getattr(torch.nn, kind)(4, 6, num_layers=2, bias=bias)
    torch.manual_seed(3)
    ours = getattr(companion.nn, kind)(4, 6, num_layers=2, bias=bias)
    names = [name for name, _ in ours.named_parameters()]
    assert names == [name for name, _ in theirs.named_parameters()]
    for (name, a), b in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        assert a.shape == b.shape, name
        assert torch.equal(a, b), name  # same draws in the same order: same init
    assert max(p.abs().max().item() for p in ours.parameters()) <= 6**-0.5


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_round_trip_both_ways(kind):
    theirs = getattr(torch.nn, kind)(3, 5, num_layers=3)
    ours = getattr(companion.nn, kind)(3, 5, num_layers=3)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    assert all(
        torch.equal(a, b) for a, b in zip(ours.parameters(), theirs.parameters(), strict=True)
    )
    ours.reset_parameters()
    theirs.load_state_dict(ours.state_dict(), strict=True)
    assert all(
        torch.equal(a, b) for a, b in zip(ours.parameters(), theirs.parameters(), strict=True)
    )


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"num_layers": 2, "batch_first": True}, {"bias": False, "dropout": 0.25, "num_layers": 3}],
)
@pytest.mark.parametrize("kind", KINDS)
def test_repr_and_attributes_as_torch(kind, kwargs):
    ours, theirs = pair(kind, 3, 5, **kwargs)
    assert repr(ours) == repr(theirs)
    for name in (
        "input_size",
        "hidden_size",
        "num_layers",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
    ):
        assert getattr(ours, name) == getattr(theirs, name), name


# ------------------------------------------------------------------ parity


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("kind", KINDS)
def test_parity_with_torch(kind, num_layers, batch_first, with_hx, dtype):
    B, T, D, H = 3, 7, 4, 5
    ours, theirs = pair(kind, D, H, num_layers=num_layers, batch_first=batch_first, dtype=dtype)
    shape = (B, T, D) if batch_first else (T, B, D)
    x = torch.randn(shape, dtype=dtype, requires_grad=True)
    hx = initial_state(theirs, B) if with_hx else None
    assert_parity(ours, theirs, x, hx, tol=TOLERANCE[dtype])


@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_unbatched_input_gives_unbatched_output(kind, with_hx):
    T, D, H, L = 6, 3, 4, 2
    ours, theirs = pair(kind, D, H, num_layers=L)
    x = torch.randn(T, D, dtype=torch.float64, requires_grad=True)
    hx = initial_state(theirs, None) if with_hx else None
    output, state = ours(x, hx)
    assert output.shape == (T, H)
    assert all(s.shape == (L, H) for s in as_tuple(state))
    assert_parity(ours, theirs, x, hx)


@pytest.mark.parametrize("kind", KINDS)
def test_parity_without_bias(kind):
    ours, theirs = pair(kind, 3, 4, num_layers=2, bias=False, batch_first=True)
    assert not any("bias" in name for name, _ in ours.named_parameters())
    x = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
    assert_parity(ours, theirs, x, initial_state(theirs, 2))


def test_rnn_with_relu_matches_torch():
    ours, theirs = pair("RNN", 3, 4, num_layers=2, nonlinearity="relu")
    x = torch.randn(6, 2, 3, dtype=torch.float64, requires_grad=True)
    assert_parity(ours, theirs, x, initial_state(theirs, 2))


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    B=st.integers(1, 4),
    T=st.integers(1, 6),
    D=st.integers(1, 5),
    H=st.integers(1, 5),
    num_layers=st.integers(1, 3),
    batch_first=st.booleans(),
    bias=st.booleans(),
    bidirectional=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_parity_on_random_shapes(
    kind, B, T, D, H, num_layers, batch_first, bias, bidirectional, seed
):
    ours, theirs = pair(
        kind,
        D,
        H,
        num_layers=num_layers,
        batch_first=batch_first,
        bias=bias,
        bidirectional=bidirectional,
        seed=seed,
    )
    x = torch.randn(
        (B, T, D) if batch_first else (T, B, D), dtype=torch.float64, requires_grad=True
    )
    assert_parity(ours, theirs, x, initial_state(theirs, B))


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_packed_sequences_match_torch(kind, enforce_sorted):
    B, T, D, H, L = 4, 6, 3, 5, 2
    lengths = torch.tensor([6, 4, 4, 1] if enforce_sorted else [2, 6, 1, 4])
    ours, theirs = pair(kind, D, H, num_layers=L, batch_first=True)
    x = torch.randn(B, T, D, dtype=torch.float64, requires_grad=True)
    hx = initial_state(theirs, B)
    results = []
    for layer in (ours, theirs):
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=enforce_sorted)
        output, state = layer(packed, hx)
        assert isinstance(output, torch.nn.utils.rnn.PackedSequence)
        results.append((output, as_tuple(state)))
    (out_a, state_a), (out_b, state_b) = results
    assert torch.equal(out_a.batch_sizes, out_b.batch_sizes)
    for indices in ("sorted_indices", "unsorted_indices"):
        a, b = getattr(out_a, indices), getattr(out_b, indices)
        assert (a is None and b is None) or torch.equal(a, b)
    torch.testing.assert_close(out_a.data, out_b.data, rtol=0, atol=1e-10)
    for a, b in zip(state_a, state_b, strict=True):  # each sequence's state after its own last step
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)
    weights = [torch.randn_like(out_a.data), *(torch.randn_like(s) for s in state_a)]
    leaves = [x, *as_tuple(hx)]
    grads = []
    for (output, state), layer in zip(results, (ours, theirs), strict=True):
        loss = (output.data * weights[0]).sum()
        loss = loss + sum((s * w).sum() for s, w in zip(state, weights[1:], strict=True))
        grads.append(torch.autograd.grad(loss, [*leaves, *layer.parameters()]))
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


def test_empty_batch_is_allowed_like_torch():
    ours, theirs = pair("LSTM", 3, 4, batch_first=True)
    output, (h_n, c_n) = ours(torch.zeros(0, 5, 3, dtype=torch.float64))
    assert output.shape == theirs(torch.zeros(0, 5, 3, dtype=torch.float64))[0].shape
    assert h_n.shape == c_n.shape == (1, 0, 4)


# --------------------------------------------- bidirectional and projected layers

# (class name, extra arguments): the three cells, and the LSTM with a projection.
CELLS = [("RNN", {}), ("LSTM", {}), ("GRU", {}), ("LSTM", {"proj_size": 3})]
CELL_IDS = ["RNN", "LSTM", "GRU", "LSTM-proj"]


@pytest.mark.filterwarnings("ignore:dropout")  # dropout with one layer: both layers warn
@pytest.mark.parametrize("dropout", [0.0, 0.5])
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("layout", ["padded", "packed", "unbatched"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize(("kind", "extra"), CELLS, ids=CELL_IDS)
def test_every_configuration_matches_torch(
    kind, extra, num_layers, bidirectional, layout, batch_first, with_hx, dropout
):
    # float64, in training mode: with dropout, both layers draw from the same seed.
    B, T, D, H = 4, 5, 3, 5
    ours, theirs = pair(
        kind,
        D,
        H,
        num_layers=num_layers,
        bidirectional=bidirectional,
        batch_first=batch_first,
        dropout=dropout,
        **extra,
    )
    if layout == "unbatched":
        x, lengths, batch = torch.randn(T, D, dtype=torch.float64), None, None
    else:
        shape = (B, T, D) if batch_first else (T, B, D)
        x, batch = torch.randn(shape, dtype=torch.float64), B
        # Unsorted, with a tie and a sequence of one step: every case of the reversal.
        lengths = torch.tensor([3, 5, 1, 3]) if layout == "packed" else None
    x.requires_grad_()
    hx = initial_state(theirs, batch) if with_hx else None
    assert_parity(ours, theirs, x, hx, lengths=lengths)


@pytest.mark.parametrize(("kind", "extra"), CELLS, ids=CELL_IDS)
def test_bidirectional_shapes_and_names_as_torch(kind, extra):
    ours, theirs = pair(kind, 3, 5, num_layers=2, bidirectional=True, batch_first=True, **extra)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert "weight_hh_l1_reverse" in dict(ours.named_parameters())
    assert ("weight_hr_l0_reverse" in dict(ours.named_parameters())) == bool(extra)
    assert all(
        torch.equal(a, b) for a, b in zip(ours.parameters(), theirs.parameters(), strict=True)
    )
    assert repr(ours) == repr(theirs)
    output, state = ours(torch.zeros(2, 7, 3, dtype=torch.float64))
    features = extra.get("proj_size", 5)
    assert output.shape == (2, 7, 2 * features)  # forward features, then backward ones
    assert as_tuple(state)[0].shape == (4, 2, features)  # (num_layers * 2, B, H_out)


def test_backward_direction_starts_each_packed_sequence_at_its_end():
    # The backward half of step 0 must depend on a sequence's last real input, not on the
    # padding after it: a packed run equals each sequence run alone.
    ours, _ = pair("GRU", 3, 4, bidirectional=True, batch_first=True)
    x = torch.randn(3, 6, 3, dtype=torch.float64)
    lengths = torch.tensor([2, 6, 4])
    output, h_n = run(ours, x, None, lengths)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    padded, _ = torch.nn.utils.rnn.pad_packed_sequence(
        PackedSequence(output, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices),
        batch_first=True,
    )
    for b, n in enumerate(lengths.tolist()):
        alone, h_alone = ours(x[b : b + 1, :n])
        torch.testing.assert_close(padded[b : b + 1, :n], alone, rtol=0, atol=1e-12)
        torch.testing.assert_close(h_n[0][:, b], h_alone[:, 0], rtol=0, atol=1e-12)
    naive, _ = ours(x)  # the padded batch: the backward direction starts in the padding
    assert not torch.allclose(naive[0, 0, 4:], padded[0, 0, 4:])


# ------------------------------------------------------------------ dropout


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_acts_in_training_mode_only(kind):
    ours, theirs = pair(kind, 3, 8, num_layers=3, dropout=0.5, dtype=torch.float32)
    x = torch.randn(5, 2, 3)
    ours.eval()
    first, second = ours(x)[0], ours(x)[0]
    assert torch.equal(first, second)  # eval: deterministic
    theirs.eval()
    torch.testing.assert_close(first, theirs(x)[0], rtol=0, atol=1e-5)
    ours.train()
    assert not torch.allclose(ours(x)[0], first)  # train: some units dropped


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_uses_the_same_random_numbers_as_torch(kind):
    # torch.nn's CPU layers call dropout on each layer's output but the last, as we do,
    # so with the same seed they drop the same units (an implementation detail of torch,
    # pinned in requirements.txt: if this fails after an upgrade, the rest still holds).
    ours, theirs = pair(kind, 3, 8, num_layers=3, dropout=0.5, dtype=torch.float32)
    x = torch.randn(5, 2, 3)
    torch.manual_seed(7)
    a = ours(x)[0]
    torch.manual_seed(7)
    b = theirs(x)[0]
    torch.testing.assert_close(a, b, rtol=0, atol=1e-5)


def test_no_dropout_means_training_equals_evaluation():
    layer = GRU(3, 4, num_layers=2)
    x = torch.randn(5, 2, 3)
    assert torch.equal(layer.train()(x)[0], layer.eval()(x)[0])


def test_dropout_with_one_layer_warns_as_torch_does():
    with pytest.warns(UserWarning, match="num_layers=1"):
        layer = LSTM(3, 4, dropout=0.5)
    x = torch.randn(5, 2, 3)
    assert torch.equal(layer.train()(x)[0], layer.eval()(x)[0])


# ------------------------------------------------------------------ bad arguments


@pytest.mark.parametrize(
    ("kind", "kwargs", "match"),
    [
        ("RNN", {"nonlinearity": "sigmoid"}, "nonlinearity: Unknown nonlinearity 'sigmoid'"),
        ("GRU", {"hidden_size": 0}, "hidden_size: expected a positive int, got 0"),
        ("GRU", {"input_size": 2.5}, "input_size: expected a positive int, got 2.5 of type float"),
        ("LSTM", {"input_size": "3"}, "input_size: expected a positive int, got '3' of type str"),
        ("RNN", {"num_layers": 0}, "num_layers: expected a positive int, got 0"),
        ("LSTM", {"num_layers": 2.0}, "num_layers: .* got 2.0 of type float"),
        ("LSTM", {"dropout": 1.5}, r"dropout: expected a number in \[0, 1\], got 1.5"),
        ("GRU", {"dropout": "0.1"}, r"dropout: expected a number in \[0, 1\], got '0.1' of type"),
        ("RNN", {"bias": "False"}, r"bias: expected a bool \(True or False\), got 'False'"),
        ("GRU", {"bias": 0}, "bias: expected a bool .*, got 0 of type int"),
        ("LSTM", {"batch_first": "False"}, "batch_first: expected a bool .*, got 'False'"),
        ("RNN", {"batch_first": 1}, "batch_first: expected a bool .*, got 1 of type int"),
        ("RNN", {"proj_size": 2}, "proj_size argument is only supported for LSTM.*got proj_size=2"),
        ("GRU", {"proj_size": 0}, "proj_size argument is only supported for LSTM.*GRU"),
        ("LSTM", {"proj_size": 4}, r"has to be smaller than hidden_size.*\[0, 4\), got 4"),
        ("LSTM", {"proj_size": -1}, "proj_size: expected a non-negative int, got -1"),
        (
            "LSTM",
            {"proj_size": 2.0},
            "proj_size: expected a non-negative int, got 2.0 of type float",
        ),
    ],
)
def test_constructor_misuse_raises_the_exception_type_torch_raises(kind, kwargs, match):
    arguments = {"input_size": 3, "hidden_size": 4, **kwargs}
    with pytest.raises(Exception) as theirs:  # whatever torch raises
        getattr(torch.nn, kind)(**arguments)
    with pytest.raises(theirs.type, match=match):  # ours is of that type, or derives from it
        getattr(companion.nn, kind)(**arguments)


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("GRU", {"input_size": True}),  # torch takes True for 1
        ("RNN", {"hidden_size": 4.0}),
        ("LSTM", {"bidirectional": 1}),  # torch takes any truthy value
        ("GRU", {"bidirectional": "False"}),  # which torch would run in both directions
        ("LSTM", {"proj_size": True}),
    ],
)
def test_wrong_argument_types_are_type_and_value_errors(kind, kwargs):
    # Stricter than torch where torch converts silently; a ValueError as well as a
    # TypeError, so code written for either keeps working.
    arguments = {"input_size": 3, "hidden_size": 4, **kwargs}
    with pytest.raises(companion.nn.ArgumentTypeError, match=next(iter(kwargs))) as error:
        getattr(companion.nn, kind)(**arguments)
    assert isinstance(error.value, TypeError) and isinstance(error.value, ValueError)


def good_input(batch_first=False):
    return torch.zeros((2, 5, 3) if batch_first else (5, 2, 3))


@pytest.mark.parametrize(
    ("kind", "kwargs", "make_input", "make_hx", "match"),
    [
        ("RNN", {}, lambda: torch.zeros(5), None, r"input: expected a 3-D tensor"),
        ("GRU", {}, lambda: torch.zeros(5, 2, 4), None, r"D = input_size = 3 .*\(5, 2, 4\)"),
        ("LSTM", {}, lambda: torch.zeros(0, 2, 3), None, r"the sequences are empty \(T = 0\)"),
        ("GRU", {}, lambda: good_input().double(), None, "torch.float32 tensor .*torch.float64"),
        (
            "RNN",
            {},
            good_input,
            lambda: torch.zeros(1, 3, 4),
            r"hx: expected shape \(num_layers, B, H\) = \(1, 2, 4\), got \(1, 3, 4\)",
        ),
        ("GRU", {}, good_input, lambda: torch.zeros(1, 4), r"hx: expected shape .*got \(1, 4\)"),
        ("GRU", {}, good_input, lambda: torch.zeros(1, 2, 4).double(), "hx: .*torch.float64"),
        (
            "RNN",
            {},
            lambda: torch.zeros(5, 3),
            lambda: torch.zeros(1, 1, 4),
            r"hx: expected shape \(num_layers, H\) for unbatched input = \(1, 4\)",
        ),
        (
            "GRU",
            {"bidirectional": True},
            good_input,
            lambda: torch.zeros(1, 2, 4),
            r"hx: expected shape \(num_layers \* 2, B, H\) = \(2, 2, 4\), got \(1, 2, 4\)",
        ),
        (
            "LSTM",
            {"proj_size": 2},
            good_input,
            lambda: (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4)),
            r"hx \(h_0\): expected shape \(num_layers, B, proj_size\) = \(1, 2, 2\)",
        ),
        (
            "LSTM",
            {},
            lambda: pack_padded_sequence(torch.zeros(2, 4, 5), torch.tensor([4, 2]), True),
            None,
            r"PackedSequence `input`.*input_size = 3.*\(6, 5\)",
        ),
    ],
)
def test_forward_misuse_raises_the_exception_type_torch_raises(
    kind, kwargs, make_input, make_hx, match
):
    layers = [getattr(module, kind)(3, 4, **kwargs) for module in (torch.nn, companion.nn)]
    hx = make_hx() if make_hx else None
    with pytest.raises(Exception) as theirs:  # whatever torch raises
        layers[0](make_input(), hx)
    with pytest.raises(theirs.type, match=match) as ours:
        layers[1](make_input(), hx)
    # torch raises a ValueError for some of these and a RuntimeError for others; ours is both.
    assert isinstance(ours.value, companion.nn.RecurrentInputError)
    assert isinstance(ours.value, ValueError) and isinstance(ours.value, RuntimeError)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("shape", "batch_first", "match"),
    [
        ((5,), False, r"input: expected a 3-D tensor \(T, B, D\).*got shape \(5,\)"),
        ((2, 5, 3, 1), True, r"input: expected a 3-D tensor \(B, T, D\).*got shape \(2, 5, 3, 1\)"),
        ((5, 2, 4), False, r"input: .*D = input_size = 3.*got shape \(5, 2, 4\)"),
        ((5, 4), False, r"input: .*D = input_size = 3.*got shape \(5, 4\)"),
        ((0, 2, 3), False, r"input: the sequences are empty \(T = 0\)"),
        ((2, 0, 3), True, r"input: the sequences are empty \(T = 0\)"),
        ((0, 3), False, r"input: the sequences are empty \(T = 0\)"),
    ],
)
def test_bad_input_shapes(kind, shape, batch_first, match):
    layer = getattr(companion.nn, kind)(3, 4, batch_first=batch_first)
    with pytest.raises(ValueError, match=match):
        layer(torch.zeros(shape))


def test_input_of_another_dtype_or_device():
    layer = RNN(3, 4)
    with pytest.raises(
        ValueError,
        match=r"input: expected a torch.float32 tensor on cpu.*"
        r"got torch.float64 on cpu",
    ):
        layer(torch.zeros(5, 2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"input: .*got torch.int64"):
        layer(torch.zeros(5, 2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"input: .*on cpu.*got torch.float32 on meta"):
        layer(torch.zeros(5, 2, 3, device="meta"))


def test_input_that_is_not_a_tensor():
    with pytest.raises(
        TypeError, match="input: expected a torch.Tensor or a PackedSequence, got list"
    ):
        GRU(3, 4)([[0.0, 1.0, 2.0]])


def test_packed_input_with_wrong_features():
    packed = pack_padded_sequence(torch.zeros(2, 4, 5), torch.tensor([4, 2]), batch_first=True)
    with pytest.raises(ValueError, match=r"PackedSequence `input`.*input_size = 3.*\(6, 5\)"):
        LSTM(3, 4)(packed)


@pytest.mark.parametrize("kind", KINDS)
def test_hx_of_wrong_shape(kind):
    layer = getattr(companion.nn, kind)(3, 4, num_layers=2, batch_first=True)
    x = torch.zeros(6, 5, 3)  # B = 6, T = 5
    bad = torch.zeros(2, 5, 4)  # the batch size where T should be: a classic mistake
    hx = (bad, bad) if kind == "LSTM" else bad
    with pytest.raises(
        ValueError,
        match=r"hx.*expected shape \(num_layers, B, H\) = "
        r"\(2, 6, 4\), got \(2, 5, 4\)",
    ):
        layer(x, hx)


@pytest.mark.parametrize("kind", KINDS)
def test_hx_must_be_2d_for_unbatched_input(kind):
    layer = getattr(companion.nn, kind)(3, 4)
    hx = torch.zeros(1, 1, 4)
    with pytest.raises(
        ValueError,
        match=r"hx.*\(num_layers, H\) for unbatched input = "
        r"\(1, 4\), got \(1, 1, 4\)",
    ):
        layer(torch.zeros(5, 3), (hx, hx) if kind == "LSTM" else hx)


def test_hx_of_another_dtype_or_device():
    layer = GRU(3, 4)
    x = torch.zeros(5, 2, 3)
    with pytest.raises(
        ValueError,
        match=r"hx: expected a torch.float32 tensor on cpu like the "
        r"input, got torch.float64 on cpu",
    ):
        layer(x, torch.zeros(1, 2, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"hx: .*got torch.float32 on meta"):
        layer(x, torch.zeros(1, 2, 4, device="meta"))
    lstm = LSTM(3, 4)
    good, bad = torch.zeros(1, 2, 4), torch.zeros(1, 2, 4, dtype=torch.float16)
    with pytest.raises(ValueError, match=r"hx \(c_0\): .*got torch.float16"):
        lstm(x, (good, bad))


def test_hx_of_the_wrong_type():
    x = torch.zeros(5, 2, 3)
    with pytest.raises(
        TypeError,
        match=r"hx: expected a tuple \(h_0, c_0\) of two tensors, "
        r"got Tensor",
    ):
        LSTM(3, 4)(x, torch.zeros(1, 2, 4))
    with pytest.raises(TypeError, match=r"hx: expected a tuple \(h_0, c_0\).*tuple of length 1"):
        LSTM(3, 4)(x, (torch.zeros(1, 2, 4),))
    with pytest.raises(TypeError, match=r"hx: expected a torch.Tensor, got tuple"):
        RNN(3, 4)(x, (torch.zeros(1, 2, 4),))


# ------------------------------------------------------------------ module API


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize(
    ("kind", "extra"), [*CELLS, ("RNN", {"nonlinearity": "relu", "bias": False})]
)
def test_module_api_as_torch(kind, extra, bidirectional):
    ours, theirs = pair(kind, 3, 5, num_layers=2, bidirectional=bidirectional, **extra)
    for name in ("mode", "proj_size", "_flat_weights_names", "_all_weights"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert [[w.shape for w in ws] for ws in ours.all_weights] == [
        [w.shape for w in ws] for ws in theirs.all_weights
    ]
    for a, b in zip(ours._flat_weights, theirs._flat_weights, strict=True):
        assert torch.equal(a, b)
    for name, weight in zip(ours._flat_weights_names, ours._flat_weights, strict=True):
        assert weight is getattr(ours, name)  # the parameters themselves, not copies
    before = [p.clone() for p in ours.parameters()]
    assert ours.flatten_parameters() is None  # a no-op that changes nothing
    assert all(torch.equal(a, b) for a, b in zip(before, ours.parameters(), strict=True))


@pytest.mark.parametrize("kind", KINDS)
def test_weight_norm_parametrization_applies_as_in_torch(kind):
    ours, theirs = pair(kind, 3, 4, num_layers=2, bidirectional=True)
    for layer in (ours, theirs):
        torch.nn.utils.parametrizations.weight_norm(layer, "weight_hh_l1_reverse")
        with torch.no_grad():  # scale the magnitudes, so that ignoring them would show
            layer.parametrizations.weight_hh_l1_reverse.original0.mul_(3.0)
    index = ours._flat_weights_names.index("weight_hh_l1_reverse")
    # The weight as the parametrization computes it now (torch's list updates at forward).
    torch.testing.assert_close(ours._flat_weights[index], theirs.weight_hh_l1_reverse)
    x = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True)
    assert_parity(ours, theirs, x)  # gradients of original0 and original1 included


def test_torch_compile_gives_the_same_outputs_and_gradients():
    # aot_eager: the graph capture and autograd of torch.compile without code generation,
    # which here takes some 20 s (inductor's outputs then agree to rounding).
    torch.manual_seed(0)
    recurrent = LSTM(3, 6, num_layers=2, batch_first=True, bidirectional=True, proj_size=4)
    model = torch.nn.Sequential(recurrent, TakeOutput(), torch.nn.Linear(8, 2)).double()
    compiled = torch.compile(model, backend="aot_eager", fullgraph=True)
    x = torch.randn(2, 7, 3, dtype=torch.float64)
    results = []
    for module in (model, compiled):
        output = module(x)
        results.append((output, torch.autograd.grad(output.square().sum(), model.parameters())))
    torch.testing.assert_close(results[0][0], results[1][0], rtol=0, atol=1e-12)
    for a, b in zip(results[0][1], results[1][1], strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    torch._dynamo.reset()


class TakeOutput(torch.nn.Module):
    """``(output, state) -> output``: a recurrent layer inside ``nn.Sequential``."""

    def forward(self, result: tuple) -> torch.Tensor:
        return result[0]


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
@pytest.mark.filterwarnings("ignore:`torch.jit.:DeprecationWarning")  # deprecated in torch 2.13
@pytest.mark.filterwarnings("ignore:The TorchScript type system:UserWarning")
def test_torchscript_limits_said_in_the_docstring():
    # The module docstring says: script fails, a trace accepts only its traced length.
    layer = GRU(3, 4, bidirectional=True)
    with pytest.raises(Exception):  # noqa: B017 (TorchScript's own error types)
        torch.jit.script(layer)
    traced = torch.jit.trace(layer, (torch.randn(5, 2, 3),))
    x = torch.randn(5, 3, 3)  # another batch size: fine
    torch.testing.assert_close(traced(x)[0], layer(x)[0], rtol=0, atol=0)
    with pytest.raises(RuntimeError):  # another length: refused
        traced(torch.randn(6, 2, 3))
    assert "torch.jit.script`` fails" in companion.nn.recurrent.__doc__


# ------------------------------------------------------------------ CUDA


@pytest.mark.cuda
@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize(("kind", "extra"), CELLS, ids=CELL_IDS)
def test_parity_with_torch_on_cuda(kind, extra, bidirectional, packed):
    # float64: cuDNN and our kernels then agree closely (float32 may use TF32 matmuls).
    ours, theirs = pair(
        kind,
        8,
        16,
        num_layers=2,
        batch_first=True,
        bidirectional=bidirectional,
        device="cuda",
        **extra,
    )
    x = torch.randn(4, 9, 8, dtype=torch.float64, device="cuda", requires_grad=True)
    hx = initial_state(theirs, 4)
    lengths = torch.tensor([9, 3, 6, 1]) if packed else None
    assert_parity(ours, theirs, x, hx, tol=1e-8, lengths=lengths)
