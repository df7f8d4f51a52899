"""Gradient clipping by the global L2 norm (Pascanu et al., 2013), as torch does it."""

from __future__ import annotations

import math

import numpy as np

from companion._validate import check_positive_number

Params = dict[str, np.ndarray]


def grad_norm(grads: Params) -> float:
    """The global L2 norm ``sqrt(sum of squares of every entry of every gradient)``."""
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))


def clip_grad_norm(grads: Params, max_norm: float) -> float:
    """Scale every gradient in place so that their global L2 norm is at most ``max_norm``.

    Same rule as ``torch.nn.utils.clip_grad_norm_``: multiply by
    ``min(1, max_norm / (total_norm + 1e-6))``, which keeps the direction of the whole
    gradient and only shortens it.

    Returns:
        The global norm *before* clipping (worth logging: it shows explosions). It is NaN
        or inf if a gradient is; the gradients are then scaled into NaN, as in torch.

    Taught in the book's section 4.4, book/04-training/04-clipping.md.
    """
    check_positive_number(max_norm, "max_norm")
    total = grad_norm(grads)
    scale = min(1.0, max_norm / (total + 1e-6)) if math.isfinite(total) else math.nan
    if scale != 1.0:
        for g in grads.values():
            g *= scale
    return total
