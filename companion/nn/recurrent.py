"""Recurrent layers written by hand: drop-in replacements for ``torch.nn.RNN/LSTM/GRU``.

Same constructor arguments, parameter names and shapes, initialisation, gate order and
return values as PyTorch's modules, so ``ours.load_state_dict(theirs.state_dict())`` works
in both directions and both give the same numbers. The backward pass is written out by
hand (see *Gradients* below).

In the row-vector convention of the book, with ``W_ih = weight_ih_l{k}.T`` of shape
``(D, G*H)`` and ``W_hh = weight_hh_l{k}.T`` of shape ``(H, G*H)`` (``G`` blocks of ``H``
columns: 1 for the RNN, 4 for the LSTM, 3 for the GRU), every layer does two things:

1. the *input projection* of every time step at once, one matrix product
   ``x_proj = x @ W_ih + b`` over all ``T * B`` positions (it does not depend on ``h``);
2. the recurrence, a loop over time in which only ``h_{t-1} @ W_hh`` and the cell's
   element-wise gate arithmetic remain: :meth:`RecurrentBase._step`, the one method in
   which the RNN, the LSTM and the GRU differ.

Everything else (stacking layers, dropout between them, the backward direction, the LSTM's
projection, checking the input and the initial state, batch-first or time-first layouts,
unbatched input, packed sequences) is shared, in :class:`RecurrentBase`.

Gradients: the recurrence of each layer and direction runs as one autograd node whose
backward pass is BPTT written out by hand (:mod:`companion.nn.bptt`: per step element-wise
work and one product with ``W_hh``; the gradient of ``W_hh`` one product over all steps);
autograd differentiates the input projection and everything between the layers. Autograd
differentiates the loop over :meth:`RecurrentBase._step` itself instead where the hand
backward does not apply: for an instance or subclass with ``hand_backward = False`` (the
loop the book teaches, and the benchmarks' ``ours_autograd``), for the LSTM with
``proj_size``, for a subclass that replaces ``_step`` (such as
:class:`companion.nn.lstm_variants.LSTMVariant`), and while ``torch.compile`` or
``torch.jit.trace`` records the layer. Gradients of gradients (``create_graph=True``) work
either way: the hand backward then runs the step again under autograd and differentiates it.

What is supported (this is the one place that says it):

* Every constructor argument of ``torch.nn.RNN/LSTM/GRU``: ``input_size``, ``hidden_size``,
  ``num_layers``, ``nonlinearity`` (RNN), ``bias``, ``batch_first``, ``dropout``,
  ``bidirectional``, ``proj_size`` (LSTM), ``device``, ``dtype``. Their types are checked as
  torch checks them, and more strictly where torch converts silently: sizes must be ints
  (not bools), ``bias``, ``batch_first`` and ``bidirectional`` must be bools.
* Input: a padded minibatch, time-first or batch-first; one unbatched sequence ``(T, D)``;
  a ``PackedSequence``, sorted or not; with or without ``hx``. The backward direction of a
  bidirectional layer starts each packed sequence at its own last step, as torch's does.
  ``dropout`` acts between layers in training mode and, on the CPU, draws the same random
  numbers as ``torch.nn`` under the same seed.
* The module API: parameters registered in torch's order under torch's names (``_reverse``
  for the backward direction, ``weight_hr_l{k}`` for the projection), ``state_dict`` loads
  in both directions, ``reset_parameters()``, the same ``repr``, and the attributes
  ``mode``, ``proj_size``, ``all_weights``, ``_flat_weights``, ``_flat_weights_names`` and
  ``flatten_parameters()`` (a no-op: there is nothing to flatten). Parametrizations such as
  ``torch.nn.utils.parametrizations.weight_norm`` work, since every forward pass reads the
  weights by name. ``torch.compile`` gives the same outputs and gradients as the module
  run eagerly (tested with the ``aot_eager`` backend); a padded minibatch compiles into one
  graph, packed input with graph breaks (its batch sizes become Python ints).
* Errors: an input or initial state that does not fit raises :class:`RecurrentInputError`,
  which is both a ``ValueError`` and a ``RuntimeError`` (torch raises one or the other,
  depending on the mistake); a constructor argument of the wrong type raises
  :class:`ArgumentTypeError`, both a ``TypeError`` (as in torch) and a ``ValueError``; an
  argument of the right type but a wrong value raises ``ValueError``, as in torch; an
  ``input`` or ``hx`` that is not a tensor (or, for the LSTM, not a pair) ``TypeError``.

What is not supported:

* ``torch.jit.script`` fails: the layers are Python code that TorchScript cannot compile
  (TorchScript is deprecated; ``torch.compile`` and ``torch.export`` replace it).
* ``torch.jit.trace`` records the loop over time unrolled, so the traced module accepts
  only the sequence length it was traced with (any batch size), and a trace made with
  packed input only the lengths it was traced with.
* Mixed precision by autocast: the input must have the dtype of the weights.
* Fused kernels: the layers run one PyTorch operation after another at every time step,
  forwards and backwards, without the fused kernels ``torch.nn`` calls (oneDNN's LSTM on
  the CPU, cuDNN on a GPU).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from companion._validate import check_bool, check_int, check_probability
from companion.nn import bptt

State = tuple[Tensor, ...]  # (h,) for the RNN and the GRU, (h, c) for the LSTM


class RecurrentInputError(ValueError, RuntimeError):
    """An input or initial state that does not fit the layer (shape, length, dtype, device).

    Both a ``ValueError`` and a ``RuntimeError``: ``torch.nn``'s layers raise one or the
    other for the same mistakes, so code written to catch either keeps working.
    """


class ArgumentTypeError(TypeError, ValueError):
    """A constructor argument of the wrong type, such as ``bias="False"`` or ``input_size=2.5``.

    A ``TypeError``, as ``torch.nn`` raises, and a ``ValueError`` for code that treats every
    bad argument alike.
    """


def _argument(check: Callable[..., Any], value: object, name: str, **limits: Any) -> Any:
    """``check(value, name, **limits)`` (from ``companion._validate``), whose TypeError is
    raised as an :class:`ArgumentTypeError`."""
    try:
        return check(value, name, **limits)
    except TypeError as error:
        raise ArgumentTypeError(str(error)) from None


class RecurrentBase(nn.Module):
    """What every recurrent layer shares; a subclass supplies only :meth:`_step`.

    Subclasses set ``gate_count`` (blocks of ``H`` rows in the weight matrices),
    ``state_names`` (``("h",)`` or ``("h", "c")``), ``fold_hidden_bias`` (whether
    ``bias_hh`` can be added once, in the input projection, instead of at every step) and
    ``projectable`` (whether ``proj_size`` is allowed: the LSTM only). The module docstring
    says what is supported.

    ``hand_backward`` (a class attribute, True; an instance may set it False) chooses the
    backward pass by hand of :mod:`companion.nn.bptt` over autograd through the loop.

    Taught in the book's section 5.2, book/05-code/02-recurrent-layers.md.
    """

    gate_count: int
    mode: str
    hand_backward: bool = True
    state_names: tuple[str, ...] = ("h",)
    fold_hidden_bias: bool = True
    projectable: bool = False

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
        *,
        proj_size: int | None = None,
    ) -> None:
        super().__init__()
        if proj_size is not None and not self.projectable:  # torch's words, then ours
            raise ValueError(
                "proj_size argument is only supported for LSTM, not RNN or GRU: "
                f"companion.nn.{type(self).__name__} has no projection, got proj_size="
                f"{proj_size!r}"
            )
        self.input_size = _argument(check_int, input_size, "input_size", minimum=1)
        self.hidden_size = _argument(check_int, hidden_size, "hidden_size", minimum=1)
        self.num_layers = _argument(check_int, num_layers, "num_layers", minimum=1)
        self.bias = _argument(check_bool, bias, "bias")
        self.batch_first = _argument(check_bool, batch_first, "batch_first")
        self.bidirectional = _argument(check_bool, bidirectional, "bidirectional")
        self.proj_size = _argument(
            check_int, 0 if proj_size is None else proj_size, "proj_size", minimum=0
        )
        if self.proj_size >= hidden_size:
            raise ValueError(
                "proj_size has to be smaller than hidden_size: expected an int in "
                f"[0, {hidden_size}), got {self.proj_size}"
            )
        _argument(check_probability, dropout, "dropout")
        if dropout > 0 and num_layers == 1:
            warnings.warn(  # as torch.nn does: dropout acts between layers only
                f"dropout={dropout} has no effect with num_layers=1: it is applied to the "
                "outputs of every layer except the last",
                stacklevel=2,
            )
        self.dropout = float(dropout)

        # Registered in torch's order, so that parameters() lists them as torch.nn does:
        # layer by layer, the forward direction before the backward one ("_reverse").
        rows = self.gate_count * hidden_size
        h_size = self._state_size("h")
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for k in range(num_layers):
            layer_input = input_size if k == 0 else h_size * self.num_directions
            for suffix in ("", "_reverse")[: self.num_directions]:
                shapes: dict[str, tuple[int, ...]] = {
                    f"weight_ih_l{k}{suffix}": (rows, layer_input),
                    f"weight_hh_l{k}{suffix}": (rows, h_size),
                }
                if self.bias:
                    shapes |= {f"bias_ih_l{k}{suffix}": (rows,), f"bias_hh_l{k}{suffix}": (rows,)}
                if self.proj_size:
                    shapes[f"weight_hr_l{k}{suffix}"] = (self.proj_size, hidden_size)
                for param_name, shape in shapes.items():
                    weight = torch.empty(shape, device=device, dtype=dtype)
                    self.register_parameter(param_name, nn.Parameter(weight))
                self._flat_weights_names.extend(shapes)
                self._all_weights.append(list(shapes))
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        """2 for a bidirectional layer, else 1."""
        return 2 if self.bidirectional else 1

    def _state_size(self, state_name: str) -> int:
        """Features of one state: ``proj_size`` for a projected ``h``, else ``H``."""
        return self.proj_size if state_name == "h" and self.proj_size else self.hidden_size

    def reset_parameters(self) -> None:
        """Every weight and bias uniform in ``[-1/sqrt(H), 1/sqrt(H)]``, as in torch.nn."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    # ------------------------------------------------------- torch.nn's module API

    @property
    def all_weights(self) -> list[list[Tensor]]:
        """The weights of every layer and direction, one list each, as ``torch.nn``'s."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self) -> list[Tensor]:
        """Every weight in ``_flat_weights_names`` order, read now (parametrizations included)."""
        return [getattr(self, name) for name in self._flat_weights_names]

    def flatten_parameters(self) -> None:
        """Nothing to do: a no-op kept for code written for ``torch.nn``'s layers.

        ``torch.nn`` copies its weights into one block of memory for cuDNN; these layers
        use every weight where it is.
        """

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text

    # ------------------------------------------------------------------ forward

    def forward(
        self, input: Tensor | PackedSequence, hx: Tensor | State | None = None
    ) -> tuple[Tensor | PackedSequence, Tensor | State]:
        """Run every layer, in each direction, over whole sequences.

        Args:
            input: ``(B, T, D)`` if ``batch_first`` else ``(T, B, D)``; ``(T, D)`` for one
                unbatched sequence; or a ``PackedSequence`` of sequences of several lengths.
            hx: the initial state of every layer and direction, ``(num_layers *
                num_directions, B, H_out)`` (without ``B`` for unbatched input), where
                ``H_out`` is ``proj_size`` for a projected LSTM and ``H`` otherwise; for the
                LSTM a tuple ``(h_0, c_0)``, with ``c_0`` of ``H`` features. Zeros if
                ``None``. Always layer-first, whatever ``batch_first``; forward direction
                before backward within a layer.

        Returns:
            ``(output, h_n)``, or ``(output, (h_n, c_n))`` for the LSTM: ``output`` holds
            the last layer's hidden state at every time step, in the layout of ``input``
            with ``num_directions * H_out`` features (forward, then backward); ``h_n`` (and
            ``c_n``) the state of every layer and direction after its last step on each
            sequence (for the backward direction, after the first time step), shaped like
            ``hx``.

        Raises:
            RecurrentInputError: ``input`` or ``hx`` of the wrong shape, dtype or device, or
                empty sequences.
            TypeError: ``input`` or ``hx`` of the wrong type.
        """
        if isinstance(input, PackedSequence):
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
        if isinstance(input, PackedSequence) and input.sorted_indices is not None:
            # hx comes in the caller's order
            state = tuple(s.index_select(1, input.sorted_indices) for s in state)

        finals = []
        for k in range(self.num_layers):
            if k > 0 and self.dropout > 0:
                data = F.dropout(data, self.dropout, self.training)
            outputs = []
            for direction in range(self.num_directions):  # forward, then backward
                index = k * self.num_directions + direction
                layer_output, final = self._layer(
                    k, data, batch_sizes, tuple(s[index] for s in state), reverse=direction == 1
                )
                outputs.append(layer_output)
                finals.append(final)
            data = torch.cat(outputs, dim=1) if len(outputs) > 1 else outputs[0]
        last = tuple(torch.stack(layers) for layers in zip(*finals, strict=True))  # (L*D, B, H)

        output: Tensor | PackedSequence
        if isinstance(input, PackedSequence):
            if input.unsorted_indices is not None:
                last = tuple(s.index_select(1, input.unsorted_indices) for s in last)
            output = PackedSequence(data, sizes, input.sorted_indices, input.unsorted_indices)
        else:
            output = data.view(steps, batch, data.shape[-1])
            if not batched:
                output, last = output.squeeze(1), tuple(s.squeeze(1) for s in last)
            elif self.batch_first:
                output = output.transpose(0, 1)
        return output, last if len(last) > 1 else last[0]

    def _layer(
        self, k: int, data: Tensor, batch_sizes: list[int], state: State, reverse: bool = False
    ) -> tuple[Tensor, State]:
        """One layer, in one direction, over every time step.

        ``data`` holds the layer's input as ``(N, D_k)`` rows in time-major order: the
        ``batch_sizes[t]`` sequences still running at step ``t`` (a padded batch has
        ``B`` at every step). Returns the hidden states in the same layout, ``(N, H)``,
        and the state after each sequence's last step. With ``reverse`` the layer reads
        time backwards, and each packed sequence starts at its own last step.
        """
        weight_ih, weight_hh, bias_ih, bias_hh, weight_hr = self._weights(k, reverse)
        if self.fold_hidden_bias and bias_ih is not None and bias_hh is not None:
            bias_ih, bias_hh = bias_ih + bias_hh, None  # the cell only ever uses their sum

        # 1. The input projection of every time step: one (N, D_k) x (D_k, G*H) product.
        if bias_ih is None:
            x_proj = data @ weight_ih.T
        else:
            x_proj = torch.addmm(bias_ih, data, weight_ih.T)

        # 2. The recurrence: one autograd node whose backward pass is written by hand
        # (companion/nn/bptt.py), or the loop below, which autograd differentiates.
        cell = self._bptt_cell(weight_hr)
        if cell is not None:
            return bptt.recurrence(
                cell, self._step, x_proj, weight_hh, bias_hh, batch_sizes, state, reverse
            )
        # split() and cat() keep autograd's bookkeeping to one node each (indexing
        # x_proj[t] would make every step's backward write a full-size gradient).
        W_hh = weight_hh.T  # (H, G*H), a view
        W_hr = None if weight_hr is None else weight_hr.T  # (H, P): the LSTM's projection
        steps = x_proj.split(batch_sizes)
        if reverse:
            steps = steps[::-1]  # the last step first
        # Start with the rows of the first step read: all B forwards; backwards over packed
        # input, only the sequences as long as the longest (the others start later).
        initial, state = state, tuple(s[: steps[0].shape[0]] for s in state)
        outputs, finished = [], []
        for x_proj_t in steps:
            rows, running = x_proj_t.shape[0], state[0].shape[0]
            if rows < running:  # packed input, forwards: some sequences have ended
                finished.append(tuple(s[rows:] for s in state))
                state = tuple(s[:rows] for s in state)
            elif rows > running:  # packed input, backwards: some sequences start here
                state = tuple(
                    torch.cat((s, s0[running:rows])) for s, s0 in zip(state, initial, strict=True)
                )
            state = self._step(x_proj_t, state, W_hh, bias_hh)
            if W_hr is not None:  # h_t = (o_t * tanh(c_t)) W_hr, of proj_size features
                state = (state[0] @ W_hr, *state[1:])
            outputs.append(state[0])
        if reverse:
            outputs.reverse()  # back in time order
        # Sequences that end early sit at the bottom rows: put them back below the others.
        final = tuple(torch.cat(parts) for parts in zip(state, *reversed(finished), strict=True))
        return torch.cat(outputs), final

    def _bptt_cell(self, weight_hr: Tensor | None) -> bptt.Cell | None:
        """The cell of :mod:`companion.nn.bptt` that runs a layer, or None for autograd.

        None when ``hand_backward`` is false, for the LSTM's projection, for a subclass
        that replaces :meth:`_step` (its backward is not derived), and while
        ``torch.compile`` or ``torch.jit.trace`` records the layer.
        """
        step_owner = next(cls for cls in type(self).__mro__ if "_step" in vars(cls))
        if (
            not self.hand_backward
            or weight_hr is not None
            or step_owner not in (RNN, LSTM, GRU)
            or torch.compiler.is_compiling()
            or torch.jit.is_tracing()
        ):
            return None
        return bptt.CELLS[self.mode]

    def _weights(
        self, k: int, reverse: bool
    ) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None, Tensor | None]:
        """``weight_ih, weight_hh, bias_ih, bias_hh, weight_hr`` of layer ``k``, one direction.

        Read by name at every call, so parametrizations (such as weight normalisation)
        apply. A bias is ``None`` without ``bias``, ``weight_hr`` without ``proj_size``.
        """
        suffix = f"_l{k}_reverse" if reverse else f"_l{k}"
        return (
            getattr(self, "weight_ih" + suffix),
            getattr(self, "weight_hh" + suffix),
            getattr(self, "bias_ih" + suffix) if self.bias else None,
            getattr(self, "bias_hh" + suffix) if self.bias else None,
            getattr(self, "weight_hr" + suffix) if self.proj_size else None,
        )

    def _step(self, x_proj_t: Tensor, state: State, W_hh: Tensor, b_hh: Tensor | None) -> State:
        """One time step of the cell.

        Args:
            x_proj_t: ``(B, G*H)``, the input projection ``x_t @ W_ih + b`` of this step.
            state: the state after the previous step, ``(h,)`` or ``(h, c)``, each ``(B, H)``
                (``h`` of ``proj_size`` features in a projected LSTM).
            W_hh: ``(H, G*H)``, the recurrent weights in the row-vector convention.
            b_hh: ``(G*H,)`` when ``fold_hidden_bias`` is false and the layer has biases;
                otherwise ``None`` (already inside ``x_proj_t``).

        Returns:
            the new state, hidden state first (before the LSTM's projection, which
            :meth:`_layer` applies).
        """
        raise NotImplementedError

    # --------------------------------------------------------------- validation

    def _check_input(self, input: object) -> tuple[Tensor, bool]:
        """``input`` as a 3-D tensor, time-first or batch-first, and whether it was batched."""
        if not isinstance(input, Tensor):
            raise TypeError(
                f"input: expected a torch.Tensor or a PackedSequence, got {type(input).__name__}"
            )
        layout = "(B, T, D)" if self.batch_first else "(T, B, D)"
        if input.dim() not in (2, 3):
            raise RecurrentInputError(
                f"input: expected a 3-D tensor {layout} (batch_first={self.batch_first}) or a "
                f"2-D tensor (T, D) for one unbatched sequence, got shape {tuple(input.shape)}"
            )
        self._check_features(input, "input", f"{layout} or (T, D)")
        batched = input.dim() == 3
        x = input if batched else input.unsqueeze(1)
        if x.shape[1 if self.batch_first and batched else 0] == 0:
            raise RecurrentInputError(
                f"input: the sequences are empty (T = 0), shape {tuple(input.shape)}; "
                "a recurrent layer needs at least one time step"
            )
        return x, batched

    def _check_features(self, x: Tensor, name: str, layout: str) -> None:
        """The last dimension, dtype and device of an input tensor against the weights."""
        weight = self.weight_ih_l0
        if x.shape[-1] != self.input_size:
            raise RecurrentInputError(
                f"{name}: expected {layout} with D = input_size = {self.input_size} features, "
                f"got shape {tuple(x.shape)}"
            )
        if x.dtype != weight.dtype or x.device != weight.device:
            raise RecurrentInputError(
                f"{name}: expected a {weight.dtype} tensor on {weight.device} like the layer's "
                f"weights, got {x.dtype} on {x.device} (move one of them with .to())"
            )

    def _initial_state(
        self, hx: Tensor | State | None, data: Tensor, batch: int, batched: bool
    ) -> State:
        """The initial state as a tuple of ``(num_layers * num_directions, B, H)`` tensors."""
        layers = self.num_layers * self.num_directions
        if hx is None:
            return tuple(
                data.new_zeros(layers, batch, self._state_size(name)) for name in self.state_names
            )
        parts = self._split_hx(hx)
        layer_names = "num_layers * 2" if self.bidirectional else "num_layers"
        checked: list[Tensor] = []
        for state_name, part in zip(self.state_names, parts, strict=True):
            label = "hx" if len(parts) == 1 else f"hx ({state_name}_0)"
            if not isinstance(part, Tensor):
                raise TypeError(f"{label}: expected a torch.Tensor, got {type(part).__name__}")
            size = self._state_size(state_name)
            size_name = "proj_size" if size != self.hidden_size else "H"
            expected: tuple[int, ...]
            if batched:
                expected, names = (layers, batch, size), f"({layer_names}, B, {size_name})"
            else:
                expected = (layers, size)
                names = f"({layer_names}, {size_name}) for unbatched input"
            if tuple(part.shape) != expected:
                raise RecurrentInputError(
                    f"{label}: expected shape {names} = {expected}, got {tuple(part.shape)}"
                )
            if part.dtype != data.dtype or part.device != data.device:
                raise RecurrentInputError(
                    f"{label}: expected a {data.dtype} tensor on {data.device} like the input, "
                    f"got {part.dtype} on {part.device}"
                )
            checked.append(part if batched else part.unsqueeze(1))
        return tuple(checked)

    def _split_hx(self, hx: Tensor | State) -> tuple[object, ...]:
        """``hx`` as a tuple, one part per state (RNN, GRU: a tensor; LSTM: a pair), each
        still to be checked."""
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
    ``dropout`` (between layers, in training mode), ``bidirectional``, ``device``,
    ``dtype``; ``proj_size`` is refused with torch's ``ValueError``. ``b`` is ``bias_ih +
    bias_hh``; see :meth:`RecurrentBase.forward` for the shapes and the module docstring
    for what is and is not supported.

    Taught in the book's section 5.2, book/05-code/02-recurrent-layers.md.
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
        *,
        proj_size: int | None = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):  # torch's words first
            raise ValueError(
                f"nonlinearity: Unknown nonlinearity {nonlinearity!r}, expected 'tanh' or 'relu'"
            )
        self.nonlinearity = nonlinearity
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
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
            proj_size=proj_size,
        )

    def _step(self, x_proj_t: Tensor, state: State, W_hh: Tensor, b_hh: Tensor | None) -> State:
        (h,) = state
        a = torch.addmm(x_proj_t, h, W_hh)  # x_t W_ih + b + h_{t-1} W_hh
        return (torch.tanh(a) if self.nonlinearity == "tanh" else torch.relu(a),)


class LSTM(RecurrentBase):
    """Long short-term memory, a drop-in for ``torch.nn.LSTM`` (gates ``i, f, g, o``).

    Arguments as ``torch.nn.LSTM``: ``input_size`` (``D``), ``hidden_size`` (``H``),
    ``num_layers``, ``bias``, ``batch_first``, ``dropout`` (between layers, in training
    mode), ``bidirectional``, ``proj_size``, ``device``, ``dtype``. The state is the pair
    ``(h, c)``: ``hx=(h_0, c_0)`` in, ``(output, (h_n, c_n))`` out. With ``proj_size = P >
    0`` the hidden state is projected, ``h_t = (o_t * tanh(c_t)) W_hr`` with ``W_hr =
    weight_hr_l{k}.T`` of shape ``(H, P)``, so ``h`` and the output have ``P`` features
    and ``c`` keeps ``H``. See the module docstring for what is and is not supported.

    Taught in the book's section 5.3, book/05-code/03-lstm-gru.md.
    """

    gate_count = 4
    state_names = ("h", "c")
    projectable = True
    mode = "LSTM"

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
            proj_size=proj_size,
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
    mode), ``bidirectional``, ``device``, ``dtype``; ``proj_size`` is refused with torch's
    ``ValueError``. The reset gate multiplies ``h_{t-1} W_hn + b_hn``, bias included, as in
    PyTorch, so ``bias_hh`` stays in the step. See the module docstring for what is and is
    not supported.

    Taught in the book's section 5.3, book/05-code/03-lstm-gru.md.
    """

    gate_count = 3
    fold_hidden_bias = False
    mode = "GRU"

    def _step(self, x_proj_t: Tensor, state: State, W_hh: Tensor, b_hh: Tensor | None) -> State:
        (h,) = state
        h_proj = torch.mm(h, W_hh) if b_hh is None else torch.addmm(b_hh, h, W_hh)
        H = h.shape[1]
        r, z = torch.sigmoid(x_proj_t[:, : 2 * H] + h_proj[:, : 2 * H]).chunk(2, dim=1)
        n = torch.tanh(x_proj_t[:, 2 * H :] + r * h_proj[:, 2 * H :])  # candidate state
        h = (1 - z) * n + z * h  # keep a fraction z of the old state
        return (h,)
