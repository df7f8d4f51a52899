"""A vanilla (Elman) recurrent network with a linear read-out, in NumPy, batched.

The model, in the row-vector convention (one row per sequence of the batch)::

    h_t      = tanh(x_t @ W_xh + h_{t-1} @ W_hh + b_h)      h_0 = 0 unless given
    logits_t = h_t @ W_hy + b_y

with ``x_t`` of shape ``(B, D)``, ``h_t`` ``(B, H)`` and ``logits_t`` ``(B, V)``. The loss
is the softmax cross-entropy averaged over all ``B * T`` positions.

The public methods take and return batch-first arrays ``(B, T, ...)``. Inside, the hidden
states live in one time-major buffer ``hb`` of shape ``(T + 1, B, H)`` with ``hb[0] = h_0``
and ``hb[t] = h_t``: each step's slice ``hb[t]`` is then contiguous, and "all h_t" and
"all h_{t-1}" are the two views ``hb[1:]`` and ``hb[:-1]``, so that everything except the
recurrence itself is one large matrix product over all ``T * B`` positions:

* forward: the input projection of every step (a row gather ``W_xh[ids]`` for integer
  input), then the loop ``h_t = tanh(pre_t + h_{t-1} @ W_hh)``, then the read-out;
* backward: ``dL/dh_t`` from the read-out for every step at once, then the loop that adds
  the gradient flowing back from ``h_{t+1}``, then every weight gradient as one product.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from companion._validate import (
    as_array,
    check_finite,
    check_ids,
    check_positive_int,
    shape_error,
)
from companion.scratch.init import Seed, as_generator, orthogonal, xavier_uniform
from companion.scratch.losses import softmax_cross_entropy

Params = dict[str, np.ndarray]


def sum_rows_by_id(ids: np.ndarray, values: np.ndarray, num_ids: int) -> np.ndarray:
    """``out[i] = sum of values[n] over all n with ids[n] == i``: the backward of ``W[ids]``.

    Equal to ``onehot(ids).T @ values`` and to ``np.add.at(out, ids, values)``, without
    building the one-hot matrix and several times faster than ``np.add.at``: sort the row
    numbers by id, then sum the rows of each id with one vectorised ``sum`` (a Python
    loop over the distinct ids, which for characters is ~100).

    Args:
        ids: ``(N,)`` integers in ``[0, num_ids)``.
        values: ``(N, H)`` rows to add up.
        num_ids: number of rows of the result.

    Returns:
        ``(num_ids, H)``; rows of ids that never occur are zero.
    """
    order = np.argsort(ids, kind="stable")  # row numbers, those of equal ids adjacent
    counts = np.bincount(ids, minlength=num_ids)
    ends = np.cumsum(counts)
    out = np.zeros((num_ids, values.shape[1]), dtype=values.dtype)
    for i in np.flatnonzero(counts):
        out[i] = values[order[ends[i] - counts[i] : ends[i]]].sum(axis=0)
    return out


class RNN:
    """A one-layer tanh RNN with a linear read-out; forward and BPTT backward in NumPy.

    Args:
        input_size: ``D``, features per time step (the vocabulary size for integer input).
        hidden_size: ``H``, size of the hidden state.
        output_size: ``V``, number of output classes (logits per time step).
        seed: int or ``numpy.random.Generator`` for the initial weights.
        dtype: ``np.float64`` (for gradient checks) or ``np.float32`` (faster).

    Initialisation: ``W_xh`` and ``W_hy`` Xavier/Glorot uniform; ``W_hh`` orthogonal (all
    its singular values are 1, so the recurrence neither shrinks nor blows up a state at
    the start); ``b_h`` and ``b_y`` zero. Draws happen in that order from one generator.

    Attributes:
        params: dict of arrays ``W_xh (D, H)``, ``W_hh (H, H)``, ``b_h (H,)``,
            ``W_hy (H, V)``, ``b_y (V,)``. Optimisers update them in place; you may also
            assign new arrays of the same shapes.

    A model reuses its largest intermediate arrays from one call to the next (see
    ``_buffer``), so it must not run in two threads at once.

    Taught in the book's section 3.1, book/03-math/01-forward.md.
    Taught in the book's section 3.3, book/03-math/03-bptt.md.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        *,
        seed: Seed = 0,
        dtype: DTypeLike = np.float64,
    ) -> None:
        self.input_size = check_positive_int(input_size, "input_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.output_size = check_positive_int(output_size, "output_size")
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype: expected np.float32 or np.float64, got {self.dtype}")
        D, H, V = self.input_size, self.hidden_size, self.output_size
        rng = as_generator(seed)
        self.params: Params = {
            "W_xh": xavier_uniform((D, H), seed=rng, dtype=self.dtype),
            "W_hh": orthogonal((H, H), seed=rng, dtype=self.dtype),
            "b_h": np.zeros(H, dtype=self.dtype),
            "W_hy": xavier_uniform((H, V), seed=rng, dtype=self.dtype),
            "b_y": np.zeros(V, dtype=self.dtype),
        }
        self._buffers: dict[str, np.ndarray] = {}  # see _buffer

    def __repr__(self) -> str:
        return (
            f"RNN(input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"output_size={self.output_size}, dtype={self.dtype.name})"
        )

    # ----------------------------------------------------------------- public API

    def forward(self, x: np.ndarray, h0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Run the network over whole sequences.

        Args:
            x: ``(B, T, D)`` floats, or ``(B, T)`` integer ids in ``[0, D)`` read as one-hot.
            h0: ``(B, H)`` initial hidden state; zeros if ``None``.

        Returns:
            ``(logits, hs)``: ``logits (B, T, V)`` and the hidden states ``hs (B, T, H)``
            (``hs[:, -1]`` is the state to carry into the next window).

        Taught in the book's section 3.1, book/03-math/01-forward.md.
        """
        inputs, batch, steps = self._inputs(x)
        hb = self._recur(inputs, self._h0(h0, batch), steps)
        logits = self._read_out(hb[1:]).reshape(steps, batch, self.output_size)
        return _batch_first(logits), _batch_first(hb[1:])

    def loss_and_grads(
        self, x: np.ndarray, y: np.ndarray, h0: np.ndarray | None = None
    ) -> tuple[float, Params, np.ndarray]:
        """Loss, gradients of every parameter (by BPTT) and the last hidden state.

        Args:
            x: ``(B, T, D)`` floats, or ``(B, T)`` integer ids in ``[0, D)``.
            y: ``(B, T)`` integer targets in ``[0, V)``.
            h0: ``(B, H)`` initial hidden state; zeros if ``None``. Gradients do not flow
                into it (truncated BPTT); use :meth:`backward` for ``dL/dh0``.

        Returns:
            ``(loss, grads, h_last)``: the mean cross-entropy over all ``B * T`` positions
            (nats), a dict with the keys and shapes of :attr:`params`, and ``h_T (B, H)``.
        """
        inputs, batch, steps = self._inputs(x)
        y = check_ids(y, "y", self.output_size, (batch, steps), "(B, T) like x")
        hb = self._recur(inputs, self._h0(h0, batch), steps)
        logits = self._read_out(hb[1:])
        loss, dlogits = softmax_cross_entropy(logits, y.T.reshape(-1))  # time-major like hb
        grads, _ = self._bptt(inputs, hb, dlogits)
        return loss, grads, hb[-1].copy()

    def backward(
        self, x: np.ndarray, hs: np.ndarray, dlogits: np.ndarray, h0: np.ndarray | None = None
    ) -> tuple[Params, np.ndarray]:
        """Backpropagation through time, given the gradient of a loss wrt the logits.

        Args:
            x: the ``(B, T, D)`` or ``(B, T)`` input given to :meth:`forward`.
            hs: ``(B, T, H)`` hidden states returned by :meth:`forward`.
            dlogits: ``(B, T, V)`` gradient of the loss wrt the logits.
            h0: ``(B, H)`` the initial state given to :meth:`forward` (``None``: zeros).

        Returns:
            ``(grads, dh0)``: a dict with the keys and shapes of :attr:`params`, and
            ``dL/dh0 (B, H)``, the gradient that flows into the initial state.
        """
        inputs, batch, steps = self._inputs(x)
        h0 = self._h0(h0, batch)
        H, V = self.hidden_size, self.output_size
        hs = _checked_float(hs, "hs", (batch, steps, H), "(B, T, H)", self.dtype)
        dlogits = _checked_float(dlogits, "dlogits", (batch, steps, V), "(B, T, V)", self.dtype)
        hb = self._buffer("hb", (steps + 1, batch, H))
        hb[0] = h0
        hb[1:] = hs.transpose(1, 0, 2)
        return self._bptt(inputs, hb, dlogits.transpose(1, 0, 2).reshape(-1, V))

    # ----------------------------------------------------------------- internals

    def _buffer(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """An uninitialised array of ``shape``: the one of the last call, if it had that shape.

        Used for the step's two largest arrays, ``hb`` and ``da`` ``(T, B, H)``. A new
        array of that size comes fresh from the operating system, which zero-fills each
        4 KiB page of it on first touch (a page fault); at H = 128 on the benchmark's
        machine those faults took as long as the whole forward pass.
        """
        buffer = self._buffers.get(name)
        if buffer is None or buffer.shape != shape:
            buffer = self._buffers[name] = np.empty(shape, dtype=self.dtype)
        return buffer

    def _inputs(self, x: np.ndarray) -> tuple[np.ndarray, int, int]:
        """Check ``x``; return it time-major, with ``B`` and ``T``.

        Integer ids become a ``(T, B)`` array; floats a ``(T * B, D)`` array in ``dtype``.
        """
        D = self.input_size
        x = as_array(x, "x")
        expected = f"(B, T) integer ids in [0, {D}) or (B, T, D) = (B, T, {D}) floats"
        if x.dtype.kind in "iu":
            if x.ndim != 2 or x.size == 0:
                raise shape_error("x", expected, x.shape)
            check_ids(x, "x", D)
            return np.ascontiguousarray(x.T), x.shape[0], x.shape[1]
        if x.ndim != 3 or x.shape[2] != D or x.size == 0:
            raise shape_error("x", expected, x.shape)
        check_finite(x, "x")
        inputs = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=self.dtype)
        return inputs.reshape(-1, D), x.shape[0], x.shape[1]

    def _h0(self, h0: np.ndarray | None, batch: int) -> np.ndarray:
        """``h0`` checked against ``(B, H)``, or zeros."""
        if h0 is None:
            return np.zeros((batch, self.hidden_size), dtype=self.dtype)
        return _checked_float(h0, "h0", (batch, self.hidden_size), "(B, H)", self.dtype)

    def _recur(self, inputs: np.ndarray, h0: np.ndarray, steps: int) -> np.ndarray:
        """The forward recurrence; returns ``hb (T + 1, B, H)`` with ``hb[0] = h0``."""
        W_xh, W_hh, b_h = self.params["W_xh"], self.params["W_hh"], self.params["b_h"]
        batch, H = h0.shape
        hb = self._buffer("hb", (steps + 1, batch, H))
        hb[0] = h0
        pre = hb[1:]  # first x_t @ W_xh + b_h for every t at once, then h_t in place
        if inputs.dtype.kind in "iu":
            # onehot(ids) @ W_xh + b_h = (W_xh + b_h)[ids]: a row gather (ids already checked)
            np.take(W_xh + b_h, inputs, axis=0, out=pre, mode="clip")
        else:
            np.matmul(inputs, W_xh, out=pre.reshape(-1, H))
            pre += b_h
        for t in range(1, steps + 1):  # the only sequential part
            hb[t] += hb[t - 1] @ W_hh
            np.tanh(hb[t], out=hb[t])
        return hb

    def _read_out(self, hs: np.ndarray) -> np.ndarray:
        """``(T * B, V)`` logits from time-major hidden states ``hs (T, B, H)``."""
        logits = hs.reshape(-1, self.hidden_size) @ self.params["W_hy"]
        logits += self.params["b_y"]
        return logits

    def _bptt(
        self, inputs: np.ndarray, hb: np.ndarray, dlogits: np.ndarray
    ) -> tuple[Params, np.ndarray]:
        """Gradients from time-major ``hb (T + 1, B, H)`` and ``dlogits (T * B, V)``."""
        W_hh, W_hy = self.params["W_hh"], self.params["W_hy"]
        steps, batch, H = hb.shape[0] - 1, hb.shape[1], hb.shape[2]
        hs = hb[1:].reshape(-1, H)  # h_t for every position, (T * B, H)
        h_prev = hb[:-1].reshape(-1, H)  # h_{t-1} for every position

        # dL/dh_t through the read-out, every t at once; the loop below turns it, in
        # place, into dL/da_t, the gradient wrt the pre-activation a_t of step t.
        da = self._buffer("da", (steps, batch, H))  # (T, B, H), then (T * B, H)
        np.matmul(dlogits, W_hy.T, out=da.reshape(-1, H))
        W_hh_T = np.ascontiguousarray(W_hh.T)  # OpenBLAS: faster with a copy than with a view
        dh = np.zeros((batch, H), dtype=self.dtype)  # dL/dh_t via h_{t+1}; none after T
        for t in reversed(range(steps)):
            da[t] += dh
            da[t] *= 1 - hb[t + 1] ** 2  # tanh'(a_t) = 1 - h_t**2
            dh = da[t] @ W_hh_T  # becomes dL/dh_{t-1}; after the loop, dL/dh_0
        da = da.reshape(-1, H)

        if inputs.dtype.kind in "iu":
            dW_xh = sum_rows_by_id(inputs.reshape(-1), da, self.input_size)
        else:
            dW_xh = inputs.T @ da
        grads = {
            "W_xh": dW_xh,
            "W_hh": h_prev.T @ da,
            "b_h": da.sum(axis=0),
            "W_hy": hs.T @ dlogits,
            "b_y": dlogits.sum(axis=0),
        }
        return grads, dh


def _batch_first(time_major: np.ndarray) -> np.ndarray:
    """A contiguous ``(B, T, ...)`` copy of a ``(T, B, ...)`` array."""
    return np.ascontiguousarray(time_major.swapaxes(0, 1))


def _checked_float(
    value: np.ndarray, name: str, shape: tuple[int, ...], names: str, dtype: np.dtype
) -> np.ndarray:
    """A finite float array of exactly ``shape``, in ``dtype``."""
    array = as_array(value, name)
    if array.shape != shape:
        raise shape_error(name, f"{names} = {shape}", array.shape)
    check_finite(array, name)
    return np.asarray(array, dtype=dtype)
