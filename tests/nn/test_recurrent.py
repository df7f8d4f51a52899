"""companion.nn.RNN, LSTM and GRU against torch.nn.RNN, LSTM and GRU.

Parity means: given the same weights and input, the same outputs, final states and
gradients (of the input, of the initial state and of every parameter).
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence

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


def random_hx(kind: str, shape, dtype, device="cpu"):
    """An initial state that needs a gradient: a tensor, or a pair for the LSTM."""
    parts = tuple(
        torch.randn(shape, dtype=dtype, device=device, requires_grad=True)
        for _ in range(2 if kind == "LSTM" else 1)
    )
    return parts if kind == "LSTM" else parts[0]


def run_and_grad(layer, x, hx, weights):
    """Outputs, final states and the gradients of a fixed random linear function of both."""
    output, state = layer(x, hx)
    state = as_tuple(state)
    loss = (output * weights[0]).sum() + sum(
        (s * w).sum() for s, w in zip(state, weights[1:], strict=True)
    )
    leaves = [x, *as_tuple(hx if hx is not None else ()), *layer.parameters()]
    return output, state, torch.autograd.grad(loss, leaves)


def assert_parity(ours, theirs, x, hx=None, tol=1e-10):
    """Same outputs, final states and gradients from ``ours`` and ``theirs``."""
    out_t, state_t = theirs(x, hx)
    weights = [torch.randn_like(out_t), *(torch.randn_like(s) for s in as_tuple(state_t))]
    out_a, state_a, grads_a = run_and_grad(ours, x, hx, weights)
    out_b, state_b, grads_b = run_and_grad(theirs, x, hx, weights)
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
    hx = random_hx(kind, (num_layers, B, H), dtype) if with_hx else None
    assert_parity(ours, theirs, x, hx, tol=TOLERANCE[dtype])


@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_unbatched_input_gives_unbatched_output(kind, with_hx):
    T, D, H, L = 6, 3, 4, 2
    ours, theirs = pair(kind, D, H, num_layers=L)
    x = torch.randn(T, D, dtype=torch.float64, requires_grad=True)
    hx = random_hx(kind, (L, H), torch.float64) if with_hx else None
    output, state = ours(x, hx)
    assert output.shape == (T, H)
    assert all(s.shape == (L, H) for s in as_tuple(state))
    assert_parity(ours, theirs, x, hx)


@pytest.mark.parametrize("kind", KINDS)
def test_parity_without_bias(kind):
    ours, theirs = pair(kind, 3, 4, num_layers=2, bias=False, batch_first=True)
    assert not any("bias" in name for name, _ in ours.named_parameters())
    x = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
    assert_parity(ours, theirs, x, random_hx(kind, (2, 2, 4), torch.float64))


def test_rnn_with_relu_matches_torch():
    ours, theirs = pair("RNN", 3, 4, num_layers=2, nonlinearity="relu")
    x = torch.randn(6, 2, 3, dtype=torch.float64, requires_grad=True)
    assert_parity(ours, theirs, x, random_hx("RNN", (2, 2, 4), torch.float64))


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
    seed=st.integers(0, 2**16),
)
def test_parity_on_random_shapes(kind, B, T, D, H, num_layers, batch_first, bias, seed):
    ours, theirs = pair(
        kind, D, H, num_layers=num_layers, batch_first=batch_first, bias=bias, seed=seed
    )
    x = torch.randn(
        (B, T, D) if batch_first else (T, B, D), dtype=torch.float64, requires_grad=True
    )
    assert_parity(ours, theirs, x, random_hx(kind, (num_layers, B, H), torch.float64))


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_packed_sequences_match_torch(kind, enforce_sorted):
    B, T, D, H, L = 4, 6, 3, 5, 2
    lengths = torch.tensor([6, 4, 4, 1] if enforce_sorted else [2, 6, 1, 4])
    ours, theirs = pair(kind, D, H, num_layers=L, batch_first=True)
    x = torch.randn(B, T, D, dtype=torch.float64, requires_grad=True)
    hx = random_hx(kind, (L, B, H), torch.float64)
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
    ("cls", "kwargs", "error", "match"),
    [
        (LSTM, {"bidirectional": True}, NotImplementedError, "torch.nn.LSTM.*bidirectional"),
        (GRU, {"bidirectional": True}, NotImplementedError, "torch.nn.GRU.*bidirectional"),
        (LSTM, {"proj_size": 2}, NotImplementedError, "proj_size"),
        (RNN, {"nonlinearity": "sigmoid"}, ValueError, "nonlinearity.*'sigmoid'"),
        (GRU, {"hidden_size": 0}, ValueError, "hidden_size.*positive int.*0"),
        (GRU, {"input_size": 2.5}, ValueError, "input_size.*positive int.*2.5"),
        (RNN, {"num_layers": 0}, ValueError, "num_layers.*positive int.*0"),
        (LSTM, {"dropout": 1.5}, ValueError, r"dropout.*\[0, 1\].*1.5"),
    ],
)
def test_bad_constructor_arguments(cls, kwargs, error, match):
    arguments = {"input_size": 3, "hidden_size": 4, **kwargs}
    with pytest.raises(error, match=match):
        cls(**arguments)


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


# ------------------------------------------------------------------ CUDA


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("kind", KINDS)
def test_parity_with_torch_on_cuda(kind):
    # float64: cuDNN and our kernels then agree closely (float32 may use TF32 matmuls).
    ours, theirs = pair(kind, 8, 16, num_layers=2, batch_first=True, device="cuda")
    x = torch.randn(4, 9, 8, dtype=torch.float64, device="cuda", requires_grad=True)
    hx = random_hx(kind, (2, 4, 16), torch.float64, device="cuda")
    assert_parity(ours, theirs, x, hx, tol=1e-8)
