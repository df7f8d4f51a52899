"""Padding sequences of different lengths, and the DataLoader collate function."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from companion.data.batching import collate_sequences, pad_batch

sequences = st.lists(st.lists(st.integers(1, 50), min_size=1, max_size=12), min_size=1, max_size=8)


@given(sequences, st.integers(-3, 0))
def test_pad_then_unpad_gives_the_sequences_back(batch, padding_value):
    padded, lengths = pad_batch(batch, padding_value=padding_value)
    assert padded.dtype == lengths.dtype == torch.long
    assert padded.shape == (len(batch), max(map(len, batch)))
    assert lengths.tolist() == [len(seq) for seq in batch]
    for row, seq in zip(padded, batch, strict=True):
        assert row[: len(seq)].tolist() == seq
        assert (row[len(seq) :] == padding_value).all()


def test_accepts_arrays_and_tensors_in_any_order():
    padded, lengths = pad_batch([np.array([1, 2]), torch.tensor([3, 4, 5]), [6]])
    assert padded.tolist() == [[1, 2, 0], [3, 4, 5], [6, 0, 0]]
    assert lengths.tolist() == [2, 3, 1]


def test_collate_for_a_dataloader():
    examples = [([1, 2, 3], 0), (np.array([4]), 2), (torch.tensor([5, 6]), 1)]
    loader = torch.utils.data.DataLoader(examples, batch_size=3, collate_fn=collate_sequences)
    padded, lengths, labels = next(iter(loader))
    assert padded.tolist() == [[1, 2, 3], [4, 0, 0], [5, 6, 0]]
    assert lengths.tolist() == [3, 1, 2]
    assert labels.dtype == torch.long and labels.tolist() == [0, 2, 1]


def test_collate_padding_value():
    padded, _, _ = collate_sequences([([1], 0), ([2, 3], 1)], padding_value=9)
    assert padded.tolist() == [[1, 9], [2, 3]]


@pytest.mark.parametrize(
    ("batch", "error", "match"),
    [
        ([], ValueError, "empty batch"),
        ([[1, 2], []], ValueError, r"sequences\[1\].*empty"),
        ([[1.5, 2.0]], TypeError, r"sequences\[0\].*integer"),
        ([torch.tensor([0.5])], TypeError, r"sequences\[0\].*integer"),
        ([[[1, 2]]], ValueError, r"sequences\[0\].*\(T,\)"),
        (torch.tensor([[1, 2]]), TypeError, "list of 1-D"),
    ],
)
def test_pad_batch_errors(batch, error, match):
    with pytest.raises(error, match=match):
        pad_batch(batch)


def test_pad_batch_wants_an_int_padding_value():
    with pytest.raises(TypeError, match="padding_value"):
        pad_batch([[1]], padding_value=0.5)


def test_collate_errors():
    with pytest.raises(ValueError, match="batch"):
        collate_sequences([])
    with pytest.raises(TypeError, match=r"batch\[0\]"):
        collate_sequences([[1, 2, 3]])
