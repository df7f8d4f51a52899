"""Optimisers with one interface: ``opt.step(params, grads)`` updates ``params`` in place.

Each one follows ``torch.optim`` exactly: the same hyperparameters with the same defaults,
and the same update formula (including where ``eps`` goes), so that given the same
gradients a NumPy model and a torch model walk the same path. The state an optimiser keeps
(momentum buffers, moment estimates, step counts) lives in ``opt.state[name]``, keyed by
the parameter's name in the ``params`` dict: one optimiser per model.

Notation: ``g`` the gradient, ``w`` the parameter, ``t`` the step count from 1.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

Params = dict[str, np.ndarray]


def _check_range(value: float, name: str, low: float, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    if not low <= value < high:
        interval = f"[{low}, {high})" if high != math.inf else f">= {low}"
        raise ValueError(f"{name}: expected a value in {interval}, got {value}")
    return float(value)


class Optimizer:
    """Base class. Subclasses implement :meth:`update` for one parameter array."""

    def __init__(self, lr: float) -> None:
        self.lr = _check_range(lr, "lr", 0.0)
        self.state: dict[str, dict[str, Any]] = {}

    def step(self, params: Params, grads: Params) -> None:
        """Update every array in ``params`` in place from ``grads`` (same keys and shapes).

        ``grads`` is left unchanged.
        """
        if set(grads) != set(params):
            raise ValueError(
                f"grads: expected the keys of params {sorted(params)}, got {sorted(grads)}"
            )
        for name, param in params.items():
            grad = np.asarray(grads[name])
            if grad.shape != param.shape:
                raise ValueError(
                    f"grads[{name!r}]: expected shape {param.shape} like params[{name!r}], "
                    f"got {grad.shape}"
                )
            self.update(param, grad, self.state.setdefault(name, {}))

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        """Update one parameter in place; ``state`` is this parameter's own dict."""
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in vars(self).items() if k != "state")
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    ``g += weight_decay * w``; with momentum ``b = g`` at the first step, then
    ``b = momentum * b + (1 - dampening) * g``, and the step uses ``b`` (or, with
    ``nesterov``, ``g + momentum * b``); finally ``w -= lr * step``.
    """

    def __init__(
        self,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(lr)
        self.momentum = _check_range(momentum, "momentum", 0.0)
        self.dampening = _check_range(dampening, "dampening", -math.inf)
        self.weight_decay = _check_range(weight_decay, "weight_decay", 0.0)
        if nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("nesterov: needs momentum > 0 and dampening = 0")
        self.nesterov = bool(nesterov)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= self.momentum
                buf += (1 - self.dampening) * grad
            grad = grad + self.momentum * buf if self.nesterov else buf
        param -= self.lr * grad


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    ``s += g**2``; ``w -= lr_t * g / (sqrt(s) + eps)`` with
    ``lr_t = lr / (1 + (t - 1) * lr_decay)``.
    """

    def __init__(
        self,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        super().__init__(lr)
        self.lr_decay = _check_range(lr_decay, "lr_decay", 0.0)
        self.weight_decay = _check_range(weight_decay, "weight_decay", 0.0)
        self.initial_accumulator_value = _check_range(
            initial_accumulator_value, "initial_accumulator_value", 0.0
        )
        self.eps = _check_range(eps, "eps", 0.0)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param, self.initial_accumulator_value)
        state["step"] += 1
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        lr_t = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
        state["sum"] += grad * grad
        param -= lr_t * (grad / (np.sqrt(state["sum"]) + self.eps))


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012), as ``torch.optim.RMSprop``.

    ``v = alpha * v + (1 - alpha) * g**2``; ``d = sqrt(v) + eps`` (``centered``: subtract
    the square of the running mean gradient ``m`` under the root); then
    ``w -= lr * g / d``, or with momentum ``b = momentum * b + g / d; w -= lr * b``.
    """

    def __init__(
        self,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(lr)
        self.alpha = _check_range(alpha, "alpha", 0.0)
        self.eps = _check_range(eps, "eps", 0.0)
        self.weight_decay = _check_range(weight_decay, "weight_decay", 0.0)
        self.momentum = _check_range(momentum, "momentum", 0.0)
        self.centered = bool(centered)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if self.momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if self.centered:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        square_avg = state["square_avg"]
        square_avg *= self.alpha
        square_avg += (1 - self.alpha) * (grad * grad)
        if self.centered:
            grad_avg = state["grad_avg"]
            grad_avg += (1 - self.alpha) * (grad - grad_avg)
            denom = np.sqrt(square_avg - grad_avg * grad_avg) + self.eps
        else:
            denom = np.sqrt(square_avg) + self.eps
        if self.momentum > 0:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += grad / denom
            param -= self.lr * buf
        else:
            param -= self.lr * (grad / denom)


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015), as ``torch.optim.Adam``.

    ``m = b1 * m + (1 - b1) * g``; ``v = b2 * v + (1 - b2) * g**2``;
    ``w -= lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)``: ``eps`` is added
    after the bias correction of ``v``. ``amsgrad`` uses the running maximum of ``v``.
    ``weight_decay`` adds ``weight_decay * w`` to ``g`` (L2, not AdamW's decoupled decay).

    Taught in the book's section 4.2, book/04-training/02-optimisers.md.
    """

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(lr)
        if len(betas) != 2:
            raise ValueError(f"betas: expected two values (beta1, beta2), got {betas!r}")
        self.betas = (
            _check_range(betas[0], "betas[0]", 0.0, 1.0),
            _check_range(betas[1], "betas[1]", 0.0, 1.0),
        )
        self.eps = _check_range(eps, "eps", 0.0)
        self.weight_decay = _check_range(weight_decay, "weight_decay", 0.0)
        self.amsgrad = bool(amsgrad)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        beta1, beta2 = self.betas
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (1 - beta1) * (grad - exp_avg)  # = beta1 * m + (1 - beta1) * g
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * (grad * grad)
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            exp_avg_sq = state["max_exp_avg_sq"]
        step_size = self.lr / (1 - beta1**step)
        denom = np.sqrt(exp_avg_sq) / math.sqrt(1 - beta2**step) + self.eps
        param -= step_size * (exp_avg / denom)
