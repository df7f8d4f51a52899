"""A memory of what has been read, mixed with a character model: counts, matches, a mixer.

A compressor such as xz wins on text that repeats passages it has already read, because it
copies them. This module gives a character model the same advantage, as the PAQ compressors
do (Mahoney 2005): next to the network's distribution it runs

* :class:`ContextCounts`: how often each character followed each of the last ``k``
  characters (``k = 1 .. K``), smoothed order by order (Witten-Bell escape);
* :class:`MatchModel`: the character that followed the most recent earlier occurrence of
  the current context, with a confidence learnt from the match length;
* :class:`GeometricMixer`: an online *geometric* (logistic) mixture of those distributions,
  its weights updated by the gradient of the log-loss after every character.

Everything is *online and causal*: each piece first gives its distribution for the next
character, then (and only then) reads that character. :class:`MemoryPieces` holds the
pieces, :class:`MemoryMixture` mixes them one character at a time (a model that
``companion.coding`` can drive), :func:`mix_stream` runs them over a held-out text and
returns the bits each piece and the mixture pay per character, and
:func:`mixer_step_bpc` measures several steps of the mixer in one pass.

    log_probs = charlm_log_probs(model, train_ids, val_ids)        # (N, V), one forward pass
    result = mix_stream(train_ids, val_ids, V, lstm_log_probs=log_probs)
    result.bits["mixture"].mean()                                  # bits per character

NumPy only, except :func:`charlm_log_probs`, which runs a PyTorch ``CharLM``.
"""

from __future__ import annotations

import bisect
import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from companion._validate import (
    check_ids,
    check_int,
    check_number,
    check_positive_int,
    check_positive_number,
)

if TYPE_CHECKING:
    import torch

    from companion.nn.charlm import CharLM

MATCH_BUCKETS = (0, 1, 16, 32, 64)
"""Lower bounds of the match-length buckets: ``0`` (no match), 1-15, 16-31, 32-63, 64 or more."""
NETWORK_CONTEXT = 256
"""Characters of the training text a network reads before the text it predicts."""


def _check_vocab_size(vocab_size: object) -> int:
    """``vocab_size`` as an int in ``[2, 256]`` (contexts are stored as bytes)."""
    size = check_positive_int(vocab_size, "vocab_size")
    if not 2 <= size <= 256:
        raise ValueError(f"vocab_size: expected an int in [2, 256], got {size}")
    return size


def _check_id(c: int, vocab_size: int) -> None:
    """Raise unless the character id ``c`` is in ``[0, vocab_size)``."""
    if not 0 <= c < vocab_size:
        raise ValueError(f"c: expected a character id in [0, {vocab_size}), got {c}")


def _check_history(ids: object, name: str, vocab_size: int) -> np.ndarray:
    """A non-empty 1-D array of ids in ``[0, vocab_size)``."""
    array = check_ids(ids, name, vocab_size)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"{name}: expected a non-empty 1-D array of ids (N,), got shape {array.shape}"
        )
    return array


def match_bucket(length: int) -> int:
    """The index of the bucket of :data:`MATCH_BUCKETS` that a match ``length`` falls in."""
    return bisect.bisect_right(MATCH_BUCKETS, length) - 1


class ContextCounts:
    """Order-``k`` context counts, ``k = 0 .. max_order``, smoothed by Witten-Bell escape.

    With ``n_k(c)`` the number of times character ``c`` followed the last ``k`` characters,
    ``n_k`` their sum and ``u_k`` the number of distinct characters seen there, the order-``k``
    distribution interpolates with the order below it,
    ``p_k(c) = (n_k(c) + u_k p_{k-1}(c)) / (n_k + u_k)``, from ``p_{-1}`` uniform; a context
    never seen keeps ``p_k = p_{k-1}``. Every ``p_k`` sums to 1 and is positive everywhere.

    Args:
        vocab_size: ``V``, the number of distinct characters (2 to 256).
        max_order: ``K``, the longest context.

    Shapes:
        :meth:`read` takes ``(N,)`` ids (the training text); :meth:`predict` returns
        ``(K, V)``, row ``k - 1`` the order-``k`` distribution of the next character;
        :meth:`update` reads one character.

    Taught in the book's section 6.8, book/06-future/08-memory.md.
    """

    def __init__(self, vocab_size: int, max_order: int = 6) -> None:
        self.vocab_size = _check_vocab_size(vocab_size)
        self.max_order = check_positive_int(max_order, "max_order")
        self._table: dict[bytes, dict[int, int]] = {}
        self._history = bytearray()

    def read(self, ids: np.ndarray) -> None:
        """Count every character of ``ids`` in all its contexts (no predictions made).

        The counts :meth:`update` would make character by character, tallied with NumPy:
        for each order ``k``, every (context, character) pair is packed into one integer
        (the ``k`` context bytes, then the character) and counted by ``np.unique``.
        """
        ids = _check_history(ids, "ids", self.vocab_size)
        start = len(self._history)
        self._history.extend(ids.astype(np.uint8).tobytes())
        text = np.frombuffer(self._history, dtype=np.uint8).astype(np.int64)
        for k in range(self.max_order + 1):
            ends = np.arange(max(start, k), len(text))  # text[end - k : end] precedes text[end]
            packed = np.zeros(len(ends), dtype=np.int64)
            for back in range(k, -1, -1):
                packed = packed * 256 + text[ends - back]
            pairs, counts = np.unique(packed, return_counts=True)
            for pair, count in zip(pairs.tolist(), counts.tolist(), strict=True):
                followers = self._table.setdefault((pair >> 8).to_bytes(k, "big"), {})
                followers[pair & 255] = followers.get(pair & 255, 0) + count

    def predict(self) -> np.ndarray:
        """``(K, V)``: the order-1 .. order-K distributions of the next character."""
        h, out = self._history, np.empty((self.max_order + 1, self.vocab_size))
        p = np.full(self.vocab_size, 1.0 / self.vocab_size)
        for k in range(self.max_order + 1):
            followers = self._table.get(bytes(h[len(h) - k :])) if k <= len(h) else None
            if followers is None:  # unseen here, so unseen for every longer context too
                out[k:] = p
                break
            counts = np.zeros(self.vocab_size)
            counts[list(followers)] = list(followers.values())
            p = (counts + len(followers) * p) / (counts.sum() + len(followers))
            out[k] = p
        return out[1:]

    def update(self, c: int) -> None:
        """Read character ``c``: count it after each of its contexts, then append it."""
        _check_id(c, self.vocab_size)
        h = self._history
        for k in range(min(self.max_order, len(h)) + 1):
            followers = self._table.setdefault(bytes(h[len(h) - k :]), {})
            followers[c] = followers.get(c, 0) + 1
        h.append(c)


class MatchModel:
    """Predict the character that followed the latest earlier occurrence of the context.

    The model keeps, for every string of ``min_length`` characters, where it last ended. When
    no match is running it looks up the last ``min_length`` characters read; on a hit, the
    match length is how far back the text agrees (at most ``max_length``), and the predicted
    character is the one that followed there. While its predictions come true the match
    runs on (length + 1); a miss ends it. The probability given to the predicted character
    is ``q_b = (hits_b + 1) / (tries_b + 2)``, counted online in the bucket ``b`` of the match
    length (:data:`MATCH_BUCKETS`); the rest is shared equally. Without a match the
    distribution is uniform.

    Args:
        vocab_size: ``V`` (2 to 256).
        min_length: characters that must agree for a match to start.
        max_length: the cap on the measured match length.

    Shapes:
        :meth:`read` takes ``(N,)`` ids; :meth:`predict` returns ``(V,)``; ``length`` is the
        current match length (0: none).

    Taught in the book's section 6.8, book/06-future/08-memory.md.
    """

    def __init__(self, vocab_size: int, min_length: int = 8, max_length: int = 400) -> None:
        self.vocab_size = _check_vocab_size(vocab_size)
        self.min_length = check_positive_int(min_length, "min_length")
        self.max_length = check_int(max_length, "max_length", minimum=self.min_length)
        self.length = 0
        self._pointer = 0
        self._last: dict[bytes, int] = {}
        self._history = bytearray()
        self._hits = np.zeros(len(MATCH_BUCKETS))
        self._tries = np.zeros(len(MATCH_BUCKETS))

    def read(self, ids: np.ndarray) -> None:
        """Index every position of ``ids`` (the training text); no predictions are counted."""
        ids = _check_history(ids, "ids", self.vocab_size)
        for c in ids[:-1].tolist():
            self._history.append(c)
            self._index()
        self._step(int(ids[-1]), hit=False)

    def _index(self) -> None:
        """Record that the last ``min_length`` characters end here."""
        h, m = self._history, self.min_length
        if len(h) >= m:
            self._last[bytes(h[-m:])] = len(h)

    def _step(self, c: int, hit: bool) -> None:
        """Read ``c``: run the match on after a hit, else look for a new one; then index."""
        h, m = self._history, self.min_length
        h.append(c)
        if hit:
            self.length = min(self.length + 1, self.max_length)
            self._pointer += 1
        else:
            end = self._last.get(bytes(h[-m:]), 0) if len(h) >= m else 0
            self.length, self._pointer = 0, end
            while end and self.length < min(self.max_length, end):
                if h[end - 1 - self.length] != h[len(h) - 1 - self.length]:
                    break
                self.length += 1
        self._index()

    def predict(self) -> np.ndarray:
        """``(V,)``: the distribution of the next character."""
        if self.length == 0:
            return np.full(self.vocab_size, 1.0 / self.vocab_size)
        b = match_bucket(self.length)
        q = (self._hits[b] + 1) / (self._tries[b] + 2)
        p = np.full(self.vocab_size, (1 - q) / (self.vocab_size - 1))
        p[self._history[self._pointer]] = q
        return p

    def update(self, c: int) -> None:
        """Score the running prediction against ``c``, then read ``c``."""
        _check_id(c, self.vocab_size)
        hit = False
        if self.length:
            b = match_bucket(self.length)
            hit = self._history[self._pointer] == c
            self._tries[b] += 1
            self._hits[b] += hit
        self._step(c, hit)


class GeometricMixer:
    """An online geometric (logistic) mixture of ``M`` distributions over ``V`` characters.

    With ``L`` the ``(M, V)`` log-probabilities of the inputs and ``w`` the weights of the
    selected set ``s``, the mixture is ``p = softmax(w L)``. After the character ``x`` is
    read, the weights take a step down the gradient of its log-loss ``-log p(x)``:
    ``w <- w + lr (L[:, x] - L p)``. A uniform input adds the same number to every logit,
    so it leaves ``p`` unchanged.

    Args:
        num_inputs: ``M``, the distributions mixed.
        num_sets: weight sets, one chosen per character by a small context (here the
            match-length bucket).
        learning_rate: ``lr``, the step of the online update.
        initial_weight: every weight's starting value; ``None``: ``1 / M``, so that the
            mixture starts as the normalised geometric mean of the inputs.

    Taught in the book's section 6.8, book/06-future/08-memory.md.
    """

    def __init__(
        self,
        num_inputs: int,
        num_sets: int = 1,
        learning_rate: float = 0.002,
        initial_weight: float | None = None,
    ) -> None:
        check_positive_int(num_inputs, "num_inputs")
        check_positive_int(num_sets, "num_sets")
        self.learning_rate = check_positive_number(learning_rate, "learning_rate")
        start = (
            1 / num_inputs
            if initial_weight is None
            else check_number(initial_weight, "initial_weight")
        )
        self.weights = np.full((num_sets, num_inputs), start)

    def mix(self, log_probs: np.ndarray, selected: int = 0) -> np.ndarray:
        """``(V,)``: the mixture of the ``(M, V)`` ``log_probs`` with weight set ``selected``."""
        if log_probs.ndim != 2 or log_probs.shape[0] != self.weights.shape[1]:
            raise ValueError(
                f"log_probs: expected shape (M, V) with M = {self.weights.shape[1]}, "
                f"got {log_probs.shape}"
            )
        z = self.weights[selected] @ log_probs
        p = np.exp(z - z.max())
        return p / p.sum()

    def update(self, log_probs: np.ndarray, mixed: np.ndarray, x: int, selected: int = 0) -> None:
        """One gradient step on ``-log mixed[x]`` for the weight set ``selected``."""
        self.weights[selected] += self.learning_rate * (log_probs[:, x] - log_probs @ mixed)


class NetworkStream(Protocol):
    """A network's predictions as :class:`MemoryPieces` reads them, one character at a time."""

    def log_probs(self) -> np.ndarray:
        """``(V,)``: natural-log probabilities of the next character."""
        ...  # pragma: no cover

    def update(self, c: int) -> None:
        """Read character ``c``."""
        ...  # pragma: no cover


class _Rows:
    """Precomputed ``(N, V)`` log-probabilities replayed as a :class:`NetworkStream`."""

    def __init__(self, rows: np.ndarray) -> None:
        self._rows, self._i = rows, 0

    def log_probs(self) -> np.ndarray:
        return self._rows[self._i]

    def update(self, c: int) -> None:
        self._i += 1


def _replayed(lstm_log_probs: np.ndarray | None, n: int, vocab_size: int) -> _Rows | None:
    """``lstm_log_probs`` checked to be ``(n, V)`` finite rows that sum to 1, as a stream."""
    if lstm_log_probs is None:
        return None
    rows = np.asarray(lstm_log_probs, dtype=np.float64)
    if rows.shape != (n, vocab_size):
        raise ValueError(
            f"lstm_log_probs: expected shape (N, V) = ({n}, {vocab_size}), got {rows.shape}"
        )
    if not np.all(np.isfinite(rows)) or not np.allclose(np.exp(rows).sum(axis=1), 1, atol=1e-4):
        raise ValueError("lstm_log_probs: expected finite log-probabilities whose rows sum to 1")
    return _Rows(rows)


class CharLMStream:
    """A ``CharLM`` that reads one character at a time: a :class:`NetworkStream`.

    It first reads the last 256 characters of ``context_ids``, then one step per
    :meth:`update`, its state carried. A decoder must rebuild the network's distributions
    from the characters decoded so far, one at a time; the encoder uses this same class, so
    both compute the same floating-point numbers. (One batched pass,
    :func:`charlm_log_probs`, gives nearly equal numbers, not bit for bit equal ones.)
    It runs a float64 copy of the model in eval mode (dropout off), on the device of the
    model's parameters, and leaves the model itself as it was (one step at a time,
    PyTorch's float32 LSTM on a CPU is several times slower).

    Shapes:
        ``context_ids``: ``(N,)``; :meth:`log_probs` returns ``(V,)`` float64.

    Taught in the book's section 6.8, book/06-future/08-memory.md.
    """

    def __init__(self, model: CharLM, context_ids: np.ndarray) -> None:
        self.vocab_size = int(model.vocab_size)
        context = _check_history(context_ids, "context_ids", self.vocab_size)[-NETWORK_CONTEXT:]
        self._model = copy.deepcopy(model).double().eval()
        self._device = next(model.parameters()).device
        self._logits, self._state = self._read(context, None)

    def _read(self, ids: np.ndarray, state: object) -> tuple[torch.Tensor, object]:
        import torch

        x = torch.as_tensor(ids, dtype=torch.long, device=self._device)[None]
        with torch.no_grad():
            logits, state = self._model(x, state)
        return logits[0, -1], state

    def log_probs(self) -> np.ndarray:
        """``(V,)``: the network's log-probabilities of the next character."""
        import torch

        return torch.log_softmax(self._logits, dim=-1).cpu().numpy()

    def update(self, c: int) -> None:
        """Run the network one step on character ``c``."""
        _check_id(c, self.vocab_size)
        self._logits, self._state = self._read(np.array([c]), self._state)


class MemoryPieces:
    """The distributions that :class:`MemoryMixture` mixes, read one character at a time.

    In order: the network (if given), the order-1 .. order-``K`` counts, the match model,
    each first having read ``train_ids`` (the network reads them when it is built).

    Args:
        train_ids: ``(N_train,)`` ids read before the text to predict.
        vocab_size: ``V``.
        network: a :class:`NetworkStream` (e.g. :class:`CharLMStream`), or ``None``.
        max_order: ``K`` of :class:`ContextCounts`.
        min_match: ``min_length`` of :class:`MatchModel`.

    Shapes:
        :meth:`log_probs` returns ``(M, V)``, row ``j`` for ``names[j]``.

    Taught in the book's section 6.8, book/06-future/08-memory.md.
    """

    def __init__(
        self,
        train_ids: np.ndarray,
        vocab_size: int,
        *,
        network: NetworkStream | None = None,
        max_order: int = 6,
        min_match: int = 8,
    ) -> None:
        vocab_size = _check_vocab_size(vocab_size)
        train_ids = _check_history(train_ids, "train_ids", vocab_size)
        self.network = network
        self.counts = ContextCounts(vocab_size, max_order)
        self.match = MatchModel(vocab_size, min_match)
        self.counts.read(train_ids)
        self.match.read(train_ids)
        orders = [f"order {k}" for k in range(1, self.counts.max_order + 1)]
        self.names = (["lstm"] if network is not None else []) + orders + ["match"]
        self._log_probs: np.ndarray | None = None

    @property
    def bucket(self) -> int:
        """The match-length bucket, which selects the mixer's weight set."""
        return match_bucket(self.match.length)

    def log_probs(self) -> np.ndarray:
        """``(M, V)``: each piece's log-probabilities of the next character."""
        if self._log_probs is None:
            rows = [np.log(self.counts.predict()), np.log(self.match.predict())[None]]
            if self.network is not None:
                rows.insert(0, self.network.log_probs()[None])
            self._log_probs = np.concatenate(rows)
        return self._log_probs

    def update(self, c: int) -> None:
        """Every piece reads character ``c``."""
        self.counts.update(c)
        self.match.update(c)
        if self.network is not None:
            self.network.update(c)
        self._log_probs = None


class MemoryMixture:
    """:class:`MemoryPieces` mixed by a :class:`GeometricMixer` that learns online.

    :meth:`predict` gives the mixture's distribution of the next character;
    :meth:`update` then takes the mixer's gradient step on that character and lets every
    piece read it. The mixer keeps one weight set per match-length bucket. This is a model
    the arithmetic coder (``companion.coding``) can drive.

    Args:
        pieces: the :class:`MemoryPieces` to mix.
        learning_rate: the mixer's step.

    Shapes:
        :meth:`predict` returns ``(V,)``.

    Taught in the book's section 6.8, book/06-future/08-memory.md.
    """

    def __init__(self, pieces: MemoryPieces, learning_rate: float = 0.002) -> None:
        self.pieces = pieces
        self.mixer = GeometricMixer(len(pieces.names), len(MATCH_BUCKETS), learning_rate)
        self._probs: np.ndarray | None = None

    def predict(self) -> np.ndarray:
        """``(V,)``: the mixture's probabilities of the next character."""
        if self._probs is None:
            self._probs = self.mixer.mix(self.pieces.log_probs(), self.pieces.bucket)
        return self._probs

    def update(self, c: int) -> None:
        """The mixer's step on ``-log p(c)``; then every piece reads ``c``."""
        _check_id(c, self.pieces.counts.vocab_size)
        probs = self.predict()
        self.mixer.update(self.pieces.log_probs(), probs, c, self.pieces.bucket)
        self.pieces.update(c)
        self._probs = None


@dataclass
class MixResult:
    """What :func:`mix_stream` returns.

    Attributes:
        bits: ``{piece: (N,) bits}`` for ``"lstm"`` (when given), ``"order k"``, ``"match"``
            and ``"mixture"``: what each would pay for each held-out character.
        probs: ``(N, V)``, the mixture's distribution at every position.
        match_length: ``(N,)``, the match model's length when it predicted each position.
    """

    bits: dict[str, np.ndarray]
    probs: np.ndarray
    match_length: np.ndarray


def mix_stream(
    train_ids: np.ndarray,
    ids: np.ndarray,
    vocab_size: int,
    *,
    lstm_log_probs: np.ndarray | None = None,
    max_order: int = 6,
    min_match: int = 8,
    learning_rate: float = 0.002,
) -> MixResult:
    """Predict ``ids`` one character at a time after ``train_ids``: each piece and the mixture.

    At position ``i`` each piece gives its distribution, the mixer combines them (its weight
    set chosen by the match-length bucket), the bits of ``ids[i]`` are recorded, and only
    then do the counts, the match model and the mixer read ``ids[i]``. So the result at ``i``
    depends on ``train_ids``, ``ids[:i]`` and row ``i`` of ``lstm_log_probs`` only.

    Args:
        train_ids: ``(N_train,)`` ids read before the held-out text.
        ids: ``(N,)`` held-out ids.
        vocab_size: ``V``.
        lstm_log_probs: ``(N, V)`` natural-log probabilities of a network, row ``i`` its
            distribution for ``ids[i]`` (:func:`charlm_log_probs`); ``None``: no network.
        max_order: ``K`` of :class:`ContextCounts`.
        min_match: ``min_length`` of :class:`MatchModel`.
        learning_rate: the mixer's step.

    Returns:
        A :class:`MixResult`.

    Taught in the book's section 6.8, book/06-future/08-memory.md.
    """
    vocab_size = _check_vocab_size(vocab_size)
    ids = _check_history(ids, "ids", vocab_size)
    network = _replayed(lstm_log_probs, len(ids), vocab_size)
    pieces = MemoryPieces(
        train_ids, vocab_size, network=network, max_order=max_order, min_match=min_match
    )
    mixture = MemoryMixture(pieces, learning_rate)
    n = len(ids)
    piece_bits = np.empty((n, len(pieces.names)))
    mixture_bits = np.empty(n)
    probs = np.empty((n, vocab_size))
    lengths = np.empty(n, dtype=np.int64)
    for i, x in enumerate(ids.tolist()):
        lengths[i] = pieces.match.length
        probs[i] = mixture.predict()
        piece_bits[i] = pieces.log_probs()[:, x]
        mixture_bits[i] = math.log(probs[i, x])
        mixture.update(x)
    to_bits = -1 / math.log(2)
    bits = {name: piece_bits[:, j] * to_bits for j, name in enumerate(pieces.names)}
    bits["mixture"] = mixture_bits * to_bits
    return MixResult(bits, probs, lengths)


def mixer_step_bpc(
    train_ids: np.ndarray,
    ids: np.ndarray,
    vocab_size: int,
    learning_rates: Sequence[float],
    *,
    lstm_log_probs: np.ndarray | None = None,
    max_order: int = 6,
    min_match: int = 8,
) -> dict[float, float]:
    """The mixture's bits per character on ``ids`` for each mixer step, in one pass.

    The pieces do not depend on the step, so they predict each character once and one
    :class:`GeometricMixer` per step mixes them; each mixer pays for the character before
    it, and the pieces, read it. Arguments as for :func:`mix_stream`; the result for a step
    is what ``mix_stream(..., learning_rate=step)`` gives for the mixture.

    Returns:
        ``{step: bits per character}``.
    """
    vocab_size = _check_vocab_size(vocab_size)
    ids = _check_history(ids, "ids", vocab_size)
    steps = [check_positive_number(lr, "learning_rates") for lr in learning_rates]
    if not steps:
        raise ValueError("learning_rates: expected at least one step, got none")
    network = _replayed(lstm_log_probs, len(ids), vocab_size)
    pieces = MemoryPieces(
        train_ids, vocab_size, network=network, max_order=max_order, min_match=min_match
    )
    mixers = [GeometricMixer(len(pieces.names), len(MATCH_BUCKETS), lr) for lr in steps]
    nats = np.zeros(len(mixers))
    for x in ids.tolist():
        log_probs, bucket = pieces.log_probs(), pieces.bucket
        for k, mixer in enumerate(mixers):
            probs = mixer.mix(log_probs, bucket)
            nats[k] -= math.log(probs[x])
            mixer.update(log_probs, probs, x, bucket)
        pieces.update(x)
    bpc = nats / len(ids) / math.log(2)
    return {lr: float(bits) for lr, bits in zip(steps, bpc, strict=True)}


def charlm_log_probs(model: CharLM, context_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``(N, V)`` log-probabilities of a ``CharLM`` for each of ``ids``, in one forward pass.

    The model reads the last 256 characters of ``context_ids`` (the end of the training
    text), then ``ids`` as one stream with its state carried; row ``i`` is its distribution
    for ``ids[i]``, computed from the characters before it only. Runs on the device of the
    model's parameters, with dropout off. PyTorch is imported here, so the rest of this
    module needs NumPy only.
    """
    import torch

    vocab_size = int(model.vocab_size)
    context = _check_history(context_ids, "context_ids", vocab_size)[-NETWORK_CONTEXT:]
    ids = _check_history(ids, "ids", vocab_size)
    device = next(model.parameters()).device
    stream = torch.as_tensor(np.concatenate([context, ids[:-1]]), dtype=torch.long, device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits, _ = model(stream[None])
    finally:
        model.train(was_training)
    log_probs = torch.log_softmax(logits[0, len(context) - 1 :].double(), dim=-1)
    return log_probs.cpu().numpy()


def repeat_mask(train_ids: np.ndarray, ids: np.ndarray, length: int = 32) -> np.ndarray:
    """``(N,)`` bool: which of ``ids`` lie inside a run of ``length`` ids found in ``train_ids``.

    A held-out character is marked when some window of ``length`` consecutive held-out ids
    that contains it occurs verbatim in ``train_ids`` (the analysis of section 4.6).
    """
    train = check_ids(train_ids, "train_ids", 256).astype(np.uint8).tobytes()
    held = check_ids(ids, "ids", 256).astype(np.uint8).tobytes()
    n = check_positive_int(length, "length")
    seen = {train[i : i + n] for i in range(len(train) - n + 1)}
    covered = np.zeros(len(held), dtype=bool)
    for i in range(len(held) - n + 1):
        if held[i : i + n] in seen:
            covered[i : i + n] = True
    return covered
