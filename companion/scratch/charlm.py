"""A character language model with the NumPy RNN: batching, training, evaluation, sampling.

Truncated backpropagation through time: the text is cut into ``B`` long contiguous
streams that are read in parallel, ``T`` characters at a time. The hidden state at the end
of one window is the initial state of the next window of the same stream, so the model
sees context far beyond ``T`` characters, while gradients flow back at most ``T`` steps.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from tqdm.auto import tqdm

from companion._validate import (
    as_array,
    check_ids,
    check_int,
    check_positive_int,
    check_positive_number,
    shape_error,
)
from companion.data.text import CharVocab
from companion.history import History
from companion.scratch.clip import clip_grad_norm, grad_norm
from companion.scratch.init import Seed, as_generator
from companion.scratch.losses import log_softmax, softmax
from companion.scratch.optim import Optimizer
from companion.scratch.rnn import RNN


class StreamBatcher:
    """Windows ``(x, y)`` of ``B`` parallel streams, in order, for truncated BPTT.

    The ids are cut into ``B`` contiguous streams of ``L = (N - 1) // B`` inputs each:
    stream ``b`` reads ``ids[b * L : (b + 1) * L]`` and predicts the same ids shifted by
    one. Iterating yields windows of ``T`` steps from the start of the streams to their
    end (the last window is shorter when ``T`` does not divide ``L``); ``y`` is ``x``
    shifted by one, so the last target of a window is the first input of the next one.
    The last ``(N - 1) % B`` ids are not used.

    Args:
        ids: ``(N,)`` integer ids, e.g. ``vocab.encode(text)``.
        batch_size: ``B``, the number of streams.
        seq_len: ``T``, the number of time steps per window.

    Yields:
        ``(x, y)``, both ``(B, T)`` integer arrays.

    Taught in the book's section 4.5, book/04-training/05-truncated-bptt.md.
    """

    def __init__(self, ids: np.ndarray, batch_size: int, seq_len: int) -> None:
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.seq_len = check_positive_int(seq_len, "seq_len")
        ids = as_array(ids, "ids")
        if ids.ndim != 1:
            raise shape_error("ids", "(N,)", ids.shape)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"ids: expected integer ids, got dtype {ids.dtype}")
        if len(ids) < self.batch_size + 1:
            raise ValueError(
                f"ids: too short for batch_size={self.batch_size} streams: expected at least "
                f"batch_size + 1 = {self.batch_size + 1} ids, got {len(ids)}"
            )
        self.stream_len = (len(ids) - 1) // self.batch_size  # L
        used = self.batch_size * self.stream_len
        self._x = ids[:used].reshape(self.batch_size, self.stream_len)
        self._y = ids[1 : used + 1].reshape(self.batch_size, self.stream_len)

    def __len__(self) -> int:
        return math.ceil(self.stream_len / self.seq_len)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for start in range(0, self.stream_len, self.seq_len):
            window = slice(start, start + self.seq_len)
            yield self._x[:, window], self._y[:, window]


def evaluate_bpc(rnn: RNN, ids: np.ndarray, *, batch_size: int = 16, seq_len: int = 256) -> float:
    """Bits per character of ``rnn`` on ``ids``: mean cross-entropy in base 2.

    The hidden state is carried from window to window within each of ``batch_size``
    streams (see :class:`StreamBatcher`), so only the first character of each stream is
    predicted without context. ``ids`` must be valid both as inputs and as targets.
    """
    check_ids(ids, "ids", min(rnn.input_size, rnn.output_size))
    total_nats, count, h = 0.0, 0, None
    for x, y in StreamBatcher(ids, batch_size, seq_len):
        logits, hs = rnn.forward(x, h)
        h = hs[:, -1]
        logp = np.take_along_axis(log_softmax(logits), y[..., None], axis=-1)
        total_nats -= float(logp.sum(dtype=np.float64))
        count += y.size
    return total_nats / count / math.log(2)


def _windows_forever(batches: StreamBatcher) -> Iterator[tuple[np.ndarray, np.ndarray, bool]]:
    """``(x, y, first)`` over and over; ``first`` marks the first window of each pass."""
    while True:
        for number, (x, y) in enumerate(batches):
            yield x, y, number == 0


def train_char_lm(
    rnn: RNN,
    train_ids: np.ndarray,
    *,
    optimizer: Optimizer,
    max_steps: int,
    batch_size: int = 32,
    seq_len: int = 64,
    clip: float | None = 5.0,
    val_ids: np.ndarray | None = None,
    eval_every: int | None = None,
    progress: bool = True,
) -> History:
    """Train ``rnn`` as a character language model with truncated BPTT.

    Each step takes the next ``(B, T)`` window of every stream (:class:`StreamBatcher`),
    starts from the hidden state the previous window ended with (zeros at the start of
    each pass over the data), computes loss and gradients, clips the gradients to global
    norm ``clip``, and lets ``optimizer`` update ``rnn.params`` in place.

    Args:
        rnn: the model; ``rnn.params`` are updated in place.
        train_ids: ``(N,)`` ids of the training text.
        optimizer: e.g. ``Adam(lr=3e-3)``.
        max_steps: number of optimiser steps (passes over the data repeat as needed).
        batch_size: ``B``, parallel streams.
        seq_len: ``T``, time steps per window (how far gradients flow back).
        clip: maximum global gradient norm; ``None`` for no clipping.
        val_ids: ids of held-out text; if given, ``val_loss`` (nats) and ``val_bpc``
            are logged every ``eval_every`` steps and after the last step.
        eval_every: see ``val_ids``; ``None``: only after the last step.
        progress: show a ``tqdm`` progress bar.

    Returns:
        A :class:`~companion.history.History` with ``train_loss`` (nats per character)
        and ``grad_norm`` (before clipping) at every step, and the validation metrics.

    Raises:
        FloatingPointError: the loss or the gradient norm is NaN or inf (the message
            names the step); the parameters are left as they were before that step.

    Taught in the book's section 4.5, book/04-training/05-truncated-bptt.md.
    """
    max_steps = check_positive_int(max_steps, "max_steps")
    if eval_every is not None:
        eval_every = check_positive_int(eval_every, "eval_every")
    if val_ids is not None:
        check_ids(val_ids, "val_ids", min(rnn.input_size, rnn.output_size))
    batches = StreamBatcher(train_ids, batch_size, seq_len)
    history = History()
    h = None
    windows = _windows_forever(batches)
    with tqdm(total=max_steps, disable=not progress, desc="training", unit="step") as bar:
        for step in range(1, max_steps + 1):
            x, y, first = next(windows)
            loss, grads, h = rnn.loss_and_grads(x, y, None if first else h)
            norm = grad_norm(grads) if clip is None else clip_grad_norm(grads, clip)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                raise FloatingPointError(
                    f"train_char_lm: at step {step} the loss is {loss} and the gradient norm "
                    f"{norm}: training diverged. Clip the gradients (clip=1.0) or lower the "
                    f"learning rate (now {optimizer.lr})."
                )
            optimizer.step(rnn.params, grads)
            history.log(step, train_loss=loss, grad_norm=norm)
            if val_ids is not None and (
                step == max_steps or (eval_every is not None and step % eval_every == 0)
            ):
                bpc = evaluate_bpc(rnn, val_ids)
                history.log(step, val_loss=bpc * math.log(2), val_bpc=bpc)
            bar.update()
            bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
    return history


def sample(
    rnn: RNN,
    vocab: CharVocab,
    prime: str,
    length: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: Seed = 0,
) -> str:
    """Generate ``length`` characters that continue ``prime``.

    The model reads ``prime``, then repeatedly draws the next character from
    ``softmax(logits / temperature)`` and feeds it back in.

    Args:
        rnn: a model with ``input_size == output_size == vocab.size``.
        vocab: maps characters to ids and back.
        prime: the non-empty text to start from (every character must be in ``vocab``
            unless it has an ``unk``).
        length: number of characters to generate.
        temperature: below 1 sharpens the distribution (safer text), above 1 flattens it.
        top_k: draw only among the ``top_k`` most likely characters (``1``: greedy);
            ``None``: among all.
        seed: int or ``numpy.random.Generator`` for the draws.

    Returns:
        The ``length`` generated characters (without ``prime``).

    Taught in the book's section 4.6, book/04-training/06-char-lm.md.
    """
    if not rnn.input_size == rnn.output_size == vocab.size:
        raise ValueError(
            f"vocab: expected vocab.size == rnn.input_size == rnn.output_size, got "
            f"{vocab.size}, {rnn.input_size} and {rnn.output_size}"
        )
    ids = vocab.encode(prime)
    if len(ids) == 0:
        raise ValueError("prime: expected at least one character, got ''")
    check_int(length, "length", minimum=0)
    check_positive_number(temperature, "temperature")
    if top_k is not None and not 1 <= check_positive_int(top_k, "top_k") <= vocab.size:
        raise ValueError(f"top_k: expected None or an int in [1, {vocab.size}], got {top_k}")
    rng = as_generator(seed)

    logits, hs = rnn.forward(ids[None, :])
    out = []
    for _ in range(length):
        z = logits[0, -1].astype(np.float64) / temperature
        if top_k is not None:
            z[z < np.sort(z)[-top_k]] = -np.inf  # ties with the k-th largest are kept
        out.append(rng.choice(vocab.size, p=softmax(z)))
        logits, hs = rnn.forward(np.array([[out[-1]]]), hs[:, -1])
    return vocab.decode(np.array(out, dtype=np.int64))
