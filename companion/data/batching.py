"""Minibatches of sequences of different lengths: padding, lengths, and a DataLoader collate.

    padded, lengths = pad_batch([[3, 1, 4], [1, 5]])
    # padded = [[3, 1, 4], [1, 5, 0]], lengths = [3, 2]

The lengths are what ``torch.nn.utils.rnn.pack_padded_sequence`` needs (with
``enforce_sorted=False`` the sequences may come in any order), or what a mask is built from.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from companion._validate import check_int

__all__ = ["pad_batch", "collate_sequences"]


def _as_ids(sequence: object, index: int) -> torch.Tensor:
    """One sequence as a 1-D int64 tensor, with errors that name its position."""
    if isinstance(sequence, torch.Tensor):
        tensor = sequence.detach().cpu()
    else:
        array = np.asarray(sequence)
        if array.dtype.kind not in "iu" and array.size:
            raise TypeError(f"sequences[{index}]: expected integer ids, got dtype {array.dtype}")
        tensor = torch.from_numpy(array.astype(np.int64, copy=False))
    if tensor.is_floating_point() or tensor.is_complex() or tensor.dtype == torch.bool:
        raise TypeError(f"sequences[{index}]: expected integer ids, got dtype {tensor.dtype}")
    if tensor.ndim != 1:
        raise ValueError(f"sequences[{index}]: expected shape (T,), got {tuple(tensor.shape)}")
    if len(tensor) == 0:
        raise ValueError(
            f"sequences[{index}]: expected at least one element, got an empty sequence"
        )
    return tensor.long()


def pad_batch(
    sequences: Sequence[Sequence[int] | np.ndarray | torch.Tensor], padding_value: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack ``B`` integer sequences of lengths ``T_b`` into one padded array.

    Args:
        sequences: ``B >= 1`` non-empty 1-D integer sequences (lists, NumPy arrays or
            tensors), in any order.
        padding_value: the id written after the end of each shorter sequence.

    Returns:
        ``(padded, lengths)``: ``padded`` is a ``(B, T)`` int64 tensor with
        ``T = max(T_b)``, row ``b`` holding sequence ``b`` followed by ``padding_value``;
        ``lengths`` is the ``(B,)`` int64 tensor of the ``T_b`` (on the CPU, as packing needs).
    """
    check_int(padding_value, "padding_value")
    if isinstance(sequences, (str, bytes, torch.Tensor, np.ndarray)):
        raise TypeError(
            "sequences: expected a list of 1-D integer sequences, got a single "
            f"{type(sequences).__name__}"
        )
    tensors = [_as_ids(sequence, index) for index, sequence in enumerate(sequences)]
    if not tensors:
        raise ValueError("sequences: expected at least one sequence, got an empty batch")
    lengths = torch.tensor([len(tensor) for tensor in tensors], dtype=torch.long)
    padded = torch.full((len(tensors), int(lengths.max())), int(padding_value), dtype=torch.long)
    for row, tensor in enumerate(tensors):
        padded[row, : len(tensor)] = tensor
    return padded, lengths


def collate_sequences(
    batch: Sequence[tuple[Sequence[int] | np.ndarray | torch.Tensor, int]], padding_value: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``collate_fn`` for a ``DataLoader`` over ``(sequence, label)`` examples.

    ``DataLoader(examples, batch_size=64, shuffle=True, collate_fn=collate_sequences)``;
    for another padding id, ``functools.partial(collate_sequences, padding_value=...)``.

    Returns:
        ``(padded, lengths, labels)``: ``(B, T)``, ``(B,)`` and ``(B,)`` int64 tensors
        (see :func:`pad_batch`).
    """
    if len(batch) == 0:
        raise ValueError("batch: expected at least one (sequence, label) example, got none")
    pairs = []
    for index, example in enumerate(batch):
        if not isinstance(example, (tuple, list)) or len(example) != 2:
            raise TypeError(f"batch[{index}]: expected a (sequence, label) pair, got {example!r}")
        pairs.append(example)
    padded, lengths = pad_batch([sequence for sequence, _ in pairs], padding_value)
    labels = torch.as_tensor([int(label) for _, label in pairs], dtype=torch.long)
    return padded, lengths, labels
