"""Checkers for the exercises of chapter 5 (PyTorch): a GRU cell forward and backward, beam
search, per-class recall, recursive forecasting and additive attention.

The references are PyTorch's own modules (``torch.nn.GRUCell``) and autograd in float64, or
short loops written independently of the solutions. torch is imported only when a checker
runs, so that importing :mod:`companion.checks` stays NumPy-only.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from companion.checks._core import (
    as_dict,
    as_numbers,
    as_tuple,
    assert_all_close,
    assert_close,
    assert_inputs_unchanged,
    assert_unchanged,
    fail,
    numpy_copies,
    passed,
    require_function,
    run,
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


def _gru_case(rng: np.random.Generator, B: int, D: int, H: int, scale: float, zero_h: bool):
    x = rng.normal(size=(B, D))
    h = np.zeros((B, H)) if zero_h else np.tanh(rng.normal(size=(B, H)))
    params = {
        "weight_ih": scale * rng.normal(size=(3 * H, D)),
        "weight_hh": scale * rng.normal(size=(3 * H, H)),
        "bias_ih": 0.5 * rng.normal(size=3 * H),
        "bias_hh": 0.5 * rng.normal(size=3 * H),
    }
    return x, h, params


def _torch_gru_cell(x: np.ndarray, h: np.ndarray, params: dict, dh: np.ndarray | None = None):
    """``torch.nn.GRUCell`` in float64 with these weights: ``h_new`` and, given ``dh``, grads."""
    torch = torch_module()
    cell = torch.nn.GRUCell(x.shape[1], h.shape[1], dtype=torch.float64)
    with torch.no_grad():
        for key, value in params.items():
            getattr(cell, key).copy_(torch.tensor(value))
    xt = torch.tensor(x, requires_grad=True)
    ht = torch.tensor(h, requires_grad=True)
    h_new = cell(xt, ht)
    if dh is None:
        return h_new.detach().numpy(), None
    (h_new * torch.tensor(dh)).sum().backward()
    grads = {"x": xt.grad.numpy(), "h": ht.grad.numpy()}
    grads |= {key: getattr(cell, key).grad.numpy() for key in params}
    return h_new.detach().numpy(), grads


def _gru_inputs(x, h, params) -> tuple[Any, Any, dict]:
    return (
        tensor_argument(x),
        tensor_argument(h),
        {k: tensor_argument(v) for k, v in params.items()},
    )


def check_gru_cell(gru_cell: Callable) -> None:
    """Check ``gru_cell(x, h, params)``: one GRU step, as ``torch.nn.GRUCell`` computes it."""
    name = "gru_cell"
    require_function(gru_cell, name, ("x", "h", "params"))
    rng = np.random.default_rng(50)
    for case, sizes, scale, zero_h in GRU_CASES:
        x, h, params = _gru_case(rng, *sizes, scale, zero_h)
        want, _ = _torch_gru_cell(x, h, params)
        label = f"case '{case}'"
        xt, ht, pt = _gru_inputs(x, h, params)
        inputs = {"x": xt, "h": ht} | {f"params[{k!r}]": v for k, v in pt.items()}
        before = numpy_copies(inputs)
        got = run(name, label, gru_cell, xt, ht, pt)
        assert_inputs_unchanged(name, label, before, inputs)
        assert_close(
            name,
            label,
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


def check_gru_cell_backward(gru_cell_backward: Callable) -> None:
    """Check ``gru_cell_backward(dh_new, x, h, params)`` against autograd in float64."""
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
    for case, sizes, scale, zero_h in GRU_CASES:
        x, h, params = _gru_case(rng, *sizes, scale, zero_h)
        dh = rng.normal(size=h.shape)
        _, want = _torch_gru_cell(x, h, params, dh)
        label = f"case '{case}'"
        xt, ht, pt = _gru_inputs(x, h, params)
        dht = tensor_argument(dh)
        got = run(name, label, gru_cell_backward, dht, xt, ht, pt)
        got = as_dict(name, label, got, list(hints), "the result")
        assert_all_close(name, label, "the gradient {key!r}", got, want, hint=hints)
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


def _beam_reference(model: Callable, beam_size: int, max_len: int, eos_id: int):
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


def exhaustive_best(model: Callable, vocab_size: int, max_len: int, eos_id: int):
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


def check_beam_search(beam_search: Callable) -> None:
    """Check ``beam_search(next_log_probs, beam_size, max_len, eos_id)``: ``(tokens, score)``."""
    name = "beam_search"
    require_function(beam_search, name, ("next_log_probs", "beam_size", "max_len", "eos_id"))
    trap = _DictModel(  # tokens: 0 = <eos>, 1, 2; greedy takes 1, the better output starts with 2
        {(): [0.05, 0.55, 0.40], (1,): [0.35, 0.33, 0.32], (2,): [0.95, 0.03, 0.02]},
        [0.90, 0.05, 0.05],
    )
    cases = [
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
    for case, make_model, beam_size, max_len, eos_id in cases:
        label = f"case '{case}' (beam_size={beam_size}, max_len={max_len}, eos_id={eos_id})"
        model = make_model if isinstance(make_model, _DictModel) else make_model()
        want_tokens, want_score = _beam_reference(model, beam_size, max_len, eos_id)
        model.calls.clear()
        got = run(name, label, beam_search, model, beam_size, max_len, eos_id)
        tokens, score = as_tuple(name, label, got, 2, "a pair (tokens, score)")
        extended = [c for c in model.calls if eos_id in c]
        if extended:
            raise fail(
                name,
                label,
                f"your search asked the model to continue {list(extended[0])}, which already "
                f"ends with <eos> (id {eos_id})",
                "a hypothesis that has produced <eos> is finished: keep it as it is, with its "
                "score, and let it compete with the others",
            )
        try:
            tokens = [int(t) for t in (tokens.tolist() if hasattr(tokens, "tolist") else tokens)]
        except (TypeError, ValueError):
            raise fail(
                name, label, f"tokens should be a list of ints, got {tokens!r:.60}"
            ) from None
        if tokens != want_tokens:
            raise fail(
                name,
                label,
                f"expected the tokens {want_tokens} (log-probability {want_score:.4f}), got "
                f"{tokens}",
                "the score of a hypothesis is the sum of the log-probabilities of its tokens; "
                "at each step pool every extension of every unfinished hypothesis with the "
                "finished ones, and keep the beam_size best of the pool",
            )
        assert_close(
            name,
            label,
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


def assert_close_nan(
    name: str, case: str, what: str, got: object, expected: np.ndarray, *, hint: str = ""
) -> None:
    """:func:`assert_close` where ``expected`` may hold NaN, which ``got`` must match."""
    array = as_numbers(got, name, case, what).astype(np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if array.shape == expected.shape:
        should, does = np.isnan(expected), np.isnan(array)
        if (should != does).any():
            index = tuple(int(i) for i in np.argwhere(should != does)[0])
            want = "NaN" if should[index] else f"{expected[index]:.6g}"
            where = ", ".join(str(i) for i in index)
            raise fail(name, case, f"{what}[{where}]: expected {want}, got {array[index]}", hint)
        array, expected = np.where(should, 0.0, array), np.where(should, 0.0, expected)
    assert_close(name, case, what, array, expected, rtol=1e-9, atol=1e-12, hint=hint)


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
    for case, logits, labels, num_classes in cases:
        label = f"case '{case}'"
        predicted = logits.argmax(axis=1)
        want = np.array(
            [
                (predicted[labels == k] == k).mean() if (labels == k).any() else np.nan
                for k in range(num_classes)
            ]
        )
        got = run(
            name,
            label,
            per_class_recall,
            tensor_argument(logits),
            tensor_argument(labels, "int64"),
            num_classes,
        )
        assert_close_nan(
            name,
            label,
            "the recalls",
            got,
            want,
            hint="recall of class k: among the examples whose label is k, the share predicted "
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


def check_recursive_forecast(recursive_forecast: Callable) -> None:
    """Check ``recursive_forecast(model, window, horizon)``: ``(B, horizon)`` forecasts."""
    name = "recursive_forecast"
    require_function(recursive_forecast, name, ("model", "window", "horizon"))
    torch = torch_module()
    from companion.nn.forecaster import Forecaster

    rng = np.random.default_rng(53)
    torch.manual_seed(53)
    gru = Forecaster(1, 8, 1).double().eval()
    cases = [
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
    for case, model, window, horizon in cases:
        label = f"case '{case}'"
        given = tensor_argument(window)
        want = _recursive_reference(model, tensor_argument(window), horizon)
        got = run(name, label, recursive_forecast, model, given, horizon)
        assert_unchanged(name, label, "the window", window, given.detach().numpy())
        assert_close(
            name,
            label,
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


def _attention_reference(query, keys, mask, params) -> tuple[np.ndarray, np.ndarray]:
    energy = np.tanh(keys @ params["W_k"] + params["b"] + (query @ params["W_q"])[:, None, :])
    scores = np.where(mask, energy @ params["v"], -np.inf)
    scores = scores - scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("bs,bsk->bk", weights, keys), weights


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
    for case, (B, S, H, K, A), lengths in cases:
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
        label = f"case '{case}'"
        got = run(
            name,
            label,
            additive_attention,
            tensor_argument(query),
            tensor_argument(keys),
            tensor_argument(mask, "bool"),
            {k: tensor_argument(v) for k, v in params.items()},
        )
        context, weights = as_tuple(name, label, got, 2, "a pair (context, weights)")
        assert_close(
            name,
            label,
            "the weights",
            weights,
            want_weights,
            rtol=1e-9,
            atol=1e-12,
            hint="score_j = tanh(query W_q + keys_j W_k + b) . v; set the scores of padded "
            "positions to -inf *before* the softmax over the source positions, so that the "
            "weights of the real positions sum to 1 and the padding gets exactly 0",
        )
        assert_close(
            name,
            label,
            "the context",
            context,
            want_context,
            rtol=1e-9,
            atol=1e-9,
            hint="the context is the weighted mean of the keys, (B, K)",
        )
    passed(name, len(cases))
