"""Recurrent layers written by hand: drop-in replacements for ``torch.nn.RNN/LSTM/GRU``.

Same constructor arguments, parameter names and shapes, initialisation, gate order and
return values as PyTorch's modules, so ``ours.load_state_dict(theirs.state_dict())`` works
in both directions and both give the same numbers. Autograd computes the gradients.

In the row-vector convention of the book, with ``W_ih = weight_ih_l{k}.T`` of shape
``(D, G*H)`` and ``W_hh = weight_hh_l{k}.T`` of shape ``(H, G*H)`` (``G`` blocks of ``H``
columns: 1 for the RNN, 4 for the LSTM, 3 for the GRU), every layer does two things:

1. the *input projection* of every time step at once, one matrix product
   ``x_proj = x @ W_ih + b`` over all ``T * B`` positions (it does not depend on ``h``);
2. the recurrence, a loop over time in which only ``h_{t-1} @ W_hh`` and the cell's
   element-wise gate arithmetic remain: :meth:`RecurrentBase._step`, the one method in
   which the RNN, the LSTM and the GRU differ.

Everything else (stacking layers, dropout between them, checking the input and the
initial state, batch-first or time-first layouts, unbatched input, packed sequences) is
shared, in :class:`RecurrentBase`.
"""

from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

State = tuple[Tensor, ...]  # (h,) for the RNN and the GRU, (h, c) for the LSTM


class RecurrentBase(nn.Module):
    """What every recurrent layer shares; a subclass supplies only :meth:`_step`.

    Subclasses set ``gate_count`` (blocks of ``H`` rows in the weight matrices),
    ``state_names`` (``("h",)`` or ``("h", "c")``) and ``fold_hidden_bias`` (whether
    ``bias_hh`` can be added once, in the input projection, instead of at every step).
    """

    gate_count: int
    state_names: tuple[str, ...] = ("h",)
    fold_hidden_bias: bool = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        for arg, value in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{arg}: expected a positive int, got {value!r}")
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, (int, float))
            or not (0 <= dropout <= 1)
        ):
            raise ValueError(f"dropout: expected a number in [0, 1], got {dropout!r}")
        if bidirectional:
            raise NotImplementedError(
                f"companion.nn.{name} runs in one direction only; use torch.nn.{name} "
                "for bidirectional=True"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(  # as torch.nn does: dropout acts between layers only
                f"dropout={dropout} has no effect with num_layers=1: it is applied to the "
                "outputs of every layer except the last",
                stacklevel=2,
            )
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = False

        # Registered in torch's order, so that parameters() lists them as torch.nn does.
        factory = {"device": device, "dtype": dtype}
        rows = self.gate_count * hidden_size
        for k in range(num_layers):
            layer_input = input_size if k == 0 else hidden_size
            shapes = {
                f"weight_ih_l{k}": (rows, layer_input),
                f"weight_hh_l{k}": (rows, hidden_size),
            }
            if self.bias:
                shapes |= {f"bias_ih_l{k}": (rows,), f"bias_hh_l{k}": (rows,)}
            for param_name, shape in shapes.items():
                self.register_parameter(param_name, nn.Parameter(torch.empty(shape, **factory)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias uniform in ``[-1/sqrt(H), 1/sqrt(H)]``, as in torch.nn."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        return text

    # ------------------------------------------------------------------ forward

    def forward(
        self, input: Tensor | PackedSequence, hx: Tensor | State | None = None
    ) -> tuple[Tensor | PackedSequence, Tensor | State]:
        """Run every layer over whole sequences.

        Args:
            input: ``(B, T, D)`` if ``batch_first`` else ``(T, B, D)``; ``(T, D)`` for one
                unbatched sequence; or a ``PackedSequence`` of sequences of several lengths.
            hx: the initial state of every layer, ``(num_layers, B, H)`` (``(num_layers, H)``
                for unbatched input); for the LSTM a tuple ``(h_0, c_0)`` of two such
                tensors. Zeros if ``None``. Always layer-first, whatever ``batch_first``.

        Returns:
            ``(output, h_n)``, or ``(output, (h_n, c_n))`` for the LSTM: ``output`` holds
            the last layer's hidden state at every time step, in the layout of ``input``
            with ``H`` features; ``h_n`` (and ``c_n``) the state of every layer after the
            last time step of each sequence, shaped like ``hx``.
        """
        packed = isinstance(input, PackedSequence)
        if packed:
            data, sizes = input.data, input.batch_sizes
            self._check_features(data, "the data of the PackedSequence `input`", "(N, D)")
            batch_sizes = sizes.tolist()
            batch, batched = batch_sizes[0], True
        else:
            x, batched = self._check_input(input)
            if self.batch_first and batched:
                x = x.transpose(0, 1)
            steps, batch = x.shape[0], x.shape[1]
            data, batch_sizes = x.reshape(steps * batch, self.input_size), [batch] * steps

        state = self._initial_state(hx, data, batch, batched)
        if packed and input.sorted_indices is not None:  # hx comes in the caller's order
            state = tuple(s.index_select(1, input.sorted_indices) for s in state)

        finals = []
        for k in range(self.num_layers):
            if k > 0 and self.dropout > 0:
                data = F.dropout(data, self.dropout, self.training)
            data, final = self._layer(k, data, batch_sizes, tuple(s[k] for s in state))
            finals.append(final)
        last = tuple(torch.stack(layers) for layers in zip(*finals, strict=True))  # (L, B, H) each

        if packed:
            if input.unsorted_indices is not None:
                last = tuple(s.index_select(1, input.unsorted_indices) for s in last)
            output = PackedSequence(data, sizes, input.sorted_indices, input.unsorted_indices)
        else:
            output = data.view(steps, batch, self.hidden_size)
            if not batched:
                output, last = output.squeeze(1), tuple(s.squeeze(1) for s in last)
            elif self.batch_first:
                output = output.transpose(0, 1)
        return output, last if len(last) > 1 else last[0]

    def _layer(
        self, k: int, data: Tensor, batch_sizes: list[int], state: State
    ) -> tuple[Tensor, State]:
        """One layer over every time step.

        ``data`` holds the layer's input as ``(N, D_k)`` rows in time-major order: the
        ``batch_sizes[t]`` sequences still running at step ``t`` (a padded batch has
        ``B`` at every step). Returns the hidden states in the same layout, ``(N, H)``,
        and the state after each sequence's last step.
        """
        weight_ih, weight_hh = getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")
        bias_ih, bias_hh = (
            (getattr(self, f"bias_ih_l{k}"), getattr(self, f"bias_hh_l{k}"))
            if self.bias
            else (None, None)
        )
        if self.fold_hidden_bias and self.bias:
            bias_ih, bias_hh = bias_ih + bias_hh, None  # the cell only ever uses their sum

        # 1. The input projection of every time step: one (N, D_k) x (D_k, G*H) product.
        if bias_ih is None:
            x_proj = data @ weight_ih.T
        else:
            x_proj = torch.addmm(bias_ih, data, weight_ih.T)

        # 2. The recurrence. split() and cat() keep autograd's bookkeeping to one node each
        # (indexing x_proj[t] would make every step's backward write a full-size gradient).
        W_hh = weight_hh.T  # (H, G*H), a view
        outputs, finished = [], []
        for x_proj_t in x_proj.split(batch_sizes):
            rows = x_proj_t.shape[0]
            if rows < state[0].shape[0]:  # packed input: some sequences have ended
                finished.append(tuple(s[rows:] for s in state))
                state = tuple(s[:rows] for s in state)
            state = self._step(x_proj_t, state, W_hh, bias_hh)
            outputs.append(state[0])
        # Sequences that end early sit at the bottom rows: put them back below the others.
        final = tuple(torch.cat(parts) for parts in zip(state, *reversed(finished), strict=True))
        return torch.cat(outputs), final

    def _step(self, x_proj_t: Tensor, state: State, W_hh: Tensor, b_hh: Tensor | None) -> State:
        """One time step of the cell.

        Args:
            x_proj_t: ``(B, G*H)``, the input projection ``x_t @ W_ih + b`` of this step.
            state: the state after the previous step, ``(h,)`` or ``(h, c)``, each ``(B, H)``.
            W_hh: ``(H, G*H)``, the recurrent weights in the row-vector convention.
            b_hh: ``(G*H,)`` when ``fold_hidden_bias`` is false and the layer has biases;
                otherwise ``None`` (already inside ``x_proj_t``).

        Returns:
            the new state, hidden state first.
        """
        raise NotImplementedError

    # --------------------------------------------------------------- validation

    def _check_input(self, input: Tensor) -> tuple[Tensor, bool]:
        """``input`` as a 3-D tensor, time-first or batch-first, and whether it was batched."""
        if not isinstance(input, Tensor):
            raise TypeError(
                f"input: expected a torch.Tensor or a PackedSequence, got {type(input).__name__}"
            )
        layout = "(B, T, D)" if self.batch_first else "(T, B, D)"
        if input.dim() not in (2, 3):
            raise ValueError(
                f"input: expected a 3-D tensor {layout} (batch_first={self.batch_first}) or a "
                f"2-D tensor (T, D) for one unbatched sequence, got shape {tuple(input.shape)}"
            )
        self._check_features(input, "input", f"{layout} or (T, D)")
        batched = input.dim() == 3
        x = input if batched else input.unsqueeze(1)
        if x.shape[1 if self.batch_first and batched else 0] == 0:
            raise ValueError(
                f"input: the sequences are empty (T = 0), shape {tuple(input.shape)}; "
                "a recurrent layer needs at least one time step"
            )
        return x, batched

    def _check_features(self, x: Tensor, name: str, layout: str) -> None:
        """The last dimension, dtype and device of an input tensor against the weights."""
        weight = self.weight_ih_l0
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected {layout} with D = input_size = {self.input_size} features, "
                f"got shape {tuple(x.shape)}"
            )
        if x.dtype != weight.dtype or x.device != weight.device:
            raise ValueError(
                f"{name}: expected a {weight.dtype} tensor on {weight.device} like the layer's "
                f"weights, got {x.dtype} on {x.device} (move one of them with .to())"
            )

    def _initial_state(
        self, hx: Tensor | State | None, data: Tensor, batch: int, batched: bool
    ) -> State:
        """The initial state as a tuple of ``(num_layers, B, H)`` tensors."""
        shape = (self.num_layers, batch, self.hidden_size)
        if hx is None:
            return tuple(data.new_zeros(shape) for _ in self.state_names)
        parts = self._split_hx(hx)
        expected = shape if batched else (self.num_layers, self.hidden_size)
        names = "(num_layers, B, H)" if batched else "(num_layers, H) for unbatched input"
        for state_name, part in zip(self.state_names, parts, strict=True):
            label = "hx" if len(parts) == 1 else f"hx ({state_name}_0)"
            if not isinstance(part, Tensor):
                raise TypeError(f"{label}: expected a torch.Tensor, got {type(part).__name__}")
            if tuple(part.shape) != expected:
                raise ValueError(
                    f"{label}: expected shape {names} = {expected}, got {tuple(part.shape)}"
                )
            if part.dtype != data.dtype or part.device != data.device:
                raise ValueError(
                    f"{label}: expected a {data.dtype} tensor on {data.device} like the input, "
                    f"got {part.dtype} on {part.device}"
                )
        return parts if batched else tuple(part.unsqueeze(1) for part in parts)

    def _split_hx(self, hx: Tensor | State) -> State:
        """``hx`` as a tuple, one tensor per state (RNN, GRU: a tensor; LSTM: a pair)."""
        if len(self.state_names) == 1:
            return (hx,)
        if not isinstance(hx, (tuple, list)) or len(hx) != len(self.state_names):
            raise TypeError(
                f"hx: expected a tuple (h_0, c_0) of two tensors, got {type(hx).__name__}"
                + (f" of length {len(hx)}" if isinstance(hx, (tuple, list)) else "")
            )
        return tuple(hx)


class RNN(RecurrentBase):
    """Elman RNN, a drop-in for ``torch.nn.RNN``: ``h_t = tanh(x_t W_ih + h_{t-1} W_hh + b)``.

    Arguments as ``torch.nn.RNN``: ``input_size`` (``D``), ``hidden_size`` (``H``),
    ``num_layers``, ``nonlinearity`` (``"tanh"`` or ``"relu"``), ``bias``, ``batch_first``,
    ``dropout`` (between layers, in training mode). ``bidirectional=True`` is not supported.
    ``b`` is ``bias_ih + bias_hh``; see :meth:`RecurrentBase.forward` for the shapes.
    """

    gate_count = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity: expected 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )

    def _step(self, x_proj_t: Tensor, state: State, W_hh: Tensor, b_hh: Tensor | None) -> State:
        (h,) = state
        a = torch.addmm(x_proj_t, h, W_hh)  # x_t W_ih + b + h_{t-1} W_hh
        return (torch.tanh(a) if self.nonlinearity == "tanh" else torch.relu(a),)


class LSTM(RecurrentBase):
    """Long short-term memory, a drop-in for ``torch.nn.LSTM`` (gates ``i, f, g, o``).

    Arguments as ``torch.nn.LSTM``: ``input_size`` (``D``), ``hidden_size`` (``H``),
    ``num_layers``, ``bias``, ``batch_first``, ``dropout`` (between layers, in training
    mode). ``bidirectional=True`` and ``proj_size > 0`` are not supported. The state is the
    pair ``(h, c)``: ``hx=(h_0, c_0)`` in, ``(output, (h_n, c_n))`` out.
    """

    gate_count = 4
    state_names = ("h", "c")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        if proj_size:
            raise NotImplementedError(
                "companion.nn.LSTM has no projection; use torch.nn.LSTM for proj_size > 0"
            )
        self.proj_size = 0
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )

    def _step(self, x_proj_t: Tensor, state: State, W_hh: Tensor, b_hh: Tensor | None) -> State:
        h, c = state
        gates = torch.addmm(x_proj_t, h, W_hh)  # (B, 4H): the four gates in one product
        i, f, g, o = gates.chunk(4, dim=1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g  # forget part of the old cell state, write part of the new
        h = o * torch.tanh(c)  # expose part of the cell state
        return h, c


class GRU(RecurrentBase):
    """Gated recurrent unit, a drop-in for ``torch.nn.GRU`` (gates ``r, z, n``).

    Arguments as ``torch.nn.GRU``: ``input_size`` (``D``), ``hidden_size`` (``H``),
    ``num_layers``, ``bias``, ``batch_first``, ``dropout`` (between layers, in training
    mode). ``bidirectional=True`` is not supported. The reset gate multiplies
    ``h_{t-1} W_hn + b_hn``, bias included, as in PyTorch, so ``bias_hh`` stays in the step.
    """

    gate_count = 3
    fold_hidden_bias = False

    def _step(self, x_proj_t: Tensor, state: State, W_hh: Tensor, b_hh: Tensor | None) -> State:
        (h,) = state
        h_proj = torch.mm(h, W_hh) if b_hh is None else torch.addmm(b_hh, h, W_hh)
        H = h.shape[1]
        r, z = torch.sigmoid(x_proj_t[:, : 2 * H] + h_proj[:, : 2 * H]).chunk(2, dim=1)
        n = torch.tanh(x_proj_t[:, 2 * H :] + r * h_proj[:, 2 * H :])  # candidate state
        h = (1 - z) * n + z * h  # keep a fraction z of the old state
        return (h,)
