"""Checkers for the exercises of chapter 3 (the mathematics): the loss, backpropagation
through time, gradient checking and products of Jacobians.

The gradient references come from PyTorch's autograd in float64, which knows nothing of the
derivations; torch is imported only when one of those checkers runs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from companion.checks._core import (
    Case,
    checker,
    passed,
    require_function,
    torch_module,
    type_and_start,
    type_name,
)
from companion.scratch import RNN, softmax_cross_entropy

PARAM_SHAPES = {"W_xh": "(D, H)", "W_hh": "(H, H)", "b_h": "(H,)", "W_hy": "(H, V)", "b_y": "(V,)"}


@checker
def check_cross_entropy(cross_entropy: Callable) -> None:
    """Check ``cross_entropy(logits, targets)``: mean loss and ``dL/dlogits (N, V)``."""
    name = "cross_entropy"
    require_function(cross_entropy, name, ("logits", "targets"))
    rng = np.random.default_rng(5)
    cases = [
        ("N=5, V=4", rng.normal(size=(5, 4)), rng.integers(0, 4, 5)),
        ("N=1, V=1 (the loss is 0)", rng.normal(size=(1, 1)), np.array([0])),
        ("N=3, V=6, logits near 1000", 1000 + rng.normal(size=(3, 6)), rng.integers(0, 6, 3)),
        ("N=4, V=3, logits of size 800", 800 * rng.normal(size=(4, 3)), rng.integers(0, 3, 4)),
        ("N=2, V=5, all logits equal", np.zeros((2, 5)), np.array([1, 4])),
    ]
    for description, logits, targets in cases:
        case = Case(name, f"case '{description}'")
        got = case.run(cross_entropy, logits.copy(), targets.copy())
        loss, dlogits = case.as_tuple(got, 2, "a pair (loss, dlogits)", shown=type_and_start)
        want_loss, want_grad = softmax_cross_entropy(logits, targets)
        overflow = "subtract each row's maximum before exp (the log-sum-exp trick)"
        case.close(
            "the loss",
            loss,
            want_loss,
            rtol=1e-9,
            hint=overflow
            if np.abs(logits).max() > 700
            else "the mean over the N rows of -log softmax(row)[target]",
        )
        case.close(
            "dlogits",
            dlogits,
            want_grad,
            rtol=1e-9,
            atol=1e-12,
            hint="the derivative of the *mean* loss: compare one entry with a finite difference "
            "of your own loss",
        )
    passed(name, len(cases))


def _step_reference(
    dh: np.ndarray,
    x: np.ndarray,
    h_prev: np.ndarray,
    W_xh: np.ndarray,
    W_hh: np.ndarray,
    b_h: np.ndarray,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    torch = torch_module()
    leaves = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in {"x": x, "h_prev": h_prev, "W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}.items()
    }
    h = torch.tanh(leaves["x"] @ leaves["W_xh"] + leaves["h_prev"] @ leaves["W_hh"] + leaves["b_h"])
    (h * torch.tensor(dh)).sum().backward()
    return h.detach().numpy(), {k: v.grad.numpy() for k, v in leaves.items()}


@checker
def check_step_backward(step_backward: Callable) -> None:
    """Check ``step_backward(dh, x, h_prev, h, W_xh, W_hh)`` against torch's autograd."""
    name = "step_backward"
    require_function(step_backward, name, ("dh", "x", "h_prev", "h", "W_xh", "W_hh"))
    rng = np.random.default_rng(6)
    hints = {
        "x": "x_t reaches the loss only through a_t: back through tanh, then through W_xh",
        "h_prev": "h_{t-1} reaches the loss only through a_t: back through tanh (its "
        "derivative is 1 - h**2, with h the step's output), then through W_hh; mind the transpose",
        "W_xh": "W_xh is used by every row of the minibatch: add up the rows' contributions",
        "W_hh": "W_hh multiplies h_{t-1}, the input of the step, not h_t",
        "b_h": "b_h is added to every row of the minibatch",
    }
    cases = [
        ("B=3, D=4, H=5", (3, 4, 5), 0.5),
        ("B=1, D=1, H=1", (1, 1, 1), 0.5),
        ("B=2, D=6, H=3", (2, 6, 3), 0.5),
        ("B=4, D=2, H=2, saturated units", (4, 2, 2), 4.0),
    ]
    for description, (B, D, H), scale in cases:
        x, h_prev = rng.normal(size=(B, D)), np.tanh(rng.normal(size=(B, H)))
        W_xh, W_hh = scale * rng.normal(size=(D, H)), scale * rng.normal(size=(H, H))
        b_h, dh = 0.1 * rng.normal(size=H), rng.normal(size=(B, H))
        h, want = _step_reference(dh, x, h_prev, W_xh, W_hh, b_h)
        case = Case(name, f"case '{description}'")
        args = (dh, x, h_prev, h, W_xh, W_hh)
        got = case.run(step_backward, *(a.copy() for a in args))
        got = case.as_dict(got, list(hints), "the result", shown=type_name)
        case.all_close("the gradient {key!r}", got, want, hint=hints)
    passed(name, len(cases))


def _summed_reference(
    params: dict[str, np.ndarray], x: np.ndarray, targets: np.ndarray, h0: np.ndarray
) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
    torch = torch_module()
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    start = torch.tensor(h0, requires_grad=True)
    h, outputs = start, []
    for t in range(x.shape[1]):
        h = torch.tanh(torch.tensor(x[:, t]) @ p["W_xh"] + h @ p["W_hh"] + p["b_h"])
        outputs.append(h @ p["W_hy"] + p["b_y"])
    logits = torch.stack(outputs, dim=1)
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), torch.tensor(targets).reshape(-1), reduction="sum"
    )
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in p.items()}, start.grad.numpy()


def _rnn_case(
    rng: np.random.Generator, B: int, T: int, D: int, H: int, V: int, scale: float
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    params = {
        "W_xh": scale * rng.normal(size=(D, H)),
        "W_hh": scale * rng.normal(size=(H, H)),
        "b_h": 0.1 * rng.normal(size=H),
        "W_hy": scale * rng.normal(size=(H, V)),
        "b_y": 0.1 * rng.normal(size=V),
    }
    return (
        params,
        rng.normal(size=(B, T, D)),
        rng.integers(0, V, (B, T)),
        0.5 * rng.normal(size=(B, H)),
    )


RNN_CASES = [
    ("B=2, T=6, D=3, H=4, V=5", (2, 6, 3, 4, 5), 0.5),
    ("T=1", (3, 1, 2, 4, 3), 0.5),
    ("B=1, D=1, H=1, V=2", (1, 4, 1, 1, 2), 0.8),
    ("B=2, T=25, D=3, H=6, V=4", (2, 25, 3, 6, 4), 0.4),
]


@checker
def check_bptt_summed(bptt_summed: Callable) -> None:
    """Check ``bptt_summed(params, x, targets, h0)``: summed loss, gradients and ``dL/dh0``."""
    name = "bptt_summed"
    require_function(bptt_summed, name, ("params", "x", "targets", "h0"))
    rng = np.random.default_rng(7)
    hints = {
        key: f"shape {shape}; for a summed loss nothing is divided by B * T"
        for key, shape in PARAM_SHAPES.items()
    }
    for description, sizes, scale in RNN_CASES:
        params, x, targets, h0 = _rnn_case(rng, *sizes, scale)
        want_loss, want, want_dh0 = _summed_reference(params, x, targets, h0)
        case = Case(name, f"case '{description}'")
        copies = {k: v.copy() for k, v in params.items()}
        got = case.run(bptt_summed, copies, x.copy(), targets.copy(), h0.copy())
        loss, grads, dh0 = case.as_tuple(
            got, 3, "a triple (loss, grads, dh0)", shown=type_and_start
        )
        total = "the sum over all B * T positions, not the mean"
        case.close("the loss", loss, want_loss, rtol=1e-9, hint=total)
        grads = case.as_dict(grads, list(PARAM_SHAPES), "grads", shown=type_name)
        case.all_close("grads[{key!r}]", grads, want, hint=hints)
        case.close(
            "dh0",
            dh0,
            want_dh0,
            rtol=1e-7,
            atol=1e-10,
            hint="dh0 is the gradient that the backward loop carries past the first step",
        )
    passed(name, len(RNN_CASES))


@checker
def check_rnn_loss_and_grads(rnn_loss_and_grads: Callable) -> None:
    """Check ``rnn_loss_and_grads(params, x, targets, h0)``: mean loss and its gradients."""
    name = "rnn_loss_and_grads"
    require_function(rnn_loss_and_grads, name, ("params", "x", "targets", "h0"))
    rng = np.random.default_rng(8)
    for description, sizes, scale in RNN_CASES:
        params, x, targets, h0 = _rnn_case(rng, *sizes, scale)
        B, T, D, H, V = sizes
        rnn = RNN(D, H, V)
        rnn.params = {k: v.copy() for k, v in params.items()}
        want_loss, want, _ = rnn.loss_and_grads(x, targets, h0)
        case = Case(name, f"case '{description}'")
        copies = {k: v.copy() for k, v in params.items()}
        got = case.run(rnn_loss_and_grads, copies, x.copy(), targets.copy(), h0.copy())
        loss, grads = case.as_tuple(got, 2, "a pair (loss, grads)", shown=type_and_start)
        case.close("the loss", loss, want_loss, rtol=1e-9)
        grads = case.as_dict(grads, list(PARAM_SHAPES), "grads", shown=type_name)
        case.all_close(
            "grads[{key!r}]",
            grads,
            want,
            hint="run gradcheck on it to see which gradients are wrong, then compare the "
            "backward loop with the recursion of the BPTT section line by line",
        )
    passed(name, len(RNN_CASES))


def _grad_check(
    f: Callable, w: np.ndarray, analytic: np.ndarray, eps: float, floor: float
) -> float:
    worst = 0.0
    for i in np.ndindex(w.shape):
        saved = w[i]
        w[i] = saved + eps
        up = f(w)
        w[i] = saved - eps
        down = f(w)
        w[i] = saved
        numeric = (up - down) / (2 * eps)
        worst = max(worst, abs(analytic[i] - numeric) / max(abs(analytic[i]) + abs(numeric), floor))
    return worst


@checker
def check_grad_check(grad_check: Callable) -> None:
    """Check ``grad_check(f, w, analytic, eps=1e-5, floor=1e-4)``: the worst relative error."""
    name = "grad_check"
    require_function(grad_check, name, ("f", "w", "analytic"))
    rng = np.random.default_rng(9)
    A = rng.normal(size=(4, 4))
    A = A @ A.T
    w3 = rng.normal(size=(3, 2))
    w4 = rng.normal(size=4)
    sign = np.ones((3, 2))
    sign[1, 0] = -1.0
    double = np.ones((3, 2))
    double[2, 1] = 2.0
    # (case, f, w, analytic, what the result should be, how close)
    cases = [
        ("a cubic, correct gradient", lambda w: np.sum(w**3), w3, 3 * w3**2, "below", 1e-8),
        (
            "a quadratic form, correct gradient",
            lambda w: 0.5 * w @ A @ w,
            w4,
            A @ w4,
            "below",
            1e-8,
        ),
        (
            "one entry with the wrong sign",
            lambda w: np.sum(w**3),
            w3,
            sign * 3 * w3**2,
            "equal",
            1.0,
        ),
        (
            "one entry twice too large",
            lambda w: np.sum(w**3),
            w3,
            double * 3 * w3**2,
            "equal",
            1 / 3,
        ),
        ("a constant loss: every gradient is 0", lambda w: 7.0, w3, np.zeros((3, 2)), "equal", 0.0),
        (
            "a tiny gradient (1e-12) reported as 0",
            lambda w: 1e-12 * w.sum(),
            w4,
            np.zeros(4),
            "equal",
            1e-8,
        ),
        (
            "the cubic's loss times 1000, correct gradient",
            lambda w: 1000 * np.sum(w**3),
            w3,
            3000 * w3**2,
            "below",
            1e-8,
        ),
        ("a single weight", lambda w: np.sin(w[0]), np.array([0.3]), np.cos([0.3]), "below", 1e-8),
    ]
    hints = {
        "below": "use central differences (f(w + eps) - f(w - eps)) / (2 eps): a forward "
        "difference has an error of order eps",
        "equal": "the relative error is |a - n| / max(|a| + |n|, floor), worst over all entries",
    }
    for description, f, w, analytic, kind, value in cases:
        case = Case(name, f"case '{description}'")
        w_in = w.copy()
        got = case.run(grad_check, f, w_in, analytic.copy())
        case.unchanged(
            "w",
            w,
            w_in,
            "change one entry of w at a time in place, and restore it: put back the value you "
            "saved, exactly (moving it by +eps and back can leave a rounding error)",
        )
        error = case.as_numbers(got, "the result")
        if error.shape != () or not np.isfinite(error):
            raise case.fail(f"expected one finite number, got {got!r:.60}", hints["equal"])
        if kind == "below" and not error < value:
            raise case.fail(
                f"the gradient is correct, so the error should be below {value:g}; "
                f"got {float(error):.3g}",
                hints["below"],
            )
        if kind == "equal" and not np.isclose(error, value, rtol=1e-4, atol=1e-10):
            expected = _grad_check(f, w.copy(), analytic, 1e-5, 1e-4)
            raise case.fail(
                f"expected a relative error of {expected:.4g}, got {float(error):.4g}",
                hints["equal"],
            )
    passed(name, len(cases))


def _product_norms(W_hh: np.ndarray, hs: np.ndarray) -> np.ndarray:
    steps, H = hs.shape
    product, norms = np.eye(H), [1.0]
    for s in range(steps - 1, -1, -1):  # multiply by J_s on the right, from s = T down to 1
        product = product @ (np.diag(1 - hs[s] ** 2) @ W_hh.T)
        norms.append(float(np.linalg.norm(product, 2)))
    return np.array(norms[::-1])


@checker
def check_jacobian_product_norms(jacobian_product_norms: Callable) -> None:
    """Check ``jacobian_product_norms(W_hh, hs)``: ``||dh_T / dh_k||`` for ``k = 0 .. T``."""
    name = "jacobian_product_norms"
    require_function(jacobian_product_norms, name, ("W_hh", "hs"))
    rng = np.random.default_rng(10)
    cases = [
        ("H=4, T=10", rng.normal(size=(4, 4)), np.tanh(rng.normal(size=(10, 4)))),
        ("H=1, T=1", rng.normal(size=(1, 1)), np.tanh(rng.normal(size=(1, 1)))),
        ("H=3, T=8, all h = 0 (the linear regime)", rng.normal(size=(3, 3)), np.zeros((8, 3))),
        (
            "H=5, T=6, not symmetric",
            rng.normal(size=(5, 5)) + 2 * np.triu(np.ones((5, 5))),
            np.tanh(0.5 * rng.normal(size=(6, 5))),
        ),
    ]
    for description, W_hh, hs in cases:
        case = Case(name, f"case '{description}'")
        got = case.run(jacobian_product_norms, W_hh.copy(), hs.copy())
        case.close(
            "the norms",
            got,
            _product_norms(W_hh, hs),
            rtol=1e-7,
            atol=1e-12,
            hint="T + 1 numbers, the last one 1 (no step back); each is a spectral norm "
            "(np.linalg.norm(M, 2)), and J_s = diag(1 - h_s**2) @ W_hh.T uses h_s, the output "
            "of step s",
        )
    passed(name, len(cases))
