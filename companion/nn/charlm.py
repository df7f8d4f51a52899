"""A character language model in PyTorch: embedding, recurrent layers, a linear read-out.

Training uses truncated backpropagation through time with carried state, as the NumPy
model of chapter 4 does: the text is cut into ``B`` parallel streams
(:class:`companion.scratch.charlm.StreamBatcher` does the index arithmetic for both),
read ``T`` characters at a time, and the state a window ends with is where the next window
of the same streams begins.

    windows = stream_windows(train_ids, batch_size=64, seq_len=128)   # [(x, y, first), ...]
    history = fit(model, windows, stream_windows(val_ids, 16), loss=CarriedStateLoss(), ...)
    evaluate_bpc(model, val_ids)                                       # bits per character
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from companion._validate import (
    check_int,
    check_positive_int,
    check_positive_number,
    check_probability,
)
from companion.data.text import CharVocab
from companion.nn.backend import recurrent_layer
from companion.scratch.charlm import StreamBatcher

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]
Window = tuple[torch.Tensor, torch.Tensor, bool]


def check_ids_tensor(x: object, name: str, shape: str, ndim: int, vocab_size: int) -> torch.Tensor:
    """``x`` if it is an int64 tensor of ``ndim`` dimensions with ids in ``[0, vocab_size)``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor {shape}, got {type(x).__name__}")
    if x.dtype != torch.long:
        raise TypeError(f"{name}: expected int64 (torch.long) ids, got dtype {x.dtype}")
    if x.ndim != ndim or x.numel() == 0:
        raise ValueError(
            f"{name}: expected a non-empty tensor of shape {shape}, got {tuple(x.shape)}"
        )
    low, high = int(x.min()), int(x.max())
    if low < 0 or high >= vocab_size:
        raise ValueError(
            f"{name}: expected ids in [0, {vocab_size}), got values from {low} to {high}"
        )
    return x


def detach_state(state: State) -> State:
    """The state with its history cut off: gradients stop here (truncated BPTT)."""
    if isinstance(state, tuple):
        h, c = state
        return h.detach(), c.detach()
    return state.detach()


class CharLM(nn.Module):
    """Embedding -> ``num_layers`` recurrent layers -> linear, over characters.

    Args:
        vocab_size: ``V``, the number of distinct characters.
        embedding_dim: ``E``, size of each character's learnt vector.
        hidden_size: ``H``, hidden units per layer.
        cell: ``"lstm"``, ``"gru"`` or ``"rnn"`` (tanh).
        num_layers: stacked recurrent layers.
        dropout: probability of zeroing an entry of the embeddings, of the last layer's
            hidden states before the read-out, and (with ``num_layers > 1``) between layers.
        backend: ``"torch"`` (``torch.nn.LSTM`` etc., cuDNN on a GPU) or ``"companion"``
            (the course's hand-written layers, same arguments).

    Shapes:
        ``forward(x, state=None)``: ``x`` is ``(B, T)`` int64 ids in ``[0, V)``; returns
        ``(logits, state)`` with ``logits`` ``(B, T, V)`` and ``state`` as the recurrent
        layer returns it: ``(h, c)`` for an LSTM, ``h`` otherwise, each ``(num_layers, B, H)``.
        Pass ``state`` back in to continue the same ``B`` texts.

    Taught in the book's section 5.4, book/05-code/04-text-generation.md.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        hidden_size: int,
        *,
        cell: str = "lstm",
        num_layers: int = 1,
        dropout: float = 0.0,
        backend: str = "torch",
    ) -> None:
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        check_positive_int(embedding_dim, "embedding_dim")
        check_positive_int(hidden_size, "hidden_size")
        check_positive_int(num_layers, "num_layers")
        check_probability(dropout, "dropout", allow_one=False)
        self.cell = cell
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = recurrent_layer(cell, backend)(
            embedding_dim,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,  # between layers only
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        check_ids_tensor(x, "x", "(B, T)", 2, self.vocab_size)
        hidden, state = self.rnn(self.dropout(self.embedding(x)), state)
        return self.head(self.dropout(hidden)), state

    @torch.no_grad()
    def sample(
        self,
        vocab: CharVocab,
        prime: str,
        length: int,
        *,
        temperature: float = 1.0,
        top_k: int | None = None,
        seed: int | torch.Generator = 0,
    ) -> str:
        """Generate ``length`` characters that continue ``prime``.

        The model reads ``prime``, then repeatedly draws the next character from
        ``softmax(logits / temperature)`` (restricted to the ``top_k`` most likely
        characters if given; ``top_k=1`` is greedy) and feeds it back in. Draws use a CPU
        ``torch.Generator`` (``seed`` or the one given), so a seed gives the same text on
        every run. Dropout is off while sampling.

        Returns:
            The ``length`` generated characters, without ``prime``.
        """
        if vocab.size != self.vocab_size:
            raise ValueError(
                f"vocab: expected a vocabulary of vocab_size={self.vocab_size} characters, "
                f"got {vocab.size}"
            )
        if not isinstance(prime, str) or not prime:
            raise ValueError(f"prime: expected a non-empty str, got {prime!r}")
        check_int(length, "length", minimum=0)
        check_positive_number(temperature, "temperature")
        if top_k is not None and not 1 <= check_positive_int(top_k, "top_k") <= self.vocab_size:
            raise ValueError(
                f"top_k: expected None or an int in [1, {self.vocab_size}], got {top_k}"
            )
        if isinstance(seed, torch.Generator):
            generator = seed
        else:
            generator = torch.Generator().manual_seed(int(seed))
        device = next(self.parameters()).device
        was_training = self.training
        self.eval()
        try:
            ids = torch.as_tensor(vocab.encode(prime), device=device)[None, :]
            logits, state = self(ids)
            out = []
            for _ in range(length):
                z = logits[0, -1].double().cpu() / temperature
                if top_k is not None:
                    z[z < torch.topk(z, top_k).values[-1]] = -math.inf  # ties with the k-th stay
                out.append(int(torch.multinomial(torch.softmax(z, 0), 1, generator=generator)))
                logits, state = self(torch.tensor([[out[-1]]], device=device), state)
        finally:
            self.train(was_training)
        return vocab.decode(np.array(out, dtype=np.int64))


def stream_windows(ids: np.ndarray, batch_size: int, seq_len: int | None = None) -> list[Window]:
    """The windows of ``batch_size`` parallel streams of ``ids``, as tensors, in order.

    Args:
        ids: ``(N,)`` integer ids of a text.
        batch_size: ``B``, the number of streams (see ``StreamBatcher``).
        seq_len: ``T``, characters per window; ``None``: each stream in one window.

    Returns:
        A list of ``(x, y, first)``: ``x`` and ``y`` are ``(B, T)`` int64 tensors (``y`` is
        ``x`` shifted by one character; the last window may be shorter) and ``first`` is
        ``True`` for the first window, where the streams start without context.
    """
    ids = np.asarray(ids)
    batcher = StreamBatcher(ids, batch_size, len(ids) if seq_len is None else seq_len)
    return [
        (torch.as_tensor(np.ascontiguousarray(x)), torch.as_tensor(np.ascontiguousarray(y)), i == 0)
        for i, (x, y) in enumerate(batcher)
    ]


class CarriedStateLoss:
    """``loss(model, (x, y, first))`` for :func:`companion.train.fit`: truncated BPTT.

    Mean cross-entropy (nats per character) of the model on window ``x``, ``y``, starting
    from the state in which the previous window of the same streams ended (detached, so
    gradients flow back at most ``T`` steps), or from zeros when ``first`` is true. The
    state is kept separately for training and for evaluation (``model.training``), so a
    validation pass in the middle of an epoch does not disturb the training streams.

    Taught in the book's section 5.4, book/05-code/04-text-generation.md.
    """

    def __init__(self) -> None:
        self._states: dict[bool, State | None] = {}

    def __call__(self, model: nn.Module, batch: Window) -> torch.Tensor:
        x, y, first = batch
        state = None if first else self._states.get(model.training)
        logits, state = model(x, state)
        self._states[model.training] = detach_state(state)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


@torch.no_grad()
def evaluate_bpc(
    model: CharLM, ids: np.ndarray, *, batch_size: int = 16, seq_len: int | None = None
) -> float:
    """Bits per character of ``model`` on ``ids``, with the state carried through each stream.

    The text is read as ``batch_size`` parallel streams (the first character of each is
    predicted without context), in windows of ``seq_len`` characters (``None``: one
    window per stream; with the state carried, the window length changes only the memory
    needed, not the result). Runs on the device of the model's parameters, with dropout off.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total_nats, count, state = 0.0, 0, None
    try:
        for x, y, _ in stream_windows(ids, batch_size, seq_len):
            logits, state = model(x.to(device), state)
            nats = F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]).float(),
                y.to(device).reshape(-1),
                reduction="sum",
            )
            total_nats += float(nats)
            count += y.numel()
    finally:
        model.train(was_training)
    return total_nats / count / math.log(2)
