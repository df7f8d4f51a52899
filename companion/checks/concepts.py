"""Checkers for the exercises of chapter 2 (core concepts): batches, parameter counts, the
recurrent loop and how far back a model's output depends on its input."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from companion.checks._core import Case, checker, passed, require_function, type_name
from companion.scratch import RNN


def _pad_one_hot(seqs: list[list[int]], vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    steps = max((len(s) for s in seqs), default=0)
    x = np.zeros((len(seqs), steps, vocab_size))
    mask = np.zeros((len(seqs), steps), dtype=bool)
    for b, seq in enumerate(seqs):
        x[b, np.arange(len(seq)), seq] = 1.0
        mask[b, : len(seq)] = True
    return x, mask


@checker
def check_pad_one_hot(pad_one_hot: Callable) -> None:
    """Check ``pad_one_hot(seqs, vocab_size)``: one-hot ``x (B, T, V)`` and ``mask (B, T)``."""
    name = "pad_one_hot"
    require_function(pad_one_hot, name, ("seqs", "vocab_size"))
    cases = [
        ("three lengths", [[2, 0, 1], [1], [0, 2]], 3),
        ("B=1, T=1", [[4]], 5),
        ("equal lengths (no padding)", [[0, 1], [1, 0]], 2),
        ("V=1", [[0, 0, 0]], 1),
        ("an empty sequence in the batch", [[3, 1], [], [2, 2, 2, 2]], 4),
    ]
    for description, seqs, vocab_size in cases:
        case = Case(name, f"case '{description}' (seqs={seqs}, vocab_size={vocab_size})")
        got = case.run(pad_one_hot, [list(s) for s in seqs], vocab_size)
        x, mask = case.as_tuple(got, 2, "a pair (x, mask)", shown=type_name)
        want_x, want_mask = _pad_one_hot(seqs, vocab_size)
        case.close(
            "x",
            x,
            want_x,
            hint="x[b, t] is the one-hot vector of seqs[b][t], "
            "and all zeros where sequence b has no step t",
        )
        case.close(
            "mask",
            case.as_numbers(mask, "mask").astype(bool),
            want_mask,
            hint="mask[b, t] is True where sequence b has a step t, False in the padding",
        )
    passed(name, len(cases))


def _check_count(
    name: str,
    candidate: Callable,
    args: tuple[str, ...],
    cases: Sequence[tuple[int, ...]],
    formula: Callable[..., int],
) -> None:
    require_function(candidate, name, args)
    for values in cases:
        settings = ", ".join(f"{a}={v}" for a, v in zip(args, values, strict=True))
        case = Case(name, f"case {settings}")
        got = case.run(candidate, *values)
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
            raise case.fail(f"expected an int, got {type(got).__name__} {got!r}")
        case.close("the count", got, formula(*values), rtol=0, atol=0)
    passed(name, len(cases))


@checker
def check_count_rnn_parameters(count_rnn_parameters: Callable) -> None:
    """Check ``count_rnn_parameters(D, H, V)``: the size of ``W_xh, W_hh, b_h, W_hy, b_y``."""

    def formula(D: int, H: int, V: int) -> int:
        return sum(p.size for p in RNN(D, H, V).params.values())

    cases = [(3, 5, 4), (1, 1, 1), (100, 128, 100), (28, 64, 10)]
    _check_count("count_rnn_parameters", count_rnn_parameters, ("D", "H", "V"), cases, formula)


@checker
def check_count_window_parameters(count_window_parameters: Callable) -> None:
    """Check ``count_window_parameters(D, H, V, w)`` of the window network of the exercise."""

    def formula(D: int, H: int, V: int, w: int) -> int:
        return (w * D) * H + H + H * V + V

    cases = [(3, 5, 4, 2), (1, 1, 1, 1), (100, 128, 100, 10), (28, 64, 10, 50)]
    _check_count(
        "count_window_parameters", count_window_parameters, ("D", "H", "V", "w"), cases, formula
    )


def _forward(
    x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b_h: np.ndarray
) -> np.ndarray:
    D, H = W_xh.shape
    rnn = RNN(D, H, 1)
    rnn.params.update(W_xh=W_xh, W_hh=W_hh, b_h=b_h)
    return rnn.forward(x, h0)[1]


@checker
def check_rnn_forward(rnn_forward: Callable) -> None:
    """Check ``rnn_forward(x, h0, W_xh, W_hh, b_h)``: hidden states ``(B, T, H)``."""
    name = "rnn_forward"
    require_function(rnn_forward, name, ("x", "h0", "W_xh", "W_hh", "b_h"))
    rng = np.random.default_rng(3)
    cases = []
    for description, (B, T, D, H), h_scale, w_scale in [
        ("B=2, T=5, D=3, H=4, h0 = 0", (2, 5, 3, 4), 0.0, 0.5),
        ("B=1, T=1, D=1, H=1", (1, 1, 1, 1), 0.5, 0.5),
        ("B=3, T=6, D=2, H=5, h0 not zero", (3, 6, 2, 5), 0.8, 0.5),
        ("B=2, T=30, D=4, H=3, large weights", (2, 30, 4, 3), 0.3, 3.0),
    ]:
        args = (
            rng.normal(size=(B, T, D)),
            h_scale * rng.normal(size=(B, H)),
            w_scale * rng.normal(size=(D, H)),
            w_scale * rng.normal(size=(H, H)),
            0.1 * rng.normal(size=H),
        )
        cases.append((description, args))
    for description, args in cases:
        case = Case(name, f"case '{description}'")
        got = case.run(rnn_forward, *(a.copy() for a in args))
        want = _forward(*args)
        got_array = case.as_numbers(got, "the hidden states")
        hint = "hs[:, t] is h_{t+1} = tanh(x[:, t] @ W_xh + h_t @ W_hh + b_h), starting from h0"
        if got_array.shape == want.shape:
            wrong = ~np.isclose(got_array, want, rtol=1e-7, atol=1e-10).all(axis=(0, 2))
            if wrong.any():
                first = int(np.argmax(wrong))
                hint = f"the first wrong time step is hs[:, {first}]" + (
                    "; the steps before it are right: is the new hidden state carried "
                    "into the next step?"
                    if first > 0
                    else ""
                )
        case.close("the hidden states", got_array, want, hint=hint)
    passed(name, len(cases))


def _sensitivity(model: Callable, x: np.ndarray, k: int, eps: float) -> np.ndarray:
    nudged = x.copy()
    nudged[:, k] += eps
    return np.abs(model(nudged) - model(x)).max(axis=(0, 2)) / eps


@checker
def check_sensitivity(sensitivity: Callable) -> None:
    """Check ``sensitivity(model, x, k, eps)``: how much each output step responds to step k."""
    name = "sensitivity"
    require_function(sensitivity, name, ("model", "x", "k"))
    rng = np.random.default_rng(4)
    rnn = RNN(3, 4, 2, seed=0)

    def window_sum(x: np.ndarray) -> np.ndarray:  # y_t = x_{t-2} + x_{t-1} + x_t
        padded = np.concatenate([np.zeros_like(x[:, :2]), x], axis=1)
        return padded[:, 2:] + padded[:, 1:-1] + padded[:, :-2]

    models = [
        ("identity: y_t = x_t", lambda x: 1.0 * x, 8, 3),
        ("running sum: y_t = x_1 + ... + x_t", lambda x: np.cumsum(x, axis=1), 8, 2),
        ("window of 3: y_t = x_(t-2) + x_(t-1) + x_t", window_sum, 8, 4),
        ("looks ahead: y_t = x_(t+1)", lambda x: np.roll(x, -1, axis=1), 8, 5),
        ("a tanh RNN's logits", lambda x: rnn.forward(x)[0], 10, 1),
        ("T=1, k=0, a tanh RNN", lambda x: rnn.forward(x)[0], 1, 0),
        ("k = T - 1 (the last step)", lambda x: np.cumsum(x, axis=1), 6, 5),
    ]
    for description, model, steps, k in models:
        case = Case(name, f"case '{description}', T={steps}, k={k}")
        x = rng.normal(size=(2, steps, 3))
        before = x.copy()
        got = case.run(sensitivity, model, x, k)
        case.unchanged("x", before, x)
        case.close(
            "the sensitivity",
            got,
            _sensitivity(model, before, k, 1e-6),
            rtol=1e-3,
            atol=1e-5,
            hint="one number per output step t: the largest change of "
            "the output at step t, over the batch and the output features, divided by eps",
        )
    passed(name, len(models))
