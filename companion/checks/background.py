"""Checkers for the exercises of chapter 1 (background): a neuron, a two-layer network."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.checks._core import Case, checker, passed, require_function

XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = np.array([0, 1, 1, 0])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow


def _two_layer(X: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
    h = np.tanh(X @ params["W1"] + params["b1"])
    return _sigmoid(h @ params["w2"] + params["b2"])


@checker
def check_neuron(neuron: Callable) -> None:
    """Check ``neuron(x, w, b)``: tanh neurons' outputs ``(B,)`` for inputs ``x (B, D)``."""
    name = "neuron"
    require_function(neuron, name, ("x", "w", "b"))
    rng = np.random.default_rng(1)
    cases = [
        ("B=4, D=3", rng.normal(size=(4, 3)), rng.normal(size=3), 0.3),
        ("B=1, D=1", rng.normal(size=(1, 1)), rng.normal(size=1), -0.7),
        ("B=6, D=5, bias 0", rng.normal(size=(6, 5)), rng.normal(size=5), 0.0),
        ("large inputs (tanh saturates)", 100 * rng.normal(size=(3, 2)), rng.normal(size=2), 1.0),
        ("zero input: the output is tanh(b)", np.zeros((2, 4)), rng.normal(size=4), 0.5),
    ]
    for description, x, w, b in cases:
        case = Case(name, f"case '{description}' (x.shape={x.shape})")
        got = case.run(neuron, x.copy(), w.copy(), b)
        hint = "one number per row of x: tanh of the weighted sum plus the bias"
        case.close("the output", got, np.tanh(x @ w + b), hint=hint)
    passed(name, len(cases))


def _random_params(rng: np.random.Generator, D: int, H: int, scale: float = 1.0) -> dict:
    return {
        "W1": scale * rng.normal(size=(D, H)),
        "b1": scale * rng.normal(size=H),
        "w2": scale * rng.normal(size=H),
        "b2": scale * rng.normal(size=1),
    }


@checker
def check_two_layer_forward(two_layer_forward: Callable) -> None:
    """Check ``two_layer_forward(X, params)``: outputs ``p (N,)`` of a tanh-sigmoid network."""
    name = "two_layer_forward"
    require_function(two_layer_forward, name, ("X", "params"))
    rng = np.random.default_rng(2)
    cases = [
        ("the four XOR inputs, H=4", XOR_INPUTS, _random_params(rng, 2, 4)),
        ("N=1, D=1, H=1", rng.normal(size=(1, 1)), _random_params(rng, 1, 1)),
        ("N=7, D=3, H=5", rng.normal(size=(7, 3)), _random_params(rng, 3, 5)),
        ("large weights (both layers saturate)", XOR_INPUTS, _random_params(rng, 2, 3, 30.0)),
    ]
    hint = "h = tanh(X W1 + b1), then p = sigmoid(h . w2 + b2): one number per row of X"
    for description, X, params in cases:
        copies = {k: v.copy() for k, v in params.items()}
        case = Case(name, f"case '{description}' (X.shape={X.shape})")
        got = case.run(two_layer_forward, X.copy(), copies)
        for key in params:
            case.unchanged(f"params[{key!r}]", params[key], copies[key])
        want = _two_layer(X, params)
        case.close("the output p", got, want, rtol=1e-6, atol=1e-9, hint=hint)
    passed(name, len(cases))


@checker
def check_xor_weights(xor_weights: Callable) -> None:
    """Check ``xor_weights()``: weights of a network with 2 hidden units that computes XOR."""
    name = "xor_weights"
    require_function(xor_weights, name, ())
    case = Case(name, "case 'the four XOR inputs'")
    params = case.run(xor_weights)
    if not isinstance(params, dict):
        raise case.fail(f"expected a dict of weights, got {type(params).__name__}")
    shapes = {"W1": (2, 2), "b1": (2,), "w2": (2,), "b2": (1,)}
    if set(params) != set(shapes):
        raise case.fail(f"expected the keys {sorted(shapes)}, got {sorted(params)}")
    for key, shape in shapes.items():
        array = case.as_numbers(params[key], f"params[{key!r}]")
        if array.shape != shape:
            raise case.fail(f"params[{key!r}] has shape {array.shape}, expected {shape}")
    p = _two_layer(XOR_INPUTS, {k: np.asarray(v, dtype=np.float64) for k, v in params.items()})
    for x, target, out in zip(XOR_INPUTS, XOR_TARGETS, p, strict=True):
        good = out > 0.9 if target else out < 0.1
        if not good:
            raise Case(name, f"case 'input {tuple(int(v) for v in x)}'").fail(
                f"the network outputs {out:.3f}; XOR needs "
                + ("above 0.9" if target else "below 0.1"),
                "every output must be within 0.1 of its target: scale the weights up until "
                "tanh and the sigmoid behave like thresholds",
            )
    passed(name, len(XOR_INPUTS))
