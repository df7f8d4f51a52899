"""Checkers for the exercises of chapter 4 (training): clipping, optimisers, initialisation,
batching for truncated BPTT and sampling with a temperature.

The references are the package's own implementations, which its tests hold equal to
``torch.optim`` and ``torch.nn.utils.clip_grad_norm_``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from companion.checks._core import (
    Case,
    checker,
    passed,
    require_function,
    type_and_start,
    type_name,
)
from companion.scratch import Adam, Optimizer, RMSprop, StreamBatcher, softmax


@checker
def check_clip_by_global_norm(clip_by_global_norm: Callable) -> None:
    """Check ``clip_by_global_norm(grads, max_norm)``: ``(clipped grads, norm before)``."""
    name = "clip_by_global_norm"
    require_function(clip_by_global_norm, name, ("grads", "max_norm"))
    rng = np.random.default_rng(11)
    cases = [
        (
            "norm 10 times the threshold",
            {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=3)},
            0.1,
        ),
        ("below the threshold: nothing changes", {"W": 0.01 * rng.normal(size=(3, 3))}, 5.0),
        (
            "every tensor below the threshold, all together above it",
            {f"g{i}": np.full(4, 0.4) for i in range(5)},
            1.0,
        ),
        ("all gradients zero", {"W": np.zeros((2, 2)), "b": np.zeros(2)}, 1.0),
        ("a single number", {"w": np.array([-3.0])}, 2.0),
        (
            "shapes (2, 3, 4), (5,) and (1, 1)",
            {
                "a": rng.normal(size=(2, 3, 4)),
                "b": rng.normal(size=5),
                "c": rng.normal(size=(1, 1)),
            },
            0.5,
        ),
    ]
    for description, grads, max_norm in cases:
        case = Case(name, f"case '{description}' (max_norm={max_norm})")
        given = {k: g.copy() for k, g in grads.items()}
        got = case.run(clip_by_global_norm, given, max_norm)
        clipped, norm = case.as_tuple(got, 2, "a pair (clipped, norm)", shown=type_name)
        for key in grads:
            case.unchanged(f"grads[{key!r}]", grads[key], given[key])
        want_norm = math.sqrt(sum(float((g**2).sum()) for g in grads.values()))
        scale = 1.0 if want_norm <= max_norm else max_norm / want_norm
        case.close(
            "the norm",
            norm,
            want_norm,
            rtol=1e-9,
            hint="one norm for all the gradients together: the square root of the sum of "
            "the squares of every entry of every array; return it as it was before clipping",
        )
        if not isinstance(clipped, dict) or set(clipped) != set(grads):
            raise case.fail(
                f"the clipped gradients should be a dict with the keys "
                f"{sorted(grads)}, got {type_and_start(clipped)}"
            )
        case.all_close(
            "clipped[{key!r}]",
            clipped,
            {key: scale * g for key, g in grads.items()},
            rtol=1e-5,
            atol=1e-12,
            hint="every array is multiplied by the same factor, min(1, max_norm / norm), so "
            "the direction of the whole gradient is kept",
        )
    passed(name, len(cases))


# (description, settings passed to the step and the optimiser, number of steps, zero gradient first)
_OptimizerCase = tuple[str, dict[str, Any], int, bool]


def _check_optimizer_step(
    name: str,
    step: Callable,
    reference: Callable[..., Optimizer],
    cases: list[_OptimizerCase],
    hint: str,
) -> None:
    """Run ``step(params, grads, state, **settings)`` and the package's optimiser side by side."""
    require_function(step, name, ("params", "grads", "state"))
    rng = np.random.default_rng(12)
    for description, settings, num_steps, zero_first in cases:
        shapes = {"W": (3, 2), "b": (2,)} if "one parameter" not in description else {"w": (1,)}
        params = {k: rng.normal(size=s) for k, s in shapes.items()}
        arrays = dict(params)  # the arrays themselves, which the step must update in place
        ours = {k: v.copy() for k, v in params.items()}
        optimizer = reference(**settings)
        state: dict[str, Any] = {}
        for number in range(1, num_steps + 1):
            grads = {k: rng.normal(size=s) for k, s in shapes.items()}
            if zero_first and number == 1:
                grads = {k: np.zeros(s) for k, s in shapes.items()}
            given = {k: g.copy() for k, g in grads.items()}
            case = Case(
                name, f"case '{description}' ({settings or 'default settings'}), step {number}"
            )
            case.run(step, params, given, state, **settings)
            optimizer.step(ours, grads)
            for key in shapes:
                case.unchanged(f"grads[{key!r}]", grads[key], given[key])
                if params.get(key) is not arrays[key]:
                    raise case.fail(
                        f"params[{key!r}] is a new array after the step; expected the array "
                        "passed in, updated in place",
                        "change each array itself, as the package's optimisers do: a model may "
                        "hold the same array elsewhere, and only a change made in it reaches "
                        "every holder",
                    )
                case.close(
                    f"params[{key!r}] after the step",
                    params[key],
                    ours[key],
                    rtol=1e-9,
                    atol=1e-12,
                    hint=hint,
                )
    passed(name, len(cases))


@checker
def check_adam_step(adam_step: Callable) -> None:
    """Check ``adam_step(params, grads, state, lr, betas, eps)`` against the package's Adam."""
    cases: list[_OptimizerCase] = [
        ("the first step", {}, 1, False),
        ("50 steps", {"lr": 1e-2}, 50, False),
        ("betas (0, 0.99), 10 steps", {"lr": 0.1, "betas": (0.0, 0.99)}, 10, False),
        ("a zero gradient first", {"lr": 1e-2, "eps": 1e-6}, 5, True),
        ("one parameter of shape (1,)", {"lr": 3e-3, "betas": (0.8, 0.9)}, 20, False),
    ]
    _check_optimizer_step(
        "adam_step",
        adam_step,
        Adam,
        cases,
        "both moment estimates start at 0 and are bias-corrected with the step count t, which "
        "every parameter keeps in state; eps is added after the square root",
    )


@checker
def check_rmsprop_momentum_step(rmsprop_momentum_step: Callable) -> None:
    """Check ``rmsprop_momentum_step(params, grads, state, lr, alpha, eps, momentum, centered)``."""
    cases: list[_OptimizerCase] = [
        ("the first step", {"momentum": 0.9}, 1, False),
        ("40 steps", {"lr": 1e-2, "momentum": 0.9}, 40, False),
        ("alpha 0.9, momentum 0.5", {"lr": 0.05, "alpha": 0.9, "momentum": 0.5}, 15, False),
        ("momentum 0 (plain RMSprop)", {"lr": 1e-2, "momentum": 0.0}, 10, False),
        ("a zero gradient first", {"lr": 1e-2, "momentum": 0.9}, 5, True),
        ("one parameter of shape (1,)", {"lr": 3e-3, "momentum": 0.8}, 20, False),
        ("centred, the first step", {"momentum": 0.9, "centered": True}, 1, False),
        ("centred, 30 steps", {"lr": 1e-2, "momentum": 0.9, "centered": True}, 30, False),
        (
            "centred, alpha 0.9, momentum 0",
            {"lr": 0.05, "alpha": 0.9, "momentum": 0.0, "centered": True},
            10,
            False,
        ),
        (
            "centred, a zero gradient first",
            {"lr": 1e-2, "momentum": 0.9, "centered": True},
            5,
            True,
        ),
    ]
    _check_optimizer_step(
        "rmsprop_momentum_step",
        rmsprop_momentum_step,
        RMSprop,
        cases,
        "the momentum buffer accumulates the *scaled* step g / (denominator + eps), and the "
        "buffers of each parameter start at zero; centred, the denominator estimates the "
        "standard deviation of the gradient, from two running means with the same alpha",
    )


@checker
def check_xavier_uniform(xavier_uniform: Callable) -> None:
    """Check ``xavier_uniform(fan_in, fan_out, rng)``: shape, bound, variance, seeding."""
    name = "xavier_uniform"
    require_function(xavier_uniform, name, ("fan_in", "fan_out", "rng"))
    count = 0
    for fan_in, fan_out in [(300, 700), (1000, 100), (1, 1), (64, 64)]:
        case = Case(name, f"case fan_in={fan_in}, fan_out={fan_out}")
        got = case.run(xavier_uniform, fan_in, fan_out, np.random.default_rng(13))
        W = case.as_numbers(got, "the weights")
        if W.shape != (fan_in, fan_out):
            raise case.fail(f"the weights have shape {W.shape}, expected {(fan_in, fan_out)}")
        variance = 2.0 / (fan_in + fan_out)
        bound = math.sqrt(3 * variance)
        if np.abs(W).max() > bound * (1 + 1e-12):
            raise case.fail(
                f"an entry of size {np.abs(W).max():.4g} lies outside the interval "
                f"[-a, a] of a uniform distribution with variance 2 / (fan_in + fan_out) = "
                f"{variance:.4g}",
                "the uniform distribution on [-a, a] has variance a**2 / 3",
            )
        if W.size >= 10_000:  # enough draws to measure: the sample variance is within ~1 %
            measured = float(W.var())
            if not abs(measured / variance - 1) < 0.03:
                raise case.fail(
                    f"the variance of the weights is {measured:.4g}, expected "
                    f"2 / (fan_in + fan_out) = {variance:.4g}",
                    "Glorot and Bengio's variance averages fan_in and fan_out",
                )
            if not abs(float(W.mean())) < 5 * math.sqrt(variance / W.size):
                raise case.fail(f"the mean of the weights is {W.mean():.3g}, expected 0")
            share = float((np.abs(W) > 0.5 * bound).mean())
            if not abs(share - 0.5) < 0.02:
                raise case.fail(
                    f"{share:.1%} of the entries lie beyond half the bound; for a "
                    "uniform distribution it is 50 %",
                    "draw from a uniform distribution",
                )
        again = case.run(xavier_uniform, fan_in, fan_out, np.random.default_rng(13))
        other = case.run(xavier_uniform, fan_in, fan_out, np.random.default_rng(14))
        if not np.array_equal(W, case.as_numbers(again, "the weights")) or np.array_equal(
            W, case.as_numbers(other, "the weights")
        ):
            raise case.fail(
                "the same rng seed should give the same weights and another seed other weights",
                "draw every number from the rng you are given",
            )
        count += 1
    passed(name, count)


@checker
def check_stream_windows(stream_windows: Callable) -> None:
    """Check ``stream_windows(ids, batch_size, seq_len)``: the windows of truncated BPTT."""
    name = "stream_windows"
    require_function(stream_windows, name, ("ids", "batch_size", "seq_len"))
    cases = [(23, 3, 4), (10, 1, 1), (50, 4, 100), (4, 3, 2), (101, 5, 5), (40, 2, 6)]
    hint_x = (
        "stream b is one contiguous piece of the text, read from left to right across "
        "the windows (ids here are 100, 101, ... so you can read the positions off)"
    )
    hint_y = "y is x shifted by one position in the text: each target is the next id"
    for size, batch_size, seq_len in cases:
        ids = np.arange(100, 100 + size)
        case = Case(name, f"case N={size}, batch_size={batch_size}, seq_len={seq_len}")
        got = case.run(stream_windows, ids.copy(), batch_size, seq_len)
        try:
            windows = list(got)
        except TypeError:
            raise case.fail(f"expected a list of (x, y) pairs, got {type(got).__name__}") from None
        want = list(StreamBatcher(ids, batch_size, seq_len))
        if len(windows) != len(want):
            raise case.fail(
                f"expected {len(want)} windows, got {len(windows)}",
                "every stream has (N - 1) // batch_size inputs; the last window is shorter "
                "when seq_len does not divide that",
            )
        for number, (pair, (want_x, want_y)) in enumerate(zip(windows, want, strict=True)):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise case.fail(f"window {number} should be a pair (x, y), got {pair!r:.60}")
            case.close(f"x of window {number}", pair[0], want_x, rtol=0, atol=0, hint=hint_x)
            case.close(f"y of window {number}", pair[1], want_y, rtol=0, atol=0, hint=hint_y)
    passed(name, len(cases))


@checker
def check_temperature_probs(temperature_probs: Callable) -> None:
    """Check ``temperature_probs(logits, temperature)``: ``softmax(logits / temperature)``."""
    name = "temperature_probs"
    require_function(temperature_probs, name, ("logits", "temperature"))
    rng = np.random.default_rng(15)
    cases = [
        ("V=5, temperature 1", rng.normal(size=5), 1.0),
        ("V=5, temperature 0.5", rng.normal(size=5), 0.5),
        ("V=5, temperature 2", rng.normal(size=5), 2.0),
        ("a batch of 3 rows, V=6", rng.normal(size=(3, 6)), 0.8),
        ("V=1", rng.normal(size=1), 1.3),
        ("logits near 1000, temperature 0.01", 1000 + rng.normal(size=4), 0.01),
        ("temperature 1e-3: nearly all mass on the largest logit", rng.normal(size=6), 1e-3),
    ]
    for description, logits, temperature in cases:
        case = Case(name, f"case '{description}'")
        got = case.run(temperature_probs, logits.copy(), temperature)
        case.close(
            "the probabilities",
            got,
            softmax(logits / temperature, axis=-1),
            rtol=1e-9,
            atol=1e-12,
            hint="divide the logits by the temperature, then a softmax "
            "over the last axis that cannot overflow",
        )
    passed(name, len(cases))
