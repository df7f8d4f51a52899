"""Backpropagation through time written out by hand for :mod:`companion.nn.recurrent`.

One layer of an RNN (tanh or ReLU), LSTM or GRU, in one direction, runs as one
``torch.autograd.Function``, :class:`Recurrence`, instead of an autograd graph of a few
nodes per time step. Its input is the input projection ``x_proj`` of every step, ``(N,
G*H)`` rows in time-major order (``batch_sizes[t]`` rows for step ``t``: ``B`` at every step
of a padded minibatch, fewer as the sequences of a ``PackedSequence`` end), the recurrent
weights ``weight_hh`` ``(G*H, H)``, the GRU's ``bias_hh`` and the initial state.

* The forward pass writes every step into buffers allocated once (gates, hidden and cell
  states) and keeps them for the backward pass; the only product per step is ``h_{t-1}
  W_hh``.
* The backward pass is the BPTT of chapter 3, step by step from the last: element-wise
  work and one product ``dA_t W_hh^T`` per step, where ``dA_t`` is the gradient of the
  step's pre-activations (which is also the gradient of ``x_proj``); the gradient of
  ``weight_hh`` is one product over all steps, ``dA^T H_prev``.
* When a graph of the backward pass is being built (``create_graph=True``, as in
  ``torch.autograd.gradgradcheck`` or a gradient penalty), the backward pass instead runs
  the layer's own step again under autograd and differentiates it, so gradients of
  gradients keep working.

A cell, :class:`RNNCell`, :class:`LSTMCell` or :class:`GRUCell`, supplies the step forwards
and backwards; :class:`Recurrence` walks the time steps and keeps the rows of packed
sequences in place, both ways. :data:`CELLS` maps a layer's ``mode`` to its cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

State = tuple[Tensor, ...]  # (h,) for the RNN and the GRU, (h, c) for the LSTM
Step = Callable[[Tensor, State, Tensor, Tensor | None], State]  # RecurrentBase._step
Views = Sequence[Tensor]  # one step's rows of every column a cell lists


class Cell:
    """The arithmetic of one cell, forwards into buffers and backwards by hand.

    ``buffers`` are ``(N, width)`` tensors that the forward pass fills, one block of rows
    per time step, and the backward pass reads; ``buffers[0]`` is the hidden state ``h``,
    the layer's output. A cell lists the ``(N, .)`` *columns* its steps use (buffers and
    slices of them); :class:`Recurrence` cuts each into the rows of every step once, so
    that a step receives ready views and runs only arithmetic.
    """

    state_count = 1  # 2 for the LSTM's (h, c)

    def buffer_widths(self, hidden_size: int) -> tuple[int, ...]:
        """Columns of every buffer, for hidden size ``H``."""
        raise NotImplementedError

    def forward_columns(self, x_proj: Tensor, buffers: list[Tensor]) -> list[Tensor]:
        """What the forward steps read and write, ``(N, .)`` each."""
        raise NotImplementedError

    def states(self, buffers: list[Tensor]) -> State:
        """The buffers that hold the state after every step: ``(h,)``, or ``(h, c)``."""
        return (buffers[0],)

    def forward_step(
        self, views: Views, state: State, W_hh: Tensor, bias_hh: Tensor | None
    ) -> State:
        """One step, ``W_hh`` of shape ``(H, G*H)``: writes its views, returns the new state."""
        raise NotImplementedError

    def backward_columns(
        self, buffers: list[Tensor], previous: State
    ) -> tuple[list[Tensor], list[Tensor]]:
        """``(columns, workspaces)`` of the backward pass.

        ``previous`` is the state before every step, ``(N, H)`` rows like the buffers.
        The columns hold the local derivatives of every step, computed for all steps at
        once, and the slices of the ``workspaces`` into which the steps write the
        gradients of the pre-activations.
        """
        raise NotImplementedError

    def backward_step(self, views: Views, grad_state: State, weight_hh: Tensor) -> State:
        """One step backwards: from the gradient of the state after the step (``h``'s with
        the output's gradient added) to the gradient of the state before it."""
        raise NotImplementedError

    def finish(self, workspaces: list[Tensor]) -> tuple[Tensor, Tensor]:
        """After the loop: the gradients of ``x_proj`` and of ``h_{t-1} W_hh + b_hh``,
        ``(N, G*H)`` each (the second gives those of ``weight_hh`` and ``bias_hh``)."""
        (grad_pre,) = workspaces
        return grad_pre, grad_pre


class RNNCell(Cell):
    """``h_t = act(x_proj_t + h_{t-1} W_hh)``, ``act`` tanh or ReLU."""

    def __init__(self, nonlinearity: str) -> None:
        self.nonlinearity = nonlinearity

    def buffer_widths(self, hidden_size: int) -> tuple[int, ...]:
        return (hidden_size,)

    def forward_columns(self, x_proj: Tensor, buffers: list[Tensor]) -> list[Tensor]:
        return [x_proj, buffers[0]]

    def forward_step(
        self, views: Views, state: State, W_hh: Tensor, bias_hh: Tensor | None
    ) -> State:
        x_proj_t, h = views
        torch.addmm(x_proj_t, state[0], W_hh, out=h)
        if self.nonlinearity == "tanh":
            h.tanh_()
        else:
            h.relu_()
        return (h,)

    def backward_columns(
        self, buffers: list[Tensor], previous: State
    ) -> tuple[list[Tensor], list[Tensor]]:
        h = buffers[0]
        slope = 1 - h * h if self.nonlinearity == "tanh" else (h > 0).to(h.dtype)
        grad_pre = torch.empty_like(h)
        return [slope, grad_pre], [grad_pre]

    def backward_step(self, views: Views, grad_state: State, weight_hh: Tensor) -> State:
        slope, grad_pre = views
        torch.mul(grad_state[0], slope, out=grad_pre)
        return (torch.mm(grad_pre, weight_hh),)


class LSTMCell(Cell):
    """Gates ``i, f, g, o``; ``c_t = f c_{t-1} + i g`` and ``h_t = o tanh(c_t)``.

    Buffers: ``h``, the activated gates ``(N, 4H)``, ``c`` and ``tanh(c)``.

    Taught in the book's section 5.14, book/05-code/14-backward-by-hand.md.
    """

    state_count = 2

    def buffer_widths(self, hidden_size: int) -> tuple[int, ...]:
        return (hidden_size, 4 * hidden_size, hidden_size, hidden_size)

    def states(self, buffers: list[Tensor]) -> State:
        return buffers[0], buffers[2]

    def forward_columns(self, x_proj: Tensor, buffers: list[Tensor]) -> list[Tensor]:
        h, gates, c, tanh_c = buffers
        return [x_proj, gates, *gates.chunk(4, dim=1), c, tanh_c, h]

    def forward_step(
        self, views: Views, state: State, W_hh: Tensor, bias_hh: Tensor | None
    ) -> State:
        x_proj_t, gates, i, f, g, o, c, tanh_c, h = views
        # The operations of LSTM._step, gate by gate: the same numbers to the last bit.
        torch.addmm(x_proj_t, state[0], W_hh, out=gates)
        i.sigmoid_()
        f.sigmoid_()
        g.tanh_()
        o.sigmoid_()
        torch.mul(f, state[1], out=c)
        c.add_(i * g)  # forget part of the old cell state, write part of the new
        torch.tanh(c, out=tanh_c)
        torch.mul(o, tanh_c, out=h)
        return h, c

    def backward_columns(
        self, buffers: list[Tensor], previous: State
    ) -> tuple[list[Tensor], list[Tensor]]:
        _, gates, _, tanh_c = buffers
        N, H = tanh_c.shape
        i, f, g, o = gates.chunk(4, dim=1)
        # The gradient of each pre-activation is a gradient times a factor: di = dc g
        # i (1 - i), df = dc c_{t-1} f (1 - f), dg = dc i (1 - g^2), do = dh tanh(c) o (1 - o).
        # Computed in place (s - s^2 is the slope s (1 - s) of a sigmoid): temporaries of
        # N rows cost about as much as the arithmetic.
        factors = torch.empty_like(gates)
        di, df, dg, do = factors.chunk(4, dim=1)
        torch.addcmul(i, i, i, value=-1, out=di).mul_(g)
        torch.addcmul(f, f, f, value=-1, out=df).mul_(previous[1])
        torch.mul(g, g, out=dg).neg_().add_(1).mul_(i)
        torch.addcmul(o, o, o, value=-1, out=do).mul_(tanh_c)
        dc_from_h = torch.mul(tanh_c, tanh_c).neg_().add_(1).mul_(o)  # dc_t += dh_t this
        grad_pre = torch.empty_like(gates)
        columns = [
            factors[:, : 3 * H].view(N, 3, H),
            factors[:, 3 * H :],
            dc_from_h,
            f,
            grad_pre[:, : 3 * H].view(N, 3, H),
            grad_pre[:, 3 * H :],
            grad_pre,
        ]
        return columns, [grad_pre]

    def backward_step(self, views: Views, grad_state: State, weight_hh: Tensor) -> State:
        ifg_factors, o_factor, dc_from_h, f, grad_ifg, grad_o, grad_pre = views
        dh, dc = grad_state
        dc = torch.addcmul(dc, dh, dc_from_h)
        torch.mul(dc.unsqueeze(1), ifg_factors, out=grad_ifg)  # i, f and g at once
        torch.mul(dh, o_factor, out=grad_o)
        return torch.mm(grad_pre, weight_hh), dc.mul_(f)


class GRUCell(Cell):
    """Gates ``r, z, n``; ``n_t = tanh(x_n + r (h_{t-1} W_hn + b_hn))``, ``h_t = (1 - z) n + z h``.

    Buffers: ``h``, the gates ``r`` and ``z`` ``(N, 2H)``, ``n`` and ``h_{t-1} W_hh + b_hh``
    ``(N, 3H)``. (With ``r, z`` and ``n`` in one buffer, a step's activations would run over
    rows with gaps between them, and round, in the last bit, unlike :meth:`GRU._step`'s.)
    """

    def buffer_widths(self, hidden_size: int) -> tuple[int, ...]:
        return (hidden_size, 2 * hidden_size, hidden_size, 3 * hidden_size)

    def forward_columns(self, x_proj: Tensor, buffers: list[Tensor]) -> list[Tensor]:
        h, r_and_z, n, h_proj = buffers
        H = h.shape[1]
        return [
            *x_proj.split((2 * H, H), dim=1),
            h_proj,
            *h_proj.split((2 * H, H), dim=1),
            r_and_z,
            *r_and_z.chunk(2, dim=1),
            n,
            h,
        ]

    def forward_step(
        self, views: Views, state: State, W_hh: Tensor, bias_hh: Tensor | None
    ) -> State:
        x_rz, x_n, h_proj, h_proj_rz, h_proj_n, r_and_z, r, z, n, h = views
        if bias_hh is None:
            torch.mm(state[0], W_hh, out=h_proj)
        else:
            torch.addmm(bias_hh, state[0], W_hh, out=h_proj)
        # The operations of GRU._step, in its order: the same numbers to the last bit.
        torch.add(x_rz, h_proj_rz, out=r_and_z)
        r_and_z.sigmoid_()
        torch.mul(r, h_proj_n, out=n)
        n.add_(x_n).tanh_()
        torch.mul(1 - z, n, out=h)
        h.add_(z * state[0])  # keep a fraction z of the old state
        return (h,)

    def backward_columns(
        self, buffers: list[Tensor], previous: State
    ) -> tuple[list[Tensor], list[Tensor]]:
        _, r_and_z, n, h_proj = buffers
        r, z = r_and_z.chunk(2, dim=1)
        # In place, as the LSTM's: a = a - a z is a (1 - z), r - r^2 is r (1 - r).
        dn_factor = torch.mul(n, n).neg_().add_(1)  # dn_pre = dh (1 - n^2) (1 - z)
        dn_factor.addcmul_(dn_factor, z, value=-1)
        dz_factor = torch.sub(previous[0], n).mul_(z)  # dz_pre = dh (h_prev - n) z (1 - z)
        dz_factor.addcmul_(dz_factor, z, value=-1)
        dr_factor = torch.addcmul(r, r, r, value=-1)  # dr_pre = dn_pre h_proj_n r (1 - r)
        dr_factor.mul_(h_proj[:, 2 * r.shape[1] :])
        grad_recurrent = torch.empty_like(h_proj)  # dr_pre, dz_pre and r dn_pre
        dn_pre = torch.empty_like(n)
        columns = [dn_factor, dz_factor, dr_factor, r, z, dn_pre, grad_recurrent]
        return columns + list(grad_recurrent.chunk(3, dim=1)), [grad_recurrent, dn_pre]

    def backward_step(self, views: Views, grad_state: State, weight_hh: Tensor) -> State:
        dn_factor, dz_factor, dr_factor, r, z, dn_pre, grad_recurrent, dr, dz, dh_n = views
        (dh,) = grad_state
        torch.mul(dh, dn_factor, out=dn_pre)
        torch.mul(dh, dz_factor, out=dz)
        torch.mul(dn_pre, dr_factor, out=dr)
        torch.mul(dn_pre, r, out=dh_n)  # through h_proj_n, which r multiplies
        return (torch.mul(dh, z).addmm_(grad_recurrent, weight_hh),)

    def finish(self, workspaces: list[Tensor]) -> tuple[Tensor, Tensor]:
        grad_recurrent, dn_pre = workspaces
        H = dn_pre.shape[1]
        grad_x_proj = torch.cat((grad_recurrent[:, : 2 * H], dn_pre), dim=1)
        return grad_x_proj, grad_recurrent


CELLS: dict[str, Cell] = {
    "RNN_TANH": RNNCell("tanh"),
    "RNN_RELU": RNNCell("relu"),
    "LSTM": LSTMCell(),
    "GRU": GRUCell(),
}


def _starts(batch_sizes: list[int]) -> list[int]:
    """The first row of every step in the ``(N, .)`` layout."""
    starts = [0]
    for rows in batch_sizes[:-1]:
        starts.append(starts[-1] + rows)
    return starts


def _order(batch_sizes: list[int], reverse: bool) -> range:
    """The steps in the order the forward pass runs them."""
    return range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))


def _steps(columns: list[Tensor], batch_sizes: list[int]) -> list[tuple[Tensor, ...]]:
    """Every step's rows of every column: ``result[t][j]`` is step ``t``'s of column ``j``."""
    return list(zip(*(column.split(batch_sizes) for column in columns), strict=True))


def _aligned(state: State) -> State:
    """``state`` with ``h`` copied if it does not start on a 64-byte boundary.

    After the first step ``h`` is a block of rows of the output buffer, where the autograd
    loop has a tensor of its own. A BLAS may multiply an operand that is not aligned with
    other instructions and so round differently; the copy (never needed when ``B * H``
    fills whole 64-byte lines) keeps the numbers of the autograd loop to the last bit.
    """
    h = state[0]
    return state if h.data_ptr() % 64 == 0 else (h.clone(), *state[1:])


def run_steps(
    step: Callable[[int, State], State],
    initial: State,
    batch_sizes: list[int],
    reverse: bool,
) -> tuple[list[State], State]:
    """Walk the time steps (backwards with ``reverse``), keeping packed rows in place.

    ``step(t, state)`` runs step ``t`` from the state before it. Forwards, the sequences
    that end leave the state's bottom rows; backwards, each packed sequence starts at its
    own last step, from its rows of ``initial``. Returns the state after every step, in
    time order, and the final state of every sequence.
    """
    order = _order(batch_sizes, reverse)
    state = tuple(s[: batch_sizes[order[0]]] for s in initial)
    after: list[State] = [()] * len(batch_sizes)
    finished = []
    for t in order:
        rows, running = batch_sizes[t], state[0].shape[0]
        if rows < running:
            finished.append(tuple(s[rows:] for s in state))
            state = tuple(s[:rows] for s in state)
        elif rows > running:
            starting = (s0[running:rows] for s0 in initial)
            state = tuple(torch.cat((s, s0)) for s, s0 in zip(state, starting, strict=True))
        state = step(t, state)
        after[t] = state
    final = tuple(torch.cat(parts) for parts in zip(state, *reversed(finished), strict=True))
    return after, final


def previous_states(states: State, initial: State, batch_sizes: list[int], reverse: bool) -> State:
    """The state before every step, ``(N, .)`` rows like ``states`` (the state after it)."""
    pieces: list[list[Tensor]] = [[] for _ in states]
    starts = _starts(batch_sizes)
    for t, rows in enumerate(batch_sizes):
        before = t + 1 if reverse else t - 1
        for piece, after, first in zip(pieces, states, initial, strict=True):
            if not 0 <= before < len(batch_sizes):
                piece.append(first[:rows])
                continue
            running = min(rows, batch_sizes[before])
            piece.append(after[starts[before] : starts[before] + running])
            if rows > running:
                piece.append(first[running:rows])
    return tuple(torch.cat(piece) for piece in pieces)


class Recurrence(torch.autograd.Function):
    """One layer in one direction: ``(x_proj, weight_hh, bias_hh, *initial) -> (h, *final)``.

    ``h`` is ``(N, H)``, the hidden state after every step in the rows of ``x_proj``;
    ``final`` the state after each sequence's last step, ``(B, H)`` each. The cell and the
    layer's autograd ``step`` (for gradients of gradients) come first, with the batch sizes
    and the direction.
    """

    @staticmethod
    def forward(
        ctx: Any,
        cell: Cell,
        step: Step,
        batch_sizes: list[int],
        reverse: bool,
        x_proj: Tensor,
        weight_hh: Tensor,
        bias_hh: Tensor | None,
        *initial: Tensor,
    ) -> tuple[Tensor, ...]:
        rows, hidden_size = x_proj.shape[0], weight_hh.shape[1]
        buffers = [x_proj.new_empty(rows, width) for width in cell.buffer_widths(hidden_size)]
        views = _steps(cell.forward_columns(x_proj, buffers), batch_sizes)
        W_hh = weight_hh.T  # (H, G*H)

        first = _order(batch_sizes, reverse)[0]

        def fast_step(t: int, state: State) -> State:
            state = state if t == first else _aligned(state)
            return cell.forward_step(views[t], state, W_hh, bias_hh)

        _, final = run_steps(fast_step, initial, batch_sizes, reverse)
        ctx.cell, ctx.step, ctx.batch_sizes, ctx.reverse = cell, step, batch_sizes, reverse
        ctx.has_bias = bias_hh is not None
        saved = (x_proj, weight_hh, *((bias_hh,) if ctx.has_bias else ()), *initial, *buffers)
        ctx.save_for_backward(*saved)
        return (buffers[0], *final)

    @staticmethod
    def backward(ctx: Any, grad_h: Tensor, *grad_final: Tensor) -> tuple[Tensor | None, ...]:
        saved = list(ctx.saved_tensors)
        x_proj, weight_hh = saved[:2]
        bias_hh = saved[2] if ctx.has_bias else None
        count = ctx.cell.state_count
        rest = saved[3 if ctx.has_bias else 2 :]
        initial, buffers = tuple(rest[:count]), rest[count:]
        inputs = (x_proj, weight_hh, bias_hh, *initial)
        if torch.is_grad_enabled():  # a graph of this backward pass: differentiate the step
            grads = _autograd_backward(ctx, inputs, (grad_h, *grad_final))
        else:
            grads = _hand_backward(ctx, inputs, buffers, grad_h, grad_final)
        return (None, None, None, None, *grads)


def _hand_backward(
    ctx: Any, inputs: tuple, buffers: list[Tensor], grad_h: Tensor, grad_final: tuple
) -> tuple[Tensor | None, ...]:
    """BPTT by hand: the gradients of ``x_proj, weight_hh, bias_hh, *initial``."""
    cell: Cell = ctx.cell
    x_proj, weight_hh, bias_hh, *initial = inputs
    batch_sizes, reverse = ctx.batch_sizes, ctx.reverse
    previous = previous_states(cell.states(buffers), tuple(initial), batch_sizes, reverse)
    columns, workspaces = cell.backward_columns(buffers, previous)
    views, grad_h_steps = _steps(columns, batch_sizes), grad_h.split(batch_sizes)
    grad_initial = [torch.zeros_like(s) for s in initial]

    order = _order(batch_sizes, reverse)
    first, last = order[0], order[-1]
    grad_state = tuple(g[: batch_sizes[last]] for g in grad_final)
    for position in reversed(range(len(order))):  # the steps of the forward pass, last first
        t = order[position]
        grad_state = (torch.add(grad_h_steps[t], grad_state[0]), *grad_state[1:])
        grad_state = cell.backward_step(views[t], grad_state, weight_hh)
        rows = batch_sizes[t]
        running = batch_sizes[order[position - 1]] if t != first else rows
        if t == first:
            for grad, g in zip(grad_initial, grad_state, strict=True):
                grad[:rows] = g
        elif rows < running:  # packed, forwards: rows[rows:running] ended one step earlier
            ended = (g[rows:running] for g in grad_final)
            grad_state = tuple(torch.cat(parts) for parts in zip(grad_state, ended, strict=True))
        elif rows > running:  # packed, backwards: rows[running:rows] started here
            for grad, g in zip(grad_initial, grad_state, strict=True):
                grad[running:rows] = g[running:]
            grad_state = tuple(g[:running] for g in grad_state)

    grad_x_proj, grad_recurrent = cell.finish(workspaces)
    grad_weight_hh = grad_recurrent.T @ previous[0] if ctx.needs_input_grad[5] else None
    grad_bias_hh = grad_recurrent.sum(0) if ctx.needs_input_grad[6] else None
    return (grad_x_proj, grad_weight_hh, grad_bias_hh, *grad_initial)


def _autograd_backward(ctx: Any, inputs: tuple, grad_outputs: tuple) -> tuple[Tensor | None, ...]:
    """The same gradients as a differentiable graph: the layer's step run again under
    autograd over the saved inputs, then differentiated with ``create_graph=True``."""
    x_proj, weight_hh, bias_hh, *initial = inputs
    with torch.enable_grad():
        x_proj_steps, W_hh = x_proj.split(ctx.batch_sizes), weight_hh.T

        def autograd_step(t: int, state: State) -> State:
            return ctx.step(x_proj_steps[t], state, W_hh, bias_hh)

        after, final = run_steps(autograd_step, tuple(initial), ctx.batch_sizes, ctx.reverse)
        outputs = (torch.cat([state[0] for state in after]), *final)
        wanted = [i for i, x in enumerate(inputs) if x is not None and ctx.needs_input_grad[4 + i]]
        grads = torch.autograd.grad(
            outputs,
            [inputs[i] for i in wanted],
            grad_outputs,
            create_graph=True,
            allow_unused=True,
        )
    result: list[Tensor | None] = [None] * len(inputs)
    for i, grad in zip(wanted, grads, strict=True):
        result[i] = grad
    return tuple(result)


def recurrence(
    cell: Cell,
    step: Step,
    x_proj: Tensor,
    weight_hh: Tensor,
    bias_hh: Tensor | None,
    batch_sizes: list[int],
    state: State,
    reverse: bool,
) -> tuple[Tensor, State]:
    """One layer in one direction through :class:`Recurrence`: ``(h, final)``.

    Args:
        cell: the cell of :data:`CELLS` for the layer's ``mode``.
        step: the layer's ``_step``, which gradients of gradients differentiate.
        x_proj: ``(N, G*H)``, the input projection of every step, time-major rows.
        weight_hh: ``(G*H, H)``, the recurrent weights as the module stores them.
        bias_hh: ``(G*H,)``, the GRU's recurrent bias; None where it is folded into
            ``x_proj`` or absent.
        batch_sizes: rows of every step, non-increasing, summing to ``N``.
        state: the initial state, ``(B, H)`` each, ``B = max(batch_sizes)``.
        reverse: read the steps from last to first.

    Returns:
        ``h`` ``(N, H)`` and the final state of every sequence, ``(B, H)`` each.
    """
    h, *final = Recurrence.apply(
        cell, step, batch_sizes, reverse, x_proj, weight_hh, bias_hh, *state
    )
    return h, tuple(final)
