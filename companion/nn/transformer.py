"""Self-attention, positional encodings and a small Transformer encoder classifier.

* :func:`scaled_dot_product_attention`: ``softmax(Q K^T / sqrt(d_k)) V``, written out, with
  the attention weights returned (``torch.nn.functional.scaled_dot_product_attention``
  computes the same output but does not return the weights);
* :func:`sinusoidal_positional_encoding`: the fixed encodings of Vaswani et al. (2017);
* :class:`TransformerClassifier`: embedding + positional encoding -> a stack of
  ``torch.nn.TransformerEncoderLayer`` (pre-layer-norm) -> the mean over each sequence's
  real positions -> linear. It takes ``forward(x, lengths)`` like
  :class:`~companion.nn.classifier.SequenceClassifier`, so the two are trained and evaluated
  by the same code.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from companion._validate import check_positive_int, check_probability
from companion.nn.charlm import check_ids_tensor


def scaled_dot_product_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention: each query's weighted mean of the values.

    Args:
        query: ``(..., T, d_k)``, one row per position that attends.
        key: ``(..., S, d_k)``, one row per position attended to.
        value: ``(..., S, d_v)``.
        mask: ``None`` or a bool tensor broadcastable to ``(..., T, S)``: ``True`` where a
            query may attend to a key (the convention of a boolean ``attn_mask`` of
            ``torch.nn.functional.scaled_dot_product_attention``). Every query needs at least
            one ``True``.

    Returns:
        ``(output, weights)``: ``output`` ``(..., T, d_v)``; ``weights`` ``(..., T, S)``,
        non-negative, each row summing to 1, exactly 0 where ``mask`` is ``False``.

    Raises:
        ValueError: the last dimensions of ``query`` and ``key`` differ, ``key`` and
            ``value`` have different numbers of rows, or a query may attend to nothing.
        TypeError: ``mask`` is not a bool tensor.

    Taught in the book's section 6.4, book/06-future/04-attention.md.
    """
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"key: expected shape (..., S, d_k) with d_k = {query.shape[-1]} as in query, "
            f"got {tuple(key.shape)}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"value: expected shape (..., S, d_v) with S = {key.shape[-2]} as in key, "
            f"got {tuple(value.shape)}"
        )
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])  # (..., T, S)
    if mask is not None:
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
            got = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
            raise TypeError(f"mask: expected a bool tensor (..., T, S), got {got}")
        if not mask.any(dim=-1).all():
            raise ValueError("mask: expected at least one True in every row (query), got none")
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ value, weights


def sinusoidal_positional_encoding(
    length: int, d_model: int, *, base: float = 10000.0, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """``(length, d_model)``: row ``t`` encodes position ``t`` (counted from 0).

    Columns ``2i`` and ``2i + 1`` hold ``sin(t w_i)`` and ``cos(t w_i)`` with frequency
    ``w_i = base ** (-2i / d_model)``, from one radian per step down to nearly ``1 / base``.

    Taught in the book's section 6.4, book/06-future/04-attention.md.
    """
    check_positive_int(length, "length")
    check_positive_int(d_model, "d_model")
    position = torch.arange(length, dtype=torch.float64)[:, None]  # (T, 1)
    frequency = base ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    angle = position * frequency  # (T, ceil(d_model / 2))
    encoding = torch.zeros(length, d_model, dtype=torch.float64)
    encoding[:, 0::2] = torch.sin(angle)
    encoding[:, 1::2] = torch.cos(angle[:, : d_model // 2])
    return encoding.to(dtype)


def padding_mask(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """``(B, T)`` bool, ``True`` at the padding: position ``t >= lengths[b]`` of row ``b``."""
    return torch.arange(T, device=lengths.device)[None, :] >= lengths[:, None]


class TransformerClassifier(nn.Module):
    """Embedding + positions -> Transformer encoder -> mean over real positions -> linear.

    Each encoder layer is pre-layer-norm (``norm_first=True``):
    ``x = x + SelfAttention(LayerNorm(x))`` then ``x = x + FeedForward(LayerNorm(x))``, and a
    last ``LayerNorm`` follows the stack. The padding is excluded from every attention by an
    attention mask (:func:`padding_mask`) and left out of the mean, so a sequence's logits do
    not depend on how much padding follows it.

    Args:
        vocab_size: ``V``, number of token ids, padding included.
        d_model: ``D``, size of every position's vector; a multiple of ``num_heads``.
        num_heads: attention heads per layer, each of size ``D / num_heads``.
        num_layers: encoder layers.
        dim_feedforward: hidden units of each layer's feedforward network.
        num_classes: ``C``.
        dropout: in the attention, the feedforward network and on the embeddings.
        padding_idx: the id used for padding; its embedding is zero and gets no gradient.
        max_len: the longest sequence accepted.
        positional_encoding: add :func:`sinusoidal_positional_encoding` to the embeddings;
            without it, the model cannot tell the order of the tokens.

    Shapes:
        ``forward(x, lengths)``: ``x`` ``(B, T)`` int64 ids, padded after each sequence,
        ``T <= max_len``; ``lengths`` ``(B,)`` integers in ``[1, T]``; returns logits ``(B, C)``.

    Taught in the book's section 6.5, book/06-future/05-transformers.md.
    """

    positions: torch.Tensor  # (max_len, D), a buffer registered in __init__

    def __init__(
        self,
        vocab_size: int,
        d_model: int,
        num_heads: int,
        num_layers: int,
        dim_feedforward: int,
        num_classes: int,
        *,
        dropout: float = 0.1,
        padding_idx: int = 0,
        max_len: int = 512,
        positional_encoding: bool = True,
    ) -> None:
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        check_positive_int(d_model, "d_model")
        check_positive_int(num_heads, "num_heads")
        if d_model % num_heads:
            raise ValueError(
                f"d_model: expected a multiple of num_heads = {num_heads}, got {d_model}"
            )
        check_positive_int(num_layers, "num_layers")
        check_positive_int(dim_feedforward, "dim_feedforward")
        if check_positive_int(num_classes, "num_classes") < 2:
            raise ValueError(f"num_classes: expected at least 2, got {num_classes}")
        check_probability(dropout, "dropout", allow_one=False)
        if not isinstance(padding_idx, int) or not 0 <= padding_idx < vocab_size:
            raise ValueError(
                f"padding_idx: expected an int in [0, {vocab_size}), got {padding_idx!r}"
            )
        self.max_len = check_positive_int(max_len, "max_len")
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=padding_idx)
        positions = sinusoidal_positional_encoding(max_len, d_model)
        if not positional_encoding:
            positions = torch.zeros_like(positions)
        self.register_buffer("positions", positions, persistent=False)
        layer = nn.TransformerEncoderLayer(
            d_model, num_heads, dim_feedforward, dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(
            layer, num_layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(d_model, num_classes)

    def _check_lengths(self, x: torch.Tensor, lengths: object) -> torch.Tensor:
        if not isinstance(lengths, torch.Tensor) or lengths.is_floating_point():
            got = lengths.dtype if isinstance(lengths, torch.Tensor) else type(lengths).__name__
            raise TypeError(f"lengths: expected an integer torch.Tensor (B,), got {got}")
        B, T = x.shape
        if lengths.shape != (B,):
            raise ValueError(
                f"lengths: expected shape (B,) = ({B},) to match x of shape {tuple(x.shape)}, "
                f"got {tuple(lengths.shape)}"
            )
        low, high = int(lengths.min()), int(lengths.max())
        if low < 1 or high > T:
            raise ValueError(
                f"lengths: expected values in [1, T] = [1, {T}], got values from {low} to {high}"
            )
        return lengths.long().to(x.device)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        check_ids_tensor(x, "x", "(B, T)", 2, self.vocab_size)
        if x.shape[1] > self.max_len:
            raise ValueError(
                f"x: expected at most max_len = {self.max_len} time steps, got {x.shape[1]}"
            )
        lengths = self._check_lengths(x, lengths)
        padding = padding_mask(lengths, x.shape[1])  # (B, T)
        h = self.dropout(self.embedding(x) + self.positions[: x.shape[1]])  # (B, T, D)
        h = self.encoder(h, src_key_padding_mask=padding)
        h = h.masked_fill(padding[..., None], 0.0).sum(dim=1) / lengths[:, None]  # (B, D)
        return self.head(h)
