"""Check analytic gradients against central finite differences, in float64.

For every checked entry ``w`` of a parameter, the numerical derivative is
``(L(w + eps) - L(w - eps)) / (2 * eps)``, whose error is ``O(eps**2)``, and the two are
compared by the relative error ``|a - n| / max(|a| + |n|, floor)``.

Why a ``floor``: in float64 with ``eps = 1e-5`` the finite difference carries round-off
noise of up to ~1e-11 (the round-off of the loss, ~1e-16, divided by ``2 * eps``). On an
entry whose true gradient is zero or tiny, that noise alone would be a large *relative*
error. Below ``floor`` the error is therefore measured against ``floor``: with the default
``1e-4`` and a tolerance of ``1e-6``, a tiny gradient must match to ``1e-10`` absolutely.
The default suits losses of order one, like a mean cross-entropy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from companion._validate import check_positive_int
from companion.scratch.init import Seed, as_generator

Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class GradcheckResult:
    """The worst entry found by :func:`gradcheck`.

    Attributes:
        max_rel_error: the largest relative error over the checked entries.
        param: the name of the parameter where it occurs.
        index: its index in that parameter, e.g. ``(2, 0)``.
        analytic: the analytic gradient there.
        numeric: the finite-difference estimate there.
        num_checked: how many entries were checked in all.
    """

    max_rel_error: float
    param: str
    index: tuple[int, ...]
    analytic: float
    numeric: float
    num_checked: int

    def __str__(self) -> str:
        where = f"{self.param}[{', '.join(map(str, self.index))}]"
        return (
            f"max relative error {self.max_rel_error:.2e} at {where} "
            f"(analytic {self.analytic:.6e}, numeric {self.numeric:.6e}); "
            f"{self.num_checked} entries checked"
        )


def relative_error(analytic: float, numeric: float, floor: float = 1e-4) -> float:
    """``|a - n| / max(|a| + |n|, floor)``; 0 for two zeros, at most 1 otherwise.

    Taught in the book's section 3.4, book/03-math/04-gradient-check.md.
    """
    return abs(analytic - numeric) / max(abs(analytic) + abs(numeric), floor)


def gradcheck(
    f: Callable[[], tuple[float, Params]],
    params: Params,
    *,
    eps: float = 1e-5,
    max_entries: int | None = None,
    floor: float = 1e-4,
    seed: Seed = 0,
) -> GradcheckResult:
    """Compare the gradients ``f`` returns with central finite differences.

    Args:
        f: called with no arguments, returns ``(loss, grads)`` computed from the *current*
            values in ``params`` (e.g. ``lambda: rnn.loss_and_grads(x, y)[:2]``). Pass
            the raw gradients: clip or otherwise change them and the check fails.
        params: the float64 arrays ``f`` reads. Each checked entry is nudged by ``+eps``
            and ``-eps`` in place and then restored exactly.
        eps: the finite-difference step.
        max_entries: check at most this many entries of each parameter, drawn at random
            without replacement (``seed``); ``None`` checks every entry.
        floor: the smallest denominator of the relative error.
        seed: int or ``numpy.random.Generator`` for choosing entries.

    Returns:
        A :class:`GradcheckResult` naming the worst entry.

    Taught in the book's section 3.4, book/03-math/04-gradient-check.md.
    """
    for name, param in params.items():
        if not isinstance(param, np.ndarray) or param.dtype != np.float64:
            raise TypeError(
                f"params[{name!r}]: gradcheck needs float64 arrays (float32 rounding swamps "
                f"the finite differences), got {getattr(param, 'dtype', type(param).__name__)}"
            )
    if max_entries is not None:
        check_positive_int(max_entries, "max_entries")
    rng = as_generator(seed)
    _, grads = f()
    if set(grads) != set(params):
        raise ValueError(
            f"f: expected grads with the keys of params {sorted(params)}, got {sorted(grads)}"
        )
    analytic_grads = {name: np.array(grads[name], dtype=np.float64) for name in params}

    worst = None
    num_checked = 0
    for name, param in params.items():
        flat = np.arange(param.size)
        if max_entries is not None and param.size > max_entries:
            flat = np.sort(rng.choice(param.size, size=max_entries, replace=False))
        for position in flat:
            index = np.unravel_index(position, param.shape)
            original = param[index]
            param[index] = original + eps
            loss_plus = f()[0]
            param[index] = original - eps
            loss_minus = f()[0]
            param[index] = original
            numeric = (loss_plus - loss_minus) / (2 * eps)
            analytic = float(analytic_grads[name][index])
            error = relative_error(analytic, numeric, floor)
            error = math.inf if math.isnan(error) else error  # a NaN is the worst error
            num_checked += 1
            if worst is None or error > worst.max_rel_error:
                worst = GradcheckResult(
                    error, name, tuple(int(i) for i in index), analytic, numeric, 0
                )
    if worst is None:
        raise ValueError("params: expected at least one parameter entry to check, got none")
    return replace(worst, num_checked=num_checked)
