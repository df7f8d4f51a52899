"""Checkers for the exercises of chapter 5 (PyTorch): a GRU cell forward and backward, beam
search, per-class recall, recursive forecasting, additive attention, perplexity, a stacked
GRU with dropout between layers, bits per character with unknown words paid for, and a
bidirectional GRU over a padded batch.

The references are PyTorch's own modules (``torch.nn.GRUCell``, ``torch.nn.GRU`` with
``num_layers`` or ``bidirectional=True`` on packed sequences) and autograd in float64, or
short loops written independently of the solutions. torch is imported only when a checker
runs, so that importing :mod:`companion.checks` stays NumPy-only.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import math
import string
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import numpy as np

from companion.checks._core import (
    Case,
    checker,
    numpy_copies,
    passed,
    require_function,
    tensor_argument,
    torch_module,
)

# ---------------------------------------------------------------- the GRU cell

GRU_KEYS = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
GRU_CASES = [
    ("B=3, D=4, H=5", (3, 4, 5), 0.5, False),
    ("B=1, D=1, H=1", (1, 1, 1), 0.8, False),
    ("h = 0 (the first step)", (2, 3, 4), 0.5, True),
    ("B=4, D=2, H=3, saturated gates", (4, 2, 3), 3.0, False),
    ("B=6, D=7, H=2", (6, 7, 2), 0.5, False),
]


def _gru_case(
    rng: np.random.Generator, B: int, D: int, H: int, scale: float, zero_h: bool
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    x = rng.normal(size=(B, D))
    h = np.zeros((B, H)) if zero_h else np.tanh(rng.normal(size=(B, H)))
    params = {
        "weight_ih": scale * rng.normal(size=(3 * H, D)),
        "weight_hh": scale * rng.normal(size=(3 * H, H)),
        "bias_ih": 0.5 * rng.normal(size=3 * H),
        "bias_hh": 0.5 * rng.normal(size=3 * H),
    }
    return x, h, params


def _torch_gru_cell(
    x: np.ndarray, h: np.ndarray, params: dict[str, np.ndarray], dh: np.ndarray | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``torch.nn.GRUCell`` in float64 with these weights: ``h_new`` and, given ``dh``, grads
    (``{}`` without ``dh``)."""
    torch = torch_module()
    cell = torch.nn.GRUCell(x.shape[1], h.shape[1], dtype=torch.float64)
    with torch.no_grad():
        for key, value in params.items():
            getattr(cell, key).copy_(torch.tensor(value))
    xt = torch.tensor(x, requires_grad=True)
    ht = torch.tensor(h, requires_grad=True)
    h_new = cell(xt, ht)
    if dh is None:
        return h_new.detach().numpy(), {}
    (h_new * torch.tensor(dh)).sum().backward()
    grads = {"x": xt.grad.numpy(), "h": ht.grad.numpy()}
    grads |= {key: getattr(cell, key).grad.numpy() for key in params}
    return h_new.detach().numpy(), grads


def _gru_inputs(
    x: np.ndarray, h: np.ndarray, params: dict[str, np.ndarray]
) -> tuple[Any, Any, dict[str, Any]]:
    return (
        tensor_argument(x),
        tensor_argument(h),
        {k: tensor_argument(v) for k, v in params.items()},
    )


@checker
def check_gru_cell(gru_cell: Callable) -> None:
    """Check ``gru_cell(x, h, params)``: one GRU step, as ``torch.nn.GRUCell`` computes it."""
    name = "gru_cell"
    require_function(gru_cell, name, ("x", "h", "params"))
    rng = np.random.default_rng(50)
    for description, sizes, scale, zero_h in GRU_CASES:
        x, h, params = _gru_case(rng, *sizes, scale, zero_h)
        want, _ = _torch_gru_cell(x, h, params)
        case = Case(name, f"case '{description}'")
        xt, ht, pt = _gru_inputs(x, h, params)
        inputs = {"x": xt, "h": ht} | {f"params[{k!r}]": v for k, v in pt.items()}
        before = numpy_copies(inputs)
        got = case.run(gru_cell, xt, ht, pt)
        case.tensors_unchanged(before, inputs)
        case.close(
            "the new hidden state",
            got,
            want,
            rtol=1e-9,
            atol=1e-12,
            hint="the rows of each weight come in the order r, z, n (H rows each); the reset "
            "gate multiplies h W_hn^T + b_hn, bias included; z is the share of the *old* "
            "state that is kept",
        )
    passed(name, len(GRU_CASES))


# Where autograd computes gradients: switched off while a hand-derived backward pass runs.
AUTOGRAD_ENTRY_POINTS = {
    "torch.autograd": ("grad", "backward"),
    "torch.Tensor": ("backward",),
    "torch.autograd.functional": ("jacobian", "hessian", "vjp", "jvp", "vhp", "hvp"),
    "torch.func": ("grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd"),
}


@contextlib.contextmanager
def autograd_switched_off() -> Iterator[list[str]]:
    """Within the block, no gradient is recorded (``torch.no_grad``) and every entry point of
    autograd raises ``RuntimeError``; yields the list of the ones that were called."""
    torch = torch_module()
    called: list[str] = []

    def switched_off(where: str) -> Callable:
        def refuse(*args: Any, **kwargs: Any) -> None:
            called.append(where)
            raise RuntimeError(
                f"{where} is switched off here: this exercise asks for the gradients derived "
                "by hand, with tensor operations only"
            )

        return refuse

    with contextlib.ExitStack() as stack:
        for module, attributes in AUTOGRAD_ENTRY_POINTS.items():
            owner = torch.Tensor if module == "torch.Tensor" else importlib.import_module(module)
            for attribute in attributes:
                where = f"{module}.{attribute}"
                stack.enter_context(mock.patch.object(owner, attribute, switched_off(where)))
        stack.enter_context(torch.no_grad())
        yield called


@checker
def check_gru_cell_backward(gru_cell_backward: Callable) -> None:
    """Check ``gru_cell_backward(dh_new, x, h, params)`` against autograd in float64, with
    autograd switched off while the candidate runs."""
    name = "gru_cell_backward"
    require_function(gru_cell_backward, name, ("dh_new", "x", "h", "params"))
    rng = np.random.default_rng(51)
    hints = {
        "x": "x reaches h_new through the three pre-activations of the input side, "
        "x W_ih^T + b_ih: stack their gradients (r, z, n) and multiply by W_ih",
        "h": "h reaches h_new four ways: directly (times z), and through the r, z and n "
        "pre-activations of the hidden side; in the n block the gradient is multiplied by r",
        "weight_ih": "(3H, D): the stacked gradients of the input-side pre-activations, "
        "transposed, times x, summed over the minibatch",
        "weight_hh": "(3H, H): like weight_ih, with h in place of x and, in the n block, "
        "the gradient of (h W_hn^T + b_hn), which is r times that of n's pre-activation",
        "bias_ih": "the sum over the minibatch of the gradients of the input-side pre-activations",
        "bias_hh": "b_hn sits inside the reset gate's product, so its gradient carries the "
        "factor r; b_hr and b_hz do not",
    }
    for description, sizes, scale, zero_h in GRU_CASES:
        x, h, params = _gru_case(rng, *sizes, scale, zero_h)
        dh = rng.normal(size=h.shape)
        _, want = _torch_gru_cell(x, h, params, dh)
        case = Case(name, f"case '{description}'")
        xt, ht, pt = _gru_inputs(x, h, params)
        dht = tensor_argument(dh)
        with autograd_switched_off() as called:
            got = case.run(gru_cell_backward, dht, xt, ht, pt)
        if called:  # the RuntimeError was caught inside the candidate
            raise case.fail(
                f"your function called {called[0]}, which this exercise rules out",
                "derive the gradients by the chain rule and compute them with tensor operations",
            )
        got = case.as_dict(got, list(hints), "the result")
        case.all_close("the gradient {key!r}", got, want, hint=hints)
    passed(name, len(GRU_CASES))


# ---------------------------------------------------------------- beam search


class _TableModel:
    """A next-token model for beam search: log-probabilities from a fixed random table.

    The distribution after a prefix depends on its length and its last token. It records
    every prefix it is asked about, so that a checker can tell when a finished hypothesis
    (one that contains ``<eos>``) was extended.
    """

    def __init__(self, vocab_size: int, max_len: int, seed: int, sharpness: float = 2.0) -> None:
        torch = torch_module()
        generator = torch.Generator().manual_seed(seed)
        logits = sharpness * torch.randn(
            max_len + 1, vocab_size + 1, vocab_size, generator=generator, dtype=torch.float64
        )
        self.table = torch.log_softmax(logits, dim=-1)
        self.vocab_size = vocab_size
        self.calls: list[tuple[int, ...]] = []

    def __call__(self, prefix: Any) -> Any:
        tokens = tuple(int(t) for t in prefix)
        self.calls.append(tokens)
        last = tokens[-1] if tokens else self.vocab_size
        return self.table[min(len(tokens), len(self.table) - 1), last].clone()

    def __repr__(self) -> str:
        return (
            f"a next-token model over {self.vocab_size} tokens whose log-probabilities, drawn "
            "at random, depend on the prefix's length and last token: .table[length, last] "
            "holds them (for the empty prefix, last is the number of tokens)"
        )


class _DictModel:
    """A next-token model given as ``{prefix: probabilities}``; any other prefix: ``default``."""

    def __init__(self, table: dict[tuple[int, ...], list[float]], default: list[float]) -> None:
        self.table, self.default = table, default
        self.calls: list[tuple[int, ...]] = []

    def __call__(self, prefix: Any) -> Any:
        torch = torch_module()
        tokens = tuple(int(t) for t in prefix)
        self.calls.append(tokens)
        return torch.tensor(self.table.get(tokens, self.default), dtype=torch.float64).log()

    def __repr__(self) -> str:
        after = "; ".join(f"after {prefix}: {probs}" for prefix, probs in self.table.items())
        return (
            f"a next-token model that returns the logarithms of the probabilities {after}; "
            f"after any other prefix: {self.default}"
        )


def _beam_reference(
    model: Callable, beam_size: int, max_len: int, eos_id: int
) -> tuple[list[int], float]:
    """Beam search as the exercise defines it, written as plainly as possible."""
    beams: list[tuple[tuple[int, ...], float, bool]] = [((), 0.0, False)]
    for _ in range(max_len):
        pool = []
        for tokens, score, done in beams:
            if done:
                pool.append((tokens, score, True))
                continue
            for token, logp in enumerate(model(tokens).tolist()):
                pool.append((tokens + (token,), score + logp, token == eos_id))
        pool.sort(key=lambda beam: -beam[1])
        beams = pool[:beam_size]
        if all(done for _, _, done in beams):
            break
    tokens, score, _ = beams[0]
    return list(tokens), score


def exhaustive_best(
    model: Callable, vocab_size: int, max_len: int, eos_id: int
) -> tuple[list[int], float]:
    """The most probable output of all (every sequence that ends with eos or has max_len);
    the tests hold the reference to it when the beam keeps every hypothesis."""
    best: tuple[list[int], float] = ([], -math.inf)
    for length in range(1, max_len + 1):
        for tokens in itertools.product(range(vocab_size), repeat=length):
            if eos_id in tokens[:-1] or (length < max_len and tokens[-1] != eos_id):
                continue
            score = sum(float(model(tokens[:i])[t]) for i, t in enumerate(tokens))
            if score > best[1]:
                best = (list(tokens), score)
    return best


@checker
def check_beam_search(beam_search: Callable) -> None:
    """Check ``beam_search(next_log_probs, beam_size, max_len, eos_id)``: ``(tokens, score)``."""
    name = "beam_search"
    require_function(beam_search, name, ("next_log_probs", "beam_size", "max_len", "eos_id"))
    trap = _DictModel(  # tokens: 0 = <eos>, 1, 2; greedy takes 1, the better output starts with 2
        {(): [0.05, 0.55, 0.40], (1,): [0.35, 0.33, 0.32], (2,): [0.95, 0.03, 0.02]},
        [0.90, 0.05, 0.05],
    )
    # (case, the model or a function that makes it, beam_size, max_len, eos_id)
    cases: list[tuple[str, _DictModel | Callable[[], _TableModel], int, int, int]] = [
        ("greedy misses the best output, beam_size=1", trap, 1, 3, 0),
        ("greedy misses the best output, beam_size=2", trap, 2, 3, 0),
        ("V=5, beam_size=1 (greedy)", lambda: _TableModel(5, 6, 1), 1, 6, 0),
        ("V=6, beam_size=3, max_len=8", lambda: _TableModel(6, 8, 2), 3, 8, 0),
        ("V=4, beam_size=2, eos_id=3", lambda: _TableModel(4, 7, 3), 2, 7, 3),
        ("max_len=1", lambda: _TableModel(4, 1, 4), 2, 1, 0),
        ("beam_size=10 > V=4", lambda: _TableModel(4, 3, 5), 10, 3, 1),
        ("eos likely at once (a flat table)", lambda: _TableModel(5, 6, 6, 0.5), 3, 6, 0),
        ("beam_size=100: every hypothesis kept", lambda: _TableModel(3, 4, 7), 100, 4, 0),
    ]
    for description, make_model, beam_size, max_len, eos_id in cases:
        case = Case(
            name,
            f"case '{description}' (beam_size={beam_size}, max_len={max_len}, eos_id={eos_id})",
        )
        model = make_model if isinstance(make_model, _DictModel) else make_model()
        want_tokens, want_score = _beam_reference(model, beam_size, max_len, eos_id)
        model.calls.clear()
        got = case.run(beam_search, model, beam_size, max_len, eos_id)
        tokens, score = case.as_tuple(got, 2, "a pair (tokens, score)")
        extended = [c for c in model.calls if eos_id in c]
        if extended:
            raise case.fail(
                f"your search asked the model to continue {list(extended[0])}, which already "
                f"ends with <eos> (id {eos_id})",
                "a hypothesis that has produced <eos> is finished: keep it as it is, with its "
                "score, and let it compete with the others",
            )
        try:
            tokens = [int(t) for t in (tokens.tolist() if hasattr(tokens, "tolist") else tokens)]
        except (TypeError, ValueError):
            raise case.fail(f"tokens should be a list of ints, got {tokens!r:.60}") from None
        if tokens != want_tokens:
            raise case.fail(
                f"expected the tokens {want_tokens} (log-probability {want_score:.4f}), got "
                f"{tokens}",
                "the score of a hypothesis is the sum of the log-probabilities of its tokens; "
                "at each step pool every extension of every unfinished hypothesis with the "
                "finished ones, and keep the beam_size best of the pool",
            )
        case.close(
            "the score",
            score,
            want_score,
            rtol=1e-9,
            atol=1e-12,
            hint="the score is the sum of the log-probabilities of the returned tokens, "
            "<eos> included",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- per-class recall


def _close_nan(case: Case, what: str, got: object, expected: np.ndarray, hint: str) -> None:
    """:meth:`Case.close` where ``expected`` may hold NaN, which ``got`` must match.

    A float32 (or float16) result is held to its own precision: a share of counts is as
    right in float32 as in float64.
    """
    array = case.as_numbers(got, what)
    rtol = (
        1e-9
        if array.dtype.kind != "f" or array.dtype.itemsize >= 8
        else 10 * np.finfo(array.dtype).eps
    )
    array = array.astype(np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if array.shape == expected.shape:
        should, does = np.isnan(expected), np.isnan(array)
        if (should != does).any():
            index = tuple(int(i) for i in np.argwhere(should != does)[0])
            want = "NaN" if should[index] else f"{expected[index]:.6g}"
            where = ", ".join(str(i) for i in index)
            raise case.fail(f"{what}[{where}]: expected {want}, got {array[index]}", hint)
        array, expected = np.where(should, 0.0, array), np.where(should, 0.0, expected)
    case.close(what, array, expected, rtol=rtol, atol=1e-12, hint=hint)


@checker
def check_per_class_recall(per_class_recall: Callable) -> None:
    """Check ``per_class_recall(logits, labels, num_classes)``: ``(C,)``, NaN for absent classes."""
    name = "per_class_recall"
    require_function(per_class_recall, name, ("logits", "labels", "num_classes"))
    rng = np.random.default_rng(52)
    cases = [
        ("B=40, C=4", rng.normal(size=(40, 4)), rng.integers(0, 4, 40), 4),
        ("B=1, C=3", rng.normal(size=(1, 3)), np.array([2]), 3),
        ("class 1 of 3 never occurs", rng.normal(size=(12, 3)), rng.choice([0, 2], 12), 3),
        (
            "C=2, every prediction class 0",
            np.column_stack([np.ones(7), np.zeros(7)]),
            np.array([0, 1, 1, 0, 1, 1, 1]),
            2,
        ),
        (
            "unbalanced: 30 of class 0, 3 of class 1",
            rng.normal(size=(33, 2)),
            np.r_[[0] * 30, [1] * 3],
            2,
        ),
    ]
    for description, logits, labels, num_classes in cases:
        case = Case(name, f"case '{description}'")
        predicted = logits.argmax(axis=1)
        want = np.array(
            [
                (predicted[labels == k] == k).mean() if (labels == k).any() else np.nan
                for k in range(num_classes)
            ]
        )
        got = case.run(
            per_class_recall, tensor_argument(logits), tensor_argument(labels, "int64"), num_classes
        )
        _close_nan(
            case,
            "the recalls",
            got,
            want,
            "recall of class k: among the examples whose label is k, the share predicted "
            "as k (the argmax of their logits); NaN for a class without examples",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- recursive forecasting


class _LinearAR:
    """A one-step model that reads exactly ``T`` values: ``x_{T-1..0} . w + c``."""

    def __init__(self, weights: np.ndarray, bias: float) -> None:
        self.weights, self.bias = tensor_argument(weights), bias

    def __call__(self, window: Any) -> Any:
        if window.ndim != 3 or window.shape[1:] != (len(self.weights), 1):
            raise ValueError(
                f"this model reads windows (B, {len(self.weights)}, 1), got {tuple(window.shape)}"
            )
        return window[:, :, 0].double() @ self.weights[:, None] + self.bias


class _LastPlusOne:
    """A one-step model that forecasts the window's last value plus 1."""

    def __call__(self, window: Any) -> Any:
        return window[:, -1, :] + 1.0


def _recursive_reference(model: Callable, window: Any, horizon: int) -> np.ndarray:
    torch = torch_module()
    window, out = window.clone(), []
    with torch.no_grad():
        for _ in range(horizon):
            step = model(window).reshape(window.shape[0], 1)
            out.append(step)
            window = torch.cat([window[:, 1:], step.reshape(-1, 1, 1).to(window.dtype)], dim=1)
    return torch.cat(out, dim=1).double().numpy()


@checker
def check_recursive_forecast(recursive_forecast: Callable) -> None:
    """Check ``recursive_forecast(model, window, horizon)``: ``(B, horizon)`` forecasts."""
    name = "recursive_forecast"
    require_function(recursive_forecast, name, ("model", "window", "horizon"))
    torch = torch_module()
    from companion.nn.forecaster import Forecaster

    rng = np.random.default_rng(53)
    torch.manual_seed(53)
    gru = Forecaster(1, 8, 1).double().eval()
    cases: list[tuple[str, Callable[[Any], Any], np.ndarray, int]] = [
        ("last value + 1, B=2, T=3, horizon 4", _LastPlusOne(), rng.normal(size=(2, 3, 1)), 4),
        (
            "a linear model of the last 5 values, B=3, horizon 6",
            _LinearAR(rng.normal(size=5) * 0.4, 0.1),
            rng.normal(size=(3, 5, 1)),
            6,
        ),
        ("a GRU forecaster, B=4, T=10, horizon 5", gru, rng.normal(size=(4, 10, 1)), 5),
        ("horizon 1", _LinearAR(np.array([0.3, -0.2, 0.9]), 0.0), rng.normal(size=(2, 3, 1)), 1),
        ("T=1, horizon 3", _LinearAR(np.array([0.8]), 0.5), rng.normal(size=(2, 1, 1)), 3),
        ("B=1, horizon 8", _LinearAR(np.array([0.5, 0.5]), -0.1), rng.normal(size=(1, 2, 1)), 8),
    ]
    for description, model, window, horizon in cases:
        case = Case(name, f"case '{description}'")
        given = tensor_argument(window)
        want = _recursive_reference(model, tensor_argument(window), horizon)
        got = case.run(recursive_forecast, model, given, horizon)
        case.unchanged("the window", window, given.detach().numpy())
        case.close(
            "the forecasts",
            got,
            want,
            rtol=1e-9,
            atol=1e-12,
            hint="forecast one step, then slide the window: drop its oldest value and append "
            "the forecast at the end, so that it always holds T values; repeat horizon "
            "times and return (B, horizon)",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- additive attention


def _attention_reference(
    query: np.ndarray, keys: np.ndarray, mask: np.ndarray, params: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    energy = np.tanh(keys @ params["W_k"] + params["b"] + (query @ params["W_q"])[:, None, :])
    scores = np.where(mask, energy @ params["v"], -np.inf)
    scores = scores - scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("bs,bsk->bk", weights, keys), weights


@checker
def check_additive_attention(additive_attention: Callable) -> None:
    """Check ``additive_attention(query, keys, mask, params)``: ``(context, weights)``."""
    name = "additive_attention"
    require_function(additive_attention, name, ("query", "keys", "mask", "params"))
    rng = np.random.default_rng(54)
    cases = [
        ("B=3, S=5, lengths 5, 2, 1", (3, 5, 4, 6, 3), [5, 2, 1]),
        ("S=1", (2, 1, 3, 2, 4), [1, 1]),
        ("B=1, no padding", (1, 6, 2, 3, 5), [6]),
        ("B=2, S=4, H=K=A=1", (2, 4, 1, 1, 1), [3, 4]),
    ]
    for description, (B, S, H, K, A), lengths in cases:
        mask = np.arange(S)[None, :] < np.array(lengths)[:, None]
        keys = rng.normal(size=(B, S, K))
        keys[~mask] = 1e4  # padding that must not count
        query = rng.normal(size=(B, H))
        params = {
            "W_q": rng.normal(size=(H, A)),
            "W_k": rng.normal(size=(K, A)),
            "b": 0.1 * rng.normal(size=A),
            "v": rng.normal(size=A),
        }
        want_context, want_weights = _attention_reference(query, keys, mask, params)
        case = Case(name, f"case '{description}'")
        got = case.run(
            additive_attention,
            tensor_argument(query),
            tensor_argument(keys),
            tensor_argument(mask, "bool"),
            {k: tensor_argument(v) for k, v in params.items()},
        )
        context, weights = case.as_tuple(got, 2, "a pair (context, weights)")
        case.close(
            "the weights",
            weights,
            want_weights,
            rtol=1e-9,
            atol=1e-12,
            hint="score_j = tanh(query W_q + keys_j W_k + b) . v; set the scores of padded "
            "positions to -inf *before* the softmax over the source positions, so that the "
            "weights of the real positions sum to 1 and the padding gets exactly 0",
        )
        case.close(
            "the context",
            context,
            want_context,
            rtol=1e-9,
            atol=1e-9,
            hint="the context is the weighted mean of the keys, (B, K)",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- perplexity


def _perplexity_reference(
    logits: np.ndarray, targets: np.ndarray, mask: np.ndarray
) -> tuple[float, float]:
    """Bits per real token and perplexity, from a stable log-softmax in NumPy."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    nats = -np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    bits = nats[mask].mean() / math.log(2)
    return bits, 2.0**bits


@checker
def check_perplexity(perplexity: Callable) -> None:
    """Check ``perplexity(logits, targets, mask)``: ``(bits per token, perplexity)``."""
    name = "perplexity"
    require_function(perplexity, name, ("logits", "targets", "mask"))
    rng = np.random.default_rng(55)
    cases = [  # (case, V, lengths, T, scale of the logits)
        ("B=2, T=5, V=7, lengths 5 and 2", 7, [5, 2], 5, 1.0),
        ("B=1, no padding, V=4", 4, [6], 6, 1.0),
        ("rows of lengths 6, 1 and 3", 5, [6, 1, 3], 6, 2.0),
        ("uniform logits: the perplexity is V = 9", 9, [4, 2], 5, 0.0),
        ("V=2, lengths 3 and 8", 2, [3, 8], 8, 1.5),
        ("a confident model: logits of size 400", 6, [5, 3], 5, 400.0),
    ]
    for description, V, lengths, T, scale in cases:
        case = Case(name, f"case '{description}'")
        mask = np.arange(T)[None, :] < np.array(lengths)[:, None]
        logits = scale * rng.normal(size=(len(lengths), T, V))
        targets = rng.integers(0, V, size=(len(lengths), T))
        targets[~mask] = 0  # the padding's target, which a model learns to predict easily
        logits[~mask] = rng.normal(size=(int((~mask).sum()), V))
        logits[~mask, 0] += 8.0
        want_bits, want_ppl = _perplexity_reference(logits, targets, mask)
        inputs = {
            "logits": tensor_argument(logits),
            "targets": tensor_argument(targets, "int64"),
            "mask": tensor_argument(mask, "bool"),
        }
        before = numpy_copies(inputs)
        got = case.run(perplexity, *inputs.values())
        case.tensors_unchanged(before, inputs)
        bits, ppl = case.as_tuple(got, 2, "a pair (bits per token, perplexity)")
        case.close(
            "the bits per token",
            bits,
            want_bits,
            rtol=1e-9,
            atol=1e-12,
            hint="the mean of -log2 p(target) over the real tokens only (mask True), each "
            "token counted once: not a mean of the rows' means, and no padding; bits = nats "
            "/ ln 2; log_softmax keeps a very small probability from becoming log(0)",
        )
        case.close(
            "the perplexity",
            ppl,
            want_ppl,
            rtol=1e-9,
            atol=1e-12,
            hint="perplexity = 2 ** (bits per token) = e ** (nats per token)",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- a stacked GRU with dropout


def _gru_layers(rng: np.random.Generator, D: int, H: int, L: int) -> list:
    """``L`` one-layer ``torch.nn.GRU`` (float64, batch-first) with random weights."""
    torch = torch_module()
    layers = []
    for layer_index in range(L):
        layer = torch.nn.GRU(D if layer_index == 0 else H, H, batch_first=True, dtype=torch.float64)
        with torch.no_grad():
            for param in layer.parameters():
                param.copy_(torch.tensor(0.6 * rng.normal(size=tuple(param.shape))))
        layers.append(layer)
    return layers


def _stacked_reference(x: Any, layers: list, masks: list | None) -> tuple[np.ndarray, np.ndarray]:
    """The stack as a loop over layers and steps of ``torch.nn.GRUCell``s with the weights."""
    torch = torch_module()
    B, T, _ = x.shape
    finals = []
    with torch.no_grad():
        inputs = x
        for layer_index, layer in enumerate(layers):
            cell = torch.nn.GRUCell(layer.input_size, layer.hidden_size, dtype=torch.float64)
            for key in GRU_KEYS:
                getattr(cell, key).copy_(getattr(layer, f"{key}_l0"))
            if masks is not None and layer_index > 0:
                inputs = inputs * masks[layer_index - 1]
            h, steps = torch.zeros(B, layer.hidden_size, dtype=torch.float64), []
            for t in range(T):
                h = cell(inputs[:, t], h)
                steps.append(h)
            inputs = torch.stack(steps, dim=1)
            finals.append(h)
    return inputs.numpy(), torch.stack(finals).numpy()


def _torch_stacked(x: Any, layers: list) -> tuple[np.ndarray, np.ndarray]:
    """``torch.nn.GRU(num_layers=L)`` given the weights of the one-layer ``layers``."""
    torch = torch_module()
    first = layers[0]
    stacked = torch.nn.GRU(
        first.input_size,
        first.hidden_size,
        num_layers=len(layers),
        batch_first=True,
        dtype=torch.float64,
    )
    with torch.no_grad():
        for layer_index, layer in enumerate(layers):
            for key in GRU_KEYS:
                getattr(stacked, f"{key}_l{layer_index}").copy_(getattr(layer, f"{key}_l0"))
        output, h_n = stacked(x)
    return output.numpy(), h_n.numpy()


@checker
def check_stacked_gru(stacked_gru: Callable) -> None:
    """Check ``stacked_gru(x, layers, masks)``: ``(output (B, T, H), h_n (L, B, H))``."""
    name = "stacked_gru"
    require_function(stacked_gru, name, ("x", "layers", "masks"))
    torch = torch_module()
    rng = np.random.default_rng(56)
    cases = [  # (case, B, T, D, H, L, dropout rate or None: no masks)
        ("L=2, B=3, T=5, D=3, H=4, no masks", 3, 5, 3, 4, 2, None),
        ("L=3, B=2, T=6, D=5, H=3, no masks", 2, 6, 5, 3, 3, None),
        ("L=1, no masks", 2, 4, 3, 4, 1, None),
        ("L=2, masks with p = 0.5", 3, 5, 3, 4, 2, 0.5),
        ("L=3, B=1, masks with p = 0.3", 1, 7, 2, 5, 3, 0.3),
        ("L=2, T=1, masks with p = 0.5", 4, 1, 3, 2, 2, 0.5),
        ("L=1, masks = [] (no connection between layers)", 2, 3, 2, 3, 1, 0.5),
    ]
    for description, B, T, D, H, L, p in cases:
        case = Case(name, f"case '{description}'")
        layers = _gru_layers(rng, D, H, L)
        x = rng.normal(size=(B, T, D))
        masks = None
        if p is not None:
            masks = [(rng.random(size=(B, T, H)) >= p) / (1 - p) for _ in range(L - 1)]
        if masks is None:
            want_output, want_h_n = _torch_stacked(tensor_argument(x), layers)
        else:
            want_output, want_h_n = _stacked_reference(
                tensor_argument(x), layers, [tensor_argument(m) for m in masks]
            )
        given = {"x": tensor_argument(x)}
        if masks is not None:
            given |= {f"masks[{i}]": tensor_argument(m) for i, m in enumerate(masks)}
        before = numpy_copies(given)
        given_masks = None if masks is None else [given[f"masks[{i}]"] for i in range(L - 1)]
        with torch.no_grad():
            got = case.run(stacked_gru, given["x"], layers, given_masks)
        case.tensors_unchanged(before, given)
        output, h_n = case.as_tuple(got, 2, "a pair (output, h_n)")
        case.close(
            "the output",
            output,
            want_output,
            rtol=1e-9,
            atol=1e-12,
            hint="layer l + 1 reads the outputs of layer l at every step, multiplied by "
            "masks[l] (the masks are already scaled); the mask acts on what goes *up* to the "
            "next layer, never on the state a layer carries from step to step, and the top "
            "layer's output is returned as it is",
        )
        case.close(
            "h_n",
            h_n,
            want_h_n,
            rtol=1e-9,
            atol=1e-12,
            hint="h_n[l] is the last state of layer l, (L, B, H), the first layer first, as "
            "torch.nn.GRU(num_layers=L) returns it",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- words: bits per character


class _Speller:
    """A spelling cost: ``bits_per_char`` per character, 1 more per vowel, and ``end``."""

    def __init__(self, bits_per_char: float, end: float) -> None:
        self.bits_per_char, self.end = bits_per_char, end

    def __call__(self, token: str) -> float:
        return self.bits_per_char * len(token) + sum(c in "aeiou" for c in token) + self.end


@checker
def check_bits_per_character(bits_per_character: Callable) -> None:
    """Check ``bits_per_character(token_bits, tokens, unknown, spelling_bits)``: a number."""
    name = "bits_per_character"
    require_function(bits_per_character, name, ("token_bits", "tokens", "unknown", "spelling_bits"))
    from companion.data.words import SpellingModel, tokenise

    rng = np.random.default_rng(57)
    training = "Return the value of x. The value is rounded to the nearest integer.\n"
    sentence = tokenise("Return the value of x, rounded away from zero.")
    spelling = SpellingModel(training, alphabet=string.printable).bits
    # (case, tokens, the indices of the unknown tokens, the spelling model)
    cases: list[tuple[str, list[str], list[int], Callable[[str], float]]] = [
        ("a sentence with two unknown words", sentence, [6, 7], spelling),
        ("no unknown token", sentence, [], spelling),
        ("every token unknown", tokenise("Frobnicate the widgets."), [0, 1, 2, 3], _Speller(5, 2)),
        ("one token, unknown", [" frobnicated"], [0], _Speller(4.5, 3)),
        (
            "line breaks and indentation are tokens too",
            tokenise("def f(x):\n    return x\n"),
            [1, 7],
            _Speller(6, 1),
        ),
    ]
    torch = torch_module()
    for description, tokens, unknown_at, speller in cases:
        case = Case(name, f"case '{description}'")
        token_bits = rng.uniform(0.5, 12.0, size=len(tokens))
        unknown = np.zeros(len(tokens), dtype=bool)
        unknown[unknown_at] = True
        spelt = sum(speller(t) for t, u in zip(tokens, unknown, strict=True) if u)
        want = (token_bits.sum() + spelt) / sum(len(t) for t in tokens)
        given = {
            "token_bits": tensor_argument(token_bits),
            "unknown": tensor_argument(unknown, "bool"),
        }
        before = numpy_copies(given)
        with torch.no_grad():
            got = case.run(
                bits_per_character, given["token_bits"], list(tokens), given["unknown"], speller
            )
        case.tensors_unchanged(before, given)
        case.close(
            "the bits per character",
            got,
            want,
            rtol=1e-9,
            atol=1e-12,
            hint="the bits for the whole text are the model's bits for every token (for an "
            "unknown token, those of <unk>) plus, for each unknown token only, "
            "spelling_bits(token); divide by the number of characters of all the tokens, "
            "spaces and line breaks included",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- a bidirectional GRU


def _bidirectional_reference(x: Any, lengths: Any, forward: Any, backward: Any) -> np.ndarray:
    """``torch.nn.GRU(bidirectional=True)`` with the two layers' weights, on packed input."""
    torch = torch_module()
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    both = torch.nn.GRU(
        forward.input_size,
        forward.hidden_size,
        batch_first=True,
        bidirectional=True,
        dtype=torch.float64,
    )
    with torch.no_grad():
        for key in GRU_KEYS:
            getattr(both, f"{key}_l0").copy_(getattr(forward, f"{key}_l0"))
            getattr(both, f"{key}_l0_reverse").copy_(getattr(backward, f"{key}_l0"))
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        output, _ = pad_packed_sequence(both(packed)[0], batch_first=True, total_length=x.shape[1])
    return output.numpy()


@checker
def check_bidirectional_gru(bidirectional_gru: Callable) -> None:
    """Check ``bidirectional_gru(x, lengths, forward, backward)``: ``(B, T, 2H)``."""
    name = "bidirectional_gru"
    require_function(bidirectional_gru, name, ("x", "lengths", "forward", "backward"))
    torch = torch_module()
    rng = np.random.default_rng(58)
    cases = [  # (case, lengths, T, D, H)
        ("B=3, T=6, lengths 6, 4, 2", [6, 4, 2], 6, 3, 4),
        ("lengths not sorted: 2, 5, 3", [2, 5, 3], 5, 2, 3),
        ("no padding, B=2", [4, 4], 4, 3, 2),
        ("rows of length 1 among longer ones", [1, 5, 1], 5, 2, 3),
        ("B=1, T=1", [1], 1, 2, 3),
        ("D=1, H=1, lengths 7, 3", [7, 3], 7, 1, 1),
    ]
    for description, lengths, T, D, H in cases:
        case = Case(name, f"case '{description}'")
        forward, backward = (_gru_layers(rng, D, H, 1)[0] for _ in range(2))
        real = np.arange(T)[None, :] < np.array(lengths)[:, None]
        x = rng.normal(size=(len(lengths), T, D))
        x[~real] = 3.0 + rng.normal(size=(int((~real).sum()), D))  # padding that must not count
        want = _bidirectional_reference(
            tensor_argument(x), tensor_argument(np.array(lengths), "int64"), forward, backward
        )
        given = {"x": tensor_argument(x), "lengths": tensor_argument(np.array(lengths), "int64")}
        before = numpy_copies(given)
        with torch.no_grad():
            got = case.run(bidirectional_gru, given["x"], given["lengths"], forward, backward)
        case.tensors_unchanged(before, given)
        array = case.as_numbers(got, "the output")
        if array.shape != want.shape:
            raise case.fail(
                f"the output has shape {tuple(array.shape)}, expected {want.shape} (B, T, 2H)",
                "the forward states and the backward states side by side at every step",
            )
        case.close(
            "output[..., :H] (the forward half) at the real steps",
            np.where(real[..., None], array[..., :H], want[..., :H]),
            want[..., :H],
            rtol=1e-9,
            atol=1e-12,
            hint="the forward layer's outputs come first, the backward layer's second, as in "
            "torch.nn.GRU(bidirectional=True)",
        )
        case.close(
            "output[..., H:] (the backward half) at the real steps",
            np.where(real[..., None], array[..., H:], want[..., H:]),
            want[..., H:],
            rtol=1e-9,
            atol=1e-12,
            hint="the backward layer must start at each row's last *real* step: reverse each "
            "row within its own length (flipping the padded batch puts the padding first), "
            "run the layer, and put its outputs back in the original order, so that step t "
            "holds the backward state of step t",
        )
        case.close(
            "the output at the padded steps",
            np.where(real[..., None], 0.0, array),
            np.zeros_like(want),
            rtol=1e-9,
            atol=1e-12,
            hint="zeros at the padded steps, as pad_packed_sequence gives",
        )
    passed(name, len(cases))
