"""Classify variable-length sequences: embedding, recurrent layers, the last hidden state, linear.

A minibatch holds sequences of different lengths, padded to the longest (see
:func:`companion.data.batching.pad_batch`). The class must be read from each sequence's own
last hidden state, not from the state after the padding. Two ways to get it:

* *packing* (``backend="torch"``): ``pack_padded_sequence`` tells the layer each length, and
  it stops every sequence at its end; the final state it returns is the right one;
* *gathering* (``backend="companion"``): run the padded
  batch through, then pick the output at time step ``length - 1`` of each sequence with
  ``gather``. The padding comes after the tokens, so it cannot change those outputs. A
  backward direction would start in the padding, so this backend is one-directional.
  (This is not *masking*, which keeps padded steps out of the state updates and the loss
  with a 0/1 mask: here the padded steps are computed, and their outputs never read.)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from companion._validate import check_positive_int, check_probability
from companion.nn.backend import recurrent_layer
from companion.nn.charlm import check_ids_tensor


def gather_steps(outputs: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    """``outputs[b, steps[b]]`` for every row ``b``: ``(B, T, H)`` -> ``(B, H)``."""
    index = steps.to(outputs.device).view(-1, 1, 1).expand(-1, 1, outputs.shape[-1])
    return outputs.gather(1, index).squeeze(1)


class SequenceClassifier(nn.Module):
    """Embedding -> recurrent layers -> each sequence's last hidden state -> linear.

    Args:
        vocab_size: ``V``, number of token ids, padding included.
        embedding_dim: ``E``, size of each token's learnt vector.
        hidden_size: ``H``, hidden units per layer and direction.
        num_classes: ``C``.
        cell: ``"gru"``, ``"lstm"`` or ``"rnn"``.
        num_layers: stacked recurrent layers.
        bidirectional: also read each sequence backwards; the classifier then sees the
            forward state after the last token and the backward state after the first.
        dropout: on the embeddings, between layers, and before the read-out.
        padding_idx: the id used for padding; its embedding is zero and gets no gradient.
        backend: ``"torch"`` (packed sequences) or ``"companion"`` (the padded batch, each
            sequence's output gathered at ``length - 1``; one direction only).

    Shapes:
        ``forward(x, lengths)``: ``x`` ``(B, T)`` int64 ids, padded after each sequence;
        ``lengths`` ``(B,)`` integers in ``[1, T]``, in any order; returns logits ``(B, C)``.

    Taught in the book's section 5.8, book/05-code/08-text-classification.md.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        hidden_size: int,
        num_classes: int,
        *,
        cell: str = "gru",
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        padding_idx: int = 0,
        backend: str = "torch",
    ) -> None:
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        check_positive_int(embedding_dim, "embedding_dim")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        if check_positive_int(num_classes, "num_classes") < 2:
            raise ValueError(f"num_classes: expected at least 2, got {num_classes}")
        self.num_layers = check_positive_int(num_layers, "num_layers")
        check_probability(dropout, "dropout", allow_one=False)
        if not isinstance(padding_idx, int) or not 0 <= padding_idx < vocab_size:
            raise ValueError(
                f"padding_idx: expected an int in [0, {vocab_size}), got {padding_idx!r}"
            )
        self.backend = backend
        if backend == "companion" and bidirectional:
            raise ValueError(
                "bidirectional: backend='companion' (gathering, no packing) reads sequences "
                "forwards only, got bidirectional=True; use backend='torch'"
            )
        self.cell = cell
        self.bidirectional = bool(bidirectional)
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.rnn = recurrent_layer(cell, backend)(
            embedding_dim,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,  # between layers only
            bidirectional=self.bidirectional,
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size * (2 if self.bidirectional else 1), num_classes)

    def _check_lengths(self, x: torch.Tensor, lengths: object) -> torch.Tensor:
        if not isinstance(lengths, torch.Tensor):
            raise TypeError(f"lengths: expected a torch.Tensor (B,), got {type(lengths).__name__}")
        if lengths.is_floating_point() or lengths.is_complex() or lengths.dtype == torch.bool:
            raise TypeError(f"lengths: expected integers, got dtype {lengths.dtype}")
        if lengths.shape != (x.shape[0],):
            raise ValueError(
                f"lengths: expected shape (B,) = ({x.shape[0]},) to match x of shape "
                f"{tuple(x.shape)}, got {tuple(lengths.shape)}"
            )
        low, high = int(lengths.min()), int(lengths.max())
        if low < 1 or high > x.shape[1]:
            raise ValueError(
                f"lengths: expected values in [1, T] = [1, {x.shape[1]}], "
                f"got values from {low} to {high}"
            )
        return lengths.long()

    def _final_states(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``(B, H)`` or ``(B, 2H)``: the last layer's state at each sequence's end(s)."""
        if self.backend == "torch":
            packed = pack_padded_sequence(
                embedded, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            _, state = self.rnn(packed)
            h = state[0] if isinstance(state, tuple) else state  # (layers * directions, B, H)
            # the state comes back in the order of the input batch (the packing is undone)
            return torch.cat(list(h[-(2 if self.bidirectional else 1) :]), dim=-1)
        outputs, _ = self.rnn(embedded)  # (B, T, H)
        return gather_steps(outputs, lengths - 1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        check_ids_tensor(x, "x", "(B, T)", 2, self.vocab_size)
        lengths = self._check_lengths(x, lengths)
        embedded = self.dropout(self.embedding(x))
        return self.head(self.dropout(self._final_states(embedded, lengths)))
