"""Diagonal linear recurrences, computed step by step or by a parallel scan.

The recurrence is, element by element,

    h_t = a_t * h_{t-1} + b_t,    t = 1 .. T,    h_0 given (zeros by default),

with ``a`` and ``b`` of shape ``(B, T, H)``: ``B`` sequences, ``T`` time steps, ``H``
independent channels (hidden units). Each step is the affine map ``h -> a_t * h + b_t``;
composing two such maps gives another, ``(a_1, b_1)`` then ``(a_2, b_2)`` being
``(a_1 * a_2, a_2 * b_1 + b_2)``, and this composition is associative, so all ``T`` prefixes
can be computed by a parallel scan in a number of dependent rounds that grows as
``log2 T`` instead of ``T`` (Blelloch, 1990; Martin and Cundy, 2018).

* :func:`linear_recurrence_loop`: ``T`` sequential steps (the reference).
* :func:`linear_recurrence_scan` with ``method="hillis-steele"``: ``ceil(log2 T)`` rounds,
  each one vectorised operation over all time steps; about ``T log2 T`` compositions.
* :func:`linear_recurrence_scan` with ``method="work-efficient"`` (the default): combine
  neighbouring pairs, scan the ``T // 2`` pairs recursively, then fill in the remaining
  positions: about ``2 log2 T`` rounds and fewer than ``2 T`` compositions in all.
* :func:`scan_rounds`: the number of dependent rounds each method takes.

All three work with real or complex floating-point tensors on any device, and autograd
differentiates through them.

Taught in the book's section 6.6, book/06-future/06-linear-recurrences.md.
"""

from __future__ import annotations

from typing import Literal, overload

import torch
from torch import Tensor

from companion._validate import check_positive_int

METHODS = ("work-efficient", "hillis-steele")


def _check_sequences(name: str, value: object) -> Tensor:
    """``value`` if it is a non-empty floating-point or complex tensor (B, T, H)."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor (B, T, H), got {type(value).__name__}")
    if not (value.is_floating_point() or value.is_complex()):
        raise TypeError(f"{name}: expected a floating-point or complex tensor, got {value.dtype}")
    if value.ndim != 3 or 0 in value.shape:
        raise ValueError(f"{name}: expected a non-empty tensor (B, T, H), got {tuple(value.shape)}")
    return value


def _check(a: object, b: object, h0: object) -> tuple[Tensor, Tensor, Tensor | None]:
    """``a``, ``b`` (and ``h0``) if they are tensors of matching shapes; else a clear error."""
    a, b = _check_sequences("a", a), _check_sequences("b", b)
    if a.shape != b.shape:
        raise ValueError(
            f"b: expected the shape of a, (B, T, H) = {tuple(a.shape)}, got {tuple(b.shape)} "
            "(use a.expand(B, T, H) for decays shared across sequences or time steps)"
        )
    if h0 is not None:
        if not isinstance(h0, Tensor):
            raise TypeError(f"h0: expected None or a torch.Tensor (B, H), got {type(h0).__name__}")
        expected = (a.shape[0], a.shape[2])
        if tuple(h0.shape) != expected:
            raise ValueError(f"h0: expected shape (B, H) = {expected}, got {tuple(h0.shape)}")
    return a, b, h0


def linear_recurrence_loop(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """``h_t = a_t * h_{t-1} + b_t`` for ``t = 1 .. T``, one time step after another.

    Args:
        a: ``(B, T, H)`` decays (multipliers of the previous hidden state).
        b: ``(B, T, H)`` inputs added at each step.
        h0: ``(B, H)`` initial state; zeros if ``None``.

    Returns:
        ``(B, T, H)``: the hidden state after every step, ``h_1 .. h_T``.
    """
    a, b, h0 = _check(a, b, h0)
    h = torch.zeros_like(b[:, 0]) if h0 is None else h0
    states = []
    # unbind: one view per step, and a single node for autograd (indexing a[:, t] at every
    # step would make the backward pass allocate a full (B, T, H) gradient per step)
    for a_t, b_t in zip(a.unbind(1), b.unbind(1), strict=True):
        h = a_t * h + b_t
        states.append(h)
    return torch.stack(states, dim=1)


def linear_recurrence_scan(
    a: Tensor, b: Tensor, h0: Tensor | None = None, *, method: str = "work-efficient"
) -> Tensor:
    """The same hidden states as :func:`linear_recurrence_loop`, by a parallel scan.

    Args:
        a: ``(B, T, H)`` decays.
        b: ``(B, T, H)`` inputs.
        h0: ``(B, H)`` initial state; zeros if ``None``.
        method: ``"work-efficient"`` (about ``2 log2 T`` rounds, ``O(T)`` work) or
            ``"hillis-steele"`` (``ceil(log2 T)`` rounds, ``O(T log T)`` work).

    Returns:
        ``(B, T, H)``: ``h_1 .. h_T``, equal to the loop's up to floating-point rounding
        (the products are taken in a different order).
    """
    a, b, h0 = _check(a, b, h0)
    if method not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    if h0 is not None:  # fold the initial state into the first input: b_1 + a_1 * h0
        b = torch.cat([a[:, :1] * h0[:, None] + b[:, :1], b[:, 1:]], dim=1)
    if method == "hillis-steele":
        return _hillis_steele(a, b)
    return _work_efficient(a, b, need_a=False)[1]


def _hillis_steele(a: Tensor, b: Tensor) -> Tensor:
    """Round k composes each step's map with the one ending ``2**k`` steps earlier."""
    offset = 1
    while offset < a.shape[1]:
        b = torch.cat([b[:, :offset], a[:, offset:] * b[:, :-offset] + b[:, offset:]], dim=1)
        a = torch.cat([a[:, :offset], a[:, offset:] * a[:, :-offset]], dim=1)
        offset *= 2
    return b


@overload
def _work_efficient(a: Tensor, b: Tensor, need_a: Literal[True]) -> tuple[Tensor, Tensor]: ...
@overload
def _work_efficient(a: Tensor, b: Tensor, need_a: bool) -> tuple[Tensor | None, Tensor]: ...


def _work_efficient(a: Tensor, b: Tensor, need_a: bool) -> tuple[Tensor | None, Tensor]:
    """Prefix compositions ``(A_t, h_t)`` of every step, by recursive pairing.

    1. Compose steps 2i and 2i+1 (0-based) into one map: ``T // 2`` pairs.
    2. Scan the pairs recursively: that gives the prefixes ending at every odd position.
    3. Every even position 2i > 0 is the prefix ending at 2i - 1 followed by step 2i.
    """
    steps = a.shape[1]
    if steps == 1:
        return a, b
    pairs = steps // 2
    a_even, a_odd = a[:, 0 : 2 * pairs : 2], a[:, 1 : 2 * pairs : 2]
    b_even, b_odd = b[:, 0 : 2 * pairs : 2], b[:, 1 : 2 * pairs : 2]
    A_odd, h_odd = _work_efficient(a_even * a_odd, a_odd * b_even + b_odd, need_a=True)
    rest_a, rest_b = a[:, 2::2], b[:, 2::2]  # even positions after the first
    count = rest_a.shape[1]  # pairs - 1 for even T, pairs for odd T
    h_even = torch.cat([b[:, :1], rest_a * h_odd[:, :count] + rest_b], dim=1)
    h = _interleave(h_even, h_odd, steps)
    if not need_a:
        return None, h
    A_even = torch.cat([a[:, :1], rest_a * A_odd[:, :count]], dim=1)
    return _interleave(A_even, A_odd, steps), h


def _interleave(even: Tensor, odd: Tensor, steps: int) -> Tensor:
    """``(B, steps, H)`` with ``even`` at positions 0, 2, 4, ... and ``odd`` at 1, 3, ..."""
    pairs = odd.shape[1]
    woven = torch.stack([even[:, :pairs], odd], dim=2).reshape(even.shape[0], 2 * pairs, -1)
    if steps > 2 * pairs:
        woven = torch.cat([woven, even[:, pairs:]], dim=1)
    return woven


def scan_rounds(steps: int, method: str = "work-efficient") -> int:
    """Dependent rounds (the depth) of a scan over ``steps`` time steps.

    ``"loop"``: ``steps``; ``"hillis-steele"``: ``ceil(log2 steps)``; ``"work-efficient"``:
    two rounds (pairing, then filling in) per halving, ``2 floor(log2 steps)``.
    """
    check_positive_int(steps, "steps")
    if method == "loop":
        return steps
    if method == "hillis-steele":
        return (steps - 1).bit_length()
    if method == "work-efficient":
        return 2 * (steps.bit_length() - 1)
    raise ValueError(f"method: expected one of loop, {', '.join(METHODS)}, got {method!r}")
