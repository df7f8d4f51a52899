"""Checkers for the exercises of chapter 6 (future work): the adding problem and the copy
task, a peephole LSTM cell, the lengths after a convolution (CRNN), causal self-attention,
a parallel scan for linear recurrences, and the gradients of data-parallel training.

References are PyTorch's modules and functions (``torch.nn.LSTMCell``,
``torch.nn.functional.conv1d``, ``scaled_dot_product_attention``), autograd, or plain loops;
the data generators are checked by the properties their definition fixes, and by
statistics over many draws.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable
from typing import Any

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

# ---------------------------------------------------------------- the adding problem


def _generator(seed: int) -> Any:
    return torch_module().Generator().manual_seed(seed)


def _draw_twice(case: Case, candidate: Callable, *args: Any) -> tuple:
    """Two calls with generators seeded alike (the global seed changed in between) and one
    with another seed; fail unless the first two agree and the third differs."""
    torch = torch_module()
    torch.manual_seed(1)
    first = case.run(candidate, *args, _generator(7))
    torch.manual_seed(2)
    again = case.run(candidate, *args, _generator(7))
    other = case.run(candidate, *args, _generator(8))
    return first, again, other


def _same(a: Any, b: Any) -> bool:
    try:
        return all(
            np.array_equal(
                np.asarray(x.detach() if hasattr(x, "detach") else x),
                np.asarray(y.detach() if hasattr(y, "detach") else y),
            )
            for x, y in zip(a, b, strict=True)
        )
    except (TypeError, ValueError):
        return False


def _check_seeding(case: Case, first: Any, again: Any, other: Any, random: bool = True) -> None:
    """Fail unless ``first`` equals ``again`` and (for random data) differs from ``other``."""
    if not _same(first, again):
        raise case.fail(
            "two calls with generators seeded alike gave different data",
            "draw every random number from the generator you are given (torch.rand(..., "
            "generator=generator)), never from torch's global generator",
        )
    if random and _same(first, other):
        raise case.fail(
            "two calls with generators seeded differently gave the same data",
            "use the generator you are given, not one of your own with a fixed seed",
        )


@checker
def check_adding_problem(adding_problem: Callable) -> None:
    """Check ``adding_problem(batch_size, T, generator)``: ``x (B, T, 2)`` and ``y (B,)``."""
    name = "adding_problem"
    require_function(adding_problem, name, ("batch_size", "T", "generator"))
    cases = [(4, 10), (1, 2), (3, 3), (2, 101), (20_000, 20)]
    for B, T in cases:
        case = Case(name, f"case batch_size={B}, T={T}")
        first, again, other = _draw_twice(case, adding_problem, B, T)
        x, y = case.as_tuple(first, 2, "a pair (x, y)")
        x = case.as_numbers(x, "x").astype(np.float64)
        y = case.as_numbers(y, "y").astype(np.float64)
        if x.shape != (B, T, 2) or y.shape != (B,):
            raise case.fail(
                f"x has shape {x.shape} and y {y.shape}, expected {(B, T, 2)} and {(B,)}"
            )
        values, markers = x[..., 0], x[..., 1]
        if values.min() < 0 or values.max() > 1:
            raise case.fail(
                f"the values x[..., 0] should lie in [0, 1], got values from {values.min():.3g} "
                f"to {values.max():.3g}",
                "draw them uniformly (torch.rand)",
            )
        if not np.isin(markers, (0.0, 1.0)).all() or not (markers.sum(axis=1) == 2).all():
            raise case.fail(
                f"every row of x[..., 1] should hold exactly two 1s and zeros elsewhere; row 0 "
                f"is {markers[0][:12].tolist()}{' ...' if T > 12 else ''}"
            )
        half = T // 2
        first_pos = markers[:, :half].argmax(axis=1)
        if not (markers[:, :half].sum(axis=1) == 1).all():
            raise case.fail(
                f"one marker lies in the first half (steps 0 to {half - 1}) and one in the "
                "second; some row has both in the same half"
            )
        case.close(
            "y",
            y,
            (values * markers).sum(axis=1),
            rtol=1e-5,
            atol=1e-6,
            hint="the target is the sum of the two values whose marker is 1",
        )
        _check_seeding(case, first, again, other)
        if B >= 10_000:  # the distributions, from many draws
            second_pos = markers[:, half:].argmax(axis=1)
            checks = [
                ("the mean of the values", values.mean(), 0.5, 0.01, "uniform on [0, 1]"),
                ("the variance of the values", values.var(), 1 / 12, 0.003, "uniform on [0, 1]"),
                (
                    "the share of rows whose first marker is at step 0",
                    (first_pos == 0).mean(),
                    1 / half,
                    0.02,
                    "each position of the first half equally likely",
                ),
                (
                    "the share of rows whose second marker is at the last step",
                    (second_pos == T - half - 1).mean(),
                    1 / (T - half),
                    0.02,
                    "each position of the second half equally likely",
                ),
                ("the mean of y", y.mean(), 1.0, 0.02, "two uniform values: mean 1"),
            ]
            for what, got, want, tolerance, hint in checks:
                if abs(got - want) > tolerance:
                    raise case.fail(f"{what} is {got:.4f}, expected {want:.4f}", hint)
    passed(name, len(cases))


@checker
def check_copy_task(copy_task: Callable) -> None:
    """Check ``copy_task(batch_size, length, delay, num_symbols, generator)``: ``(x, y)``, with
    the ids of ``companion.data.synthetic.copy_task``: symbols ``0 .. num_symbols - 1``, the
    blank ``num_symbols``, the delimiter ``num_symbols + 1``."""
    name = "copy_task"
    require_function(copy_task, name, ("batch_size", "length", "delay", "num_symbols", "generator"))
    cases = [(3, 4, 6, 5), (5, 3, 20, 2), (2, 10, 1, 8), (1, 1, 1, 1), (20_000, 2, 3, 4)]
    for B, L, delay, K in cases:
        case = Case(name, f"case batch_size={B}, length={L}, delay={delay}, num_symbols={K}")
        first, again, other = _draw_twice(case, copy_task, B, L, delay, K)
        x, y = case.as_tuple(first, 2, "a pair (x, y)")
        x, y = case.as_numbers(x, "x"), case.as_numbers(y, "y")
        T = 2 * L + delay
        for what, array in (("x", x), ("y", y)):
            if array.dtype.kind not in "iu":
                raise case.fail(f"{what} should hold integer ids, got dtype {array.dtype}")
            if array.shape != (B, T):
                raise case.fail(
                    f"{what} has shape {array.shape}, expected (B, 2 * length + delay) = {(B, T)}"
                )
        symbols = x[:, :L]
        if symbols.min() < 0 or symbols.max() > K - 1:
            raise case.fail(
                f"the first {L} inputs should be symbols 0 to {K - 1}, got values from "
                f"{symbols.min()} to {symbols.max()}",
                "num_symbols is the blank and num_symbols + 1 the delimiter",
            )
        if K > 1 and symbols.size >= 10 and (symbols == symbols.flat[0]).all():
            raise case.fail(
                f"all {symbols.size} symbols are {symbols.flat[0]}; with num_symbols={K} they "
                "should vary",
                "look at the range you draw the symbols from: torch.randint(low, high, ...) "
                "never returns high",
            )
        blank, delimiter = K, K + 1
        want_x = np.full((B, T), blank, dtype=np.int64)
        want_x[:, :L] = symbols
        want_x[:, L + delay - 1] = delimiter
        want_y = np.full((B, T), blank, dtype=np.int64)
        want_y[:, L + delay :] = symbols
        hint = (
            "x: the symbols, delay - 1 blanks, the delimiter, length blanks; y: blanks until "
            "the step after the delimiter, then the symbols again; the blank is num_symbols "
            "and the delimiter num_symbols + 1"
        )
        case.close("x", x, want_x, rtol=0, atol=0, hint=hint)
        case.close("y", y, want_y, rtol=0, atol=0, hint=hint)
        _check_seeding(case, first, again, other, random=K > 1)
        if B >= 10_000:
            shares = np.bincount(symbols.ravel(), minlength=K) / symbols.size
            if np.abs(shares - 1 / K).max() > 0.01:
                raise case.fail(
                    f"the symbols 0 to {K - 1} occur with the shares "
                    f"{np.round(shares, 3).tolist()}, expected {1 / K:.3f} each",
                    "draw each symbol uniformly from 0 to num_symbols - 1",
                )
    passed(name, len(cases))


# ---------------------------------------------------------------- the peephole LSTM

PEEPHOLE_KEYS = ["weight_ih", "weight_hh", "bias", "w_ci", "w_cf", "w_co"]


def _peephole_reference(
    x: np.ndarray, h: np.ndarray, c: np.ndarray, p: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    def sigmoid(a: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-a))

    pre = x @ p["weight_ih"].T + h @ p["weight_hh"].T + p["bias"]
    a_i, a_f, a_g, a_o = np.split(pre, 4, axis=1)
    i = sigmoid(a_i + p["w_ci"] * c)
    f = sigmoid(a_f + p["w_cf"] * c)
    c_new = f * c + i * np.tanh(a_g)
    o = sigmoid(a_o + p["w_co"] * c_new)
    return o * np.tanh(c_new), c_new


def peephole_case(
    rng: np.random.Generator, B: int, D: int, H: int, peep: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Inputs of a peephole case: ``x, h, c`` and the parameters (``peep`` scales w_c*)."""
    x, h = rng.normal(size=(B, D)), np.tanh(rng.normal(size=(B, H)))
    c = 2.0 * rng.normal(size=(B, H))
    params = {
        "weight_ih": 0.5 * rng.normal(size=(4 * H, D)),
        "weight_hh": 0.5 * rng.normal(size=(4 * H, H)),
        "bias": 0.3 * rng.normal(size=4 * H),
    }
    params |= {key: peep * rng.normal(size=H) for key in ("w_ci", "w_cf", "w_co")}
    return x, h, c, params


@checker
def check_peephole_lstm_cell(peephole_lstm_cell: Callable) -> None:
    """Check ``peephole_lstm_cell(x, state, params)``: the new ``(h, c)``."""
    name = "peephole_lstm_cell"
    require_function(peephole_lstm_cell, name, ("x", "state", "params"))
    rng = np.random.default_rng(60)
    cases = [
        ("B=3, D=4, H=5", (3, 4, 5), 1.0),
        ("B=1, D=1, H=1", (1, 1, 1), 1.0),
        ("peepholes zero: an ordinary LSTM cell", (2, 3, 4), 0.0),
        ("strong peepholes", (4, 2, 3), 3.0),
    ]
    for description, sizes, peep in cases:
        x, h, c, params = peephole_case(rng, *sizes, peep)
        want_h, want_c = _peephole_reference(x, h, c, params)
        case = Case(name, f"case '{description}'")
        inputs = {"x": tensor_argument(x), "h": tensor_argument(h), "c": tensor_argument(c)}
        inputs |= {f"params[{k!r}]": tensor_argument(v) for k, v in params.items()}
        before = numpy_copies(inputs)
        got = case.run(
            peephole_lstm_cell,
            inputs["x"],
            (inputs["h"], inputs["c"]),
            {k: inputs[f"params[{k!r}]"] for k in params},
        )
        case.tensors_unchanged(before, inputs)
        h_new, c_new = case.as_tuple(got, 2, "a pair (h, c)")
        case.close(
            "the new cell state c",
            c_new,
            want_c,
            rtol=1e-9,
            atol=1e-12,
            hint="the input and forget gates look at the *previous* cell state: "
            "sigma(pre_i + w_ci * c_prev), sigma(pre_f + w_cf * c_prev); rows of the weights "
            "in the order i, f, g, o",
        )
        case.close(
            "the new hidden state h",
            h_new,
            want_h,
            rtol=1e-9,
            atol=1e-12,
            hint="the output gate is computed after the cell state and looks at the *new* one: "
            "sigma(pre_o + w_co * c_new)",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- lengths after a convolution


@checker
def check_conv_output_lengths(conv_output_lengths: Callable) -> None:
    """Check ``conv_output_lengths(lengths, kernel_size, stride, padding, dilation)``."""
    name = "conv_output_lengths"
    require_function(
        conv_output_lengths, name, ("lengths", "kernel_size", "stride", "padding", "dilation")
    )
    torch = torch_module()
    cases = [(3, 1, 1, 1), (3, 2, 0, 1), (5, 2, 2, 1), (3, 1, 0, 2), (4, 3, 1, 2), (1, 1, 0, 1)]
    for k, s, p, d in cases:
        case = Case(name, f"case kernel_size={k}, stride={s}, padding={p}, dilation={d}")
        shortest = max(1, d * (k - 1) + 1 - 2 * p)  # the shortest input the layer accepts
        lengths = np.array([shortest, shortest + 1, 17, 8, 1 + shortest + 2 * s, 30])
        weight = torch.zeros(1, 1, k)
        want = [
            torch.nn.functional.conv1d(
                torch.zeros(1, 1, int(n)), weight, stride=s, padding=p, dilation=d
            ).shape[-1]
            for n in lengths
        ]
        given = tensor_argument(lengths, "int64")
        got = case.run(conv_output_lengths, given, k, s, p, d)
        case.unchanged("lengths", lengths, given.numpy())
        array = case.as_numbers(got, "the lengths")
        if array.dtype.kind not in "iu":
            raise case.fail(
                f"the lengths should be integers (pack_padded_sequence needs them), got dtype "
                f"{array.dtype}",
                "use integer (floor) division",
            )
        case.close(
            f"the lengths (for inputs of lengths {lengths.tolist()})",
            array,
            np.array(want),
            rtol=0,
            atol=0,
            hint="count the positions where the kernel, spread over dilation * (kernel_size - "
            "1) + 1 steps, fits inside the input padded on both sides, moving stride steps "
            "at a time",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- causal self-attention


@checker
def check_causal_attention(causal_attention: Callable) -> None:
    """Check ``causal_attention(x, params)``: one head of causal scaled dot-product attention."""
    name = "causal_attention"
    require_function(causal_attention, name, ("x", "params"))
    torch = torch_module()
    rng = np.random.default_rng(61)
    cases = [
        ("B=2, T=5, D=4, d_k=3, d_v=2", (2, 5, 4, 3, 2), 1.0),
        ("T=1", (3, 1, 4, 2, 2), 1.0),
        ("B=1, T=7, scores in the hundreds", (1, 7, 3, 4, 3), 6.0),
        ("D=d_k=d_v=1", (2, 6, 1, 1, 1), 1.0),
    ]
    for description, (B, T, D, dk, dv), scale in cases:
        x = scale * rng.normal(size=(B, T, D))
        params = {
            "W_q": scale * rng.normal(size=(D, dk)),
            "W_k": scale * rng.normal(size=(D, dk)),
            "W_v": rng.normal(size=(D, dv)),
        }
        xt = tensor_argument(x)
        q, k, v = (xt @ tensor_argument(params[key]) for key in ("W_q", "W_k", "W_v"))
        want = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).numpy()
        case = Case(name, f"case '{description}'")
        given = {key: tensor_argument(value) for key, value in params.items()}
        got = case.run(causal_attention, xt.clone(), given)
        case.close(
            "the output",
            got,
            want,
            rtol=1e-9,
            atol=1e-12,
            hint="scores Q K^T / sqrt(d_k), with the scores of keys *after* the query's step "
            "set to -inf (a step may attend to itself), a softmax over the keys, times V",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- the parallel scan


def _scan_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    h, out = np.zeros_like(b[:, 0]), np.empty_like(b)
    for t in range(b.shape[1]):
        h = a[:, t] * h + b[:, t]
        out[:, t] = h
    return out


class CountingTorchCalls:
    """``function``, counting the torch functions and tensor methods its calls make in
    ``.calls``."""

    def __init__(self, function: Callable) -> None:
        functools.update_wrapper(self, function)
        self.function, self.calls = function, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from torch.overrides import TorchFunctionMode

        counter = self

        class Counting(TorchFunctionMode):
            def __torch_function__(
                self,
                func: Callable[..., Any],
                types: Any,
                args: tuple[Any, ...] = (),
                kwargs: dict[str, Any] | None = None,
            ) -> Any:
                counter.calls += 1
                return func(*args, **(kwargs or {}))

        with Counting():
            return self.function(*args, **kwargs)


@checker
def check_linear_scan(linear_scan: Callable) -> None:
    """Check ``linear_scan(a, b)``: ``h_t = a_t * h_{t-1} + b_t`` from ``h_{-1} = 0``, in
    O(log T) rounds of whole-tensor operations."""
    name = "linear_scan"
    require_function(linear_scan, name, ("a", "b"))
    rng = np.random.default_rng(62)
    cases = [
        ("B=2, T=8, H=3", rng.uniform(0.5, 1.0, (2, 8, 3)), rng.normal(size=(2, 8, 3))),
        ("T=1", rng.uniform(0.5, 1.0, (3, 1, 2)), rng.normal(size=(3, 1, 2))),
        ("T=2", rng.uniform(0.5, 1.0, (1, 2, 1)), rng.normal(size=(1, 2, 1))),
        ("T=7 (not a power of two)", rng.uniform(-1, 1, (2, 7, 2)), rng.normal(size=(2, 7, 2))),
        (
            "some a_t = 0 (the state is reset)",
            rng.uniform(0, 1, (2, 13, 2)) * (rng.uniform(size=(2, 13, 2)) > 0.3),
            rng.normal(size=(2, 13, 2)),
        ),
        ("negative a_t", rng.uniform(-1.0, -0.2, (2, 9, 3)), rng.normal(size=(2, 9, 3))),
        (
            "T=2000, a_t in (0.05, 0.95): the products underflow",
            rng.uniform(0.05, 0.95, (2, 2000, 2)),
            rng.normal(size=(2, 2000, 2)),
        ),
    ]
    for description, a, b in cases:
        case = Case(name, f"case '{description}'")
        at, bt = tensor_argument(a), tensor_argument(b)
        got = case.run(linear_scan, at, bt)
        case.unchanged("a", a, at.numpy())
        case.unchanged("b", b, bt.numpy())
        case.close(
            "h",
            got,
            _scan_reference(a, b),
            rtol=1e-7,
            atol=1e-9,
            hint="combine (a1, b1) then (a2, b2) into (a1 * a2, a2 * b1 + b2); dividing by "
            "cumulative products, or taking their logarithm, breaks when they reach 0 or "
            "change sign",
        )
    T = 1024
    case = Case(name, f"case 'T={T}: how many operations'")
    a, b = rng.uniform(0.5, 1.0, (2, T, 3)), rng.normal(size=(2, T, 3))
    counted = CountingTorchCalls(linear_scan)
    got = case.run(counted, tensor_argument(a), tensor_argument(b))
    case.close("h", got, _scan_reference(a, b), rtol=1e-7, atol=1e-9)
    limit = T // 4
    if counted.calls > limit:
        raise case.fail(
            f"your function called {counted.calls} torch operations for T = {T}; a scan needs a "
            f"few per round and log2(T) = {int(math.log2(T))} rounds (at most {limit} here)",
            "a loop over the time steps is correct but sequential: combine whole shifted "
            "copies of the sequence at once, doubling the shift each round",
        )
    passed(name, len(cases) + 1)


# ---------------------------------------------------------------- data-parallel gradients


def _tiny_gru_classifier(D: int, H: int, C: int) -> Any:
    """A GRU over ``(B, T, D)`` and a linear head on its last output: ``(B, C)`` logits."""
    from torch import nn  # imported on first use, as torch_module() does

    class TinyGRUClassifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(D, H, batch_first=True)
            self.head = nn.Linear(H, C)

        def forward(self, x: Any) -> Any:
            return self.head(self.rnn(x)[0][:, -1])

    return TinyGRUClassifier().double()


def _ddp_reference(model: Any, loss_fn: Callable, x: Any, y: Any, world_size: int) -> dict:
    torch = torch_module()
    names = [n for n, _ in model.named_parameters()]
    total = {n: torch.zeros_like(p) for n, p in model.named_parameters()}
    for xs, ys in zip(
        torch.tensor_split(x, world_size), torch.tensor_split(y, world_size), strict=True
    ):
        replica = copy.deepcopy(model)
        params = [p for _, p in replica.named_parameters()]
        grads = torch.autograd.grad(loss_fn(replica(xs), ys), params)
        for n, g in zip(names, grads, strict=True):
            total[n] += g / world_size
    return {n: g.numpy() for n, g in total.items()}


@checker
def check_data_parallel_grads(data_parallel_grads: Callable) -> None:
    """Check ``data_parallel_grads(model, loss_fn, x, y, world_size)``: the averaged gradients."""
    name = "data_parallel_grads"
    require_function(data_parallel_grads, name, ("model", "loss_fn", "x", "y", "world_size"))
    torch = torch_module()
    torch.manual_seed(63)
    rng = np.random.default_rng(63)
    mse, ce = torch.nn.functional.mse_loss, torch.nn.functional.cross_entropy

    def linear() -> Any:
        return torch.nn.Linear(3, 2).double()

    cases = [
        ("linear model, B=8, world_size=2 (equal shards)", linear, mse, (8, 3), (8, 2), 2, False),
        ("B=10, world_size=3 (shards of 4, 3, 3)", linear, mse, (10, 3), (10, 2), 3, False),
        ("world_size=1", linear, mse, (5, 3), (5, 2), 1, False),
        ("world_size=B=4: one example per rank", linear, mse, (4, 3), (4, 2), 4, False),
        (
            "a GRU classifier, B=6, world_size=4 (shards of 2, 2, 1, 1)",
            lambda: _tiny_gru_classifier(2, 3, 4),
            ce,
            (6, 5, 2),
            (6,),
            4,
            False,
        ),
        ("the model arrives with old values in .grad", linear, mse, (6, 3), (6, 2), 2, True),
    ]
    for description, make, loss_fn, x_shape, y_shape, world_size, stale in cases:
        case = Case(name, f"case '{description}'")
        model = make()
        x = tensor_argument(rng.normal(size=x_shape))
        y = (
            tensor_argument(rng.integers(0, 4, y_shape), "int64")
            if loss_fn is ce
            else tensor_argument(rng.normal(size=y_shape))
        )
        want = _ddp_reference(model, loss_fn, x, y, world_size)
        before = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
        if stale:
            for p in model.parameters():
                p.grad = torch.full_like(p, 100.0)
        got = case.run(data_parallel_grads, model, loss_fn, x.clone(), y.clone(), world_size)
        for n, p in model.named_parameters():
            case.unchanged(f"the parameter {n!r}", before[n], p.detach().numpy())
        got = case.as_dict(got, list(want), "the result (one gradient per parameter name)")
        case.all_close(
            "the gradient of {key!r}",
            got,
            want,
            rtol=1e-9,
            atol=1e-12,
            hint="split x and y into world_size contiguous shards with torch.tensor_split; "
            "each rank computes the gradient of its own mean loss from zero; DDP then "
            "averages the ranks' gradients with equal weight",
        )
    passed(name, len(cases))
