"""Self-attention against PyTorch's, positional encodings, and the Transformer classifier."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.data.batching import pad_batch
from companion.nn.transformer import (
    TransformerClassifier,
    padding_mask,
    scaled_dot_product_attention,
    sinusoidal_positional_encoding,
)


def tensors(*shapes, seed=0, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(*shape, generator=generator, dtype=dtype) for shape in shapes]


@pytest.mark.parametrize(
    "shapes", [((5, 3), (7, 3), (7, 4)), ((2, 3, 5, 8), (2, 3, 6, 8), (2, 3, 6, 2))]
)
def test_attention_matches_torch(shapes):
    q, k, v = tensors(*shapes)
    output, weights = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(output, F.scaled_dot_product_attention(q, k, v))
    assert weights.shape == (*q.shape[:-1], k.shape[-2])
    torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[:-1], dtype=q.dtype))


def test_attention_with_a_mask_matches_torch_and_ignores_masked_values():
    q, k, v = tensors((2, 4, 3), (2, 6, 3), (2, 6, 5))
    mask = torch.rand(2, 4, 6, generator=torch.Generator().manual_seed(1)) > 0.5
    mask[..., 0] = True  # every query may attend somewhere
    output, weights = scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(output, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))
    assert (weights[~mask] == 0).all()
    causal = torch.ones(6, 6, dtype=torch.bool).tril()
    x = tensors((2, 6, 3), seed=2)[0]
    torch.testing.assert_close(
        scaled_dot_product_attention(x, x, x, causal)[0],
        F.scaled_dot_product_attention(x, x, x, is_causal=True),
    )


def test_self_attention_without_positions_is_permutation_equivariant():
    (x,) = tensors((1, 9, 4))
    permutation = torch.randperm(9, generator=torch.Generator().manual_seed(0))
    output, _ = scaled_dot_product_attention(x, x, x)
    permuted, _ = scaled_dot_product_attention(*(x[:, permutation],) * 3)
    torch.testing.assert_close(permuted, output[:, permutation])


def test_attention_rejects_bad_input():
    q, k, v = tensors((4, 3), (6, 3), (6, 2))
    with pytest.raises(ValueError, match="key: expected shape"):
        scaled_dot_product_attention(q, k[:, :2], v)
    with pytest.raises(ValueError, match="value: expected shape"):
        scaled_dot_product_attention(q, k, v[:5])
    with pytest.raises(TypeError, match="mask: expected a bool tensor"):
        scaled_dot_product_attention(q, k, v, torch.ones(4, 6))
    empty_row = torch.ones(4, 6, dtype=torch.bool)
    empty_row[2] = False
    with pytest.raises(ValueError, match="mask: expected at least one True"):
        scaled_dot_product_attention(q, k, v, empty_row)


def test_positional_encoding_values():
    encoding = sinusoidal_positional_encoding(50, 8, dtype=torch.float64)
    assert encoding.shape == (50, 8)
    t, i = 7, 2
    assert encoding[t, 2 * i].item() == pytest.approx(math.sin(t / 10000 ** (2 * i / 8)))
    assert encoding[t, 2 * i + 1].item() == pytest.approx(math.cos(t / 10000 ** (2 * i / 8)))
    assert sinusoidal_positional_encoding(5, 7).shape == (5, 7)  # odd sizes too
    with pytest.raises(ValueError, match="d_model"):
        sinusoidal_positional_encoding(5, 0)


@settings(max_examples=25, deadline=None)
@given(t=st.integers(0, 200), s=st.integers(0, 200))
def test_positional_dot_product_depends_only_on_the_distance(t, s):
    encoding = sinusoidal_positional_encoding(401, 16, dtype=torch.float64)
    shift = 200
    torch.testing.assert_close(encoding[t] @ encoding[s], encoding[t + shift] @ encoding[s + shift])


def classifier(**kwargs):
    torch.manual_seed(0)
    options = {"dropout": 0.0, "max_len": 16} | kwargs
    return TransformerClassifier(11, 8, 2, 2, 16, 3, **options).eval()


def batch(lengths=(3, 7, 1, 5)):
    generator = torch.Generator().manual_seed(0)
    sequences = [torch.randint(1, 11, (n,), generator=generator) for n in lengths]
    return sequences, *pad_batch(sequences)


def test_classifier_batch_equals_one_sequence_at_a_time_and_ignores_padding():
    model = classifier()
    sequences, x, lengths = batch()
    logits = model(x, lengths)
    assert logits.shape == (4, 3)
    alone = torch.cat([model(s[None], torch.tensor([len(s)])) for s in sequences])
    torch.testing.assert_close(logits, alone, rtol=1e-5, atol=1e-5)
    longer = torch.cat([x, torch.zeros(4, 5, dtype=torch.long)], dim=1)
    torch.testing.assert_close(model(longer, lengths), logits, rtol=1e-5, atol=1e-5)
    with torch.no_grad():  # PyTorch may take another code path (its "fast path") here
        torch.testing.assert_close(model(longer, lengths), logits, rtol=1e-5, atol=1e-5)


def test_classifier_without_positions_ignores_the_order():
    x = torch.tensor([[1, 2, 3, 4, 5]])
    reversed_x = x.flip(1)
    lengths = torch.tensor([5])
    no_positions = classifier(positional_encoding=False)
    torch.testing.assert_close(no_positions(x, lengths), no_positions(reversed_x, lengths))
    with_positions = classifier()
    assert not torch.allclose(with_positions(x, lengths), with_positions(reversed_x, lengths))


def test_classifier_learns_a_task_that_needs_the_order():
    # class 1 when token 1 comes before token 2, else class 0
    generator = torch.Generator().manual_seed(0)
    x = torch.randint(3, 11, (256, 6), generator=generator)
    first = torch.randint(0, 2, (256,), generator=generator)
    x[:, 1], x[:, 4] = torch.where(first == 1, 1, 2), torch.where(first == 1, 2, 1)
    lengths = torch.full((256,), 6)
    torch.manual_seed(0)
    model = TransformerClassifier(11, 16, 2, 1, 32, 2, dropout=0.0, max_len=8)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        optimizer.zero_grad()
        F.cross_entropy(model(x, lengths), first).backward()
        optimizer.step()
    model.eval()
    assert (model(x, lengths).argmax(1) == first).float().mean() > 0.95


def test_padding_mask():
    mask = padding_mask(torch.tensor([1, 3]), 4)
    assert mask.tolist() == [[False, True, True, True], [False, False, False, True]]


def test_classifier_rejects_bad_input():
    model = classifier()
    _, x, lengths = batch()
    with pytest.raises(ValueError, match="lengths: expected shape"):
        model(x, lengths[:2])
    with pytest.raises(ValueError, match="lengths: expected values"):
        model(x, lengths + 10)
    with pytest.raises(TypeError, match="lengths"):
        model(x, lengths.float())
    with pytest.raises(ValueError, match="max_len"):
        model(torch.ones(1, 17, dtype=torch.long), torch.tensor([17]))
    with pytest.raises(ValueError, match="d_model: expected a multiple of num_heads"):
        TransformerClassifier(11, 10, 3, 1, 16, 3)
    with pytest.raises(ValueError, match="num_classes"):
        TransformerClassifier(11, 8, 2, 1, 16, 1)
