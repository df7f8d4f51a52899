"""An encoder-decoder with additive (Bahdanau) attention, for character sequences.

The encoder reads the source ``(B, S)`` into one state per source position; the decoder
writes the target one token at a time, and before each token it *attends*: it scores every
source state against its own state, turns the scores into weights with a softmax over the
real (unpadded) source positions, and reads their weighted mean, the *context*. Training
uses teacher forcing (:meth:`Seq2Seq.forward` feeds the true previous token); inference
feeds back the model's own choice, greedily (:meth:`Seq2Seq.greedy_decode`) or keeping the
``k`` best partial outputs (:meth:`Seq2Seq.beam_search`, which can also return the
:class:`BeamTree` of every partial output it scored). :func:`teacher_forcing_loss` and
:func:`exact_match` are the loss and the metric to train and validate it with
:func:`companion.train.fit`.

Shapes: ``B`` batch, ``S`` source length, ``T`` target length, ``E`` embedding size, ``H``
hidden units, ``K`` encoder state size (``2H`` if bidirectional), ``A`` attention size, ``V``
vocabulary size. Token id ``pad_id`` (0) pads, ``sos_id`` (1) starts and ``eos_id`` (2) ends
a target sequence, as in :class:`companion.data.dates.Seq2SeqVocab`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from companion._validate import check_bool, check_int, check_positive_int, check_probability
from companion.nn.backend import recurrent_layer


class AdditiveAttention(nn.Module):
    """Additive attention: ``score(s, h_j) = tanh(s W_s + h_j W_h + b) v^T``.

    Row vectors throughout: ``W_s`` (H, A) is ``query.weight.T``, ``W_h`` (K, A) is
    ``key.weight.T``, ``b`` (A,) is ``key.bias`` and the row ``v`` (1, A) is ``v.weight``.

    Args:
        query_size: size of the decoder state ``s`` (``H``).
        key_size: size of each encoder state ``h_j`` (``K``).
        attention_size: ``A``, the size of the hidden layer that compares them.
    """

    def __init__(self, query_size: int, key_size: int, attention_size: int) -> None:
        super().__init__()
        self.query = nn.Linear(query_size, attention_size, bias=False)  # W_s
        self.key = nn.Linear(key_size, attention_size)  # W_h and b
        self.v = nn.Linear(attention_size, 1, bias=False)

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        """``keys`` (B, S, K) -> (B, S, A): ``h_j W_h + b``, computed once per source."""
        return self.key(keys)

    def forward(
        self,
        query: torch.Tensor,
        keys: torch.Tensor,
        projected_keys: torch.Tensor,
        mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend from ``query`` (B, H) over ``keys`` (B, S, K).

        Args:
            projected_keys: (B, S, A), from :meth:`project_keys`.
            mask: (B, S) bool, ``True`` at real source positions, ``False`` at padding; every
                row needs at least one ``True``.

        Returns:
            ``(context, weights)``: ``context`` (B, K), the weighted mean of the keys;
            ``weights`` (B, S), non-negative, summing to 1 over each row, exactly 0 where
            ``mask`` is ``False``.

        Taught in the book's section 5.11, book/05-code/11-translation.md.
        """
        energy = torch.tanh(projected_keys + self.query(query).unsqueeze(1))  # (B, S, A)
        scores = self.v(energy).squeeze(-1).masked_fill(~mask, float("-inf"))  # (B, S)
        weights = torch.softmax(scores, dim=-1)
        context = torch.bmm(weights.unsqueeze(1).to(keys.dtype), keys).squeeze(1)
        return context, weights


class Memory(NamedTuple):
    """What the decoder needs from the encoder, for one batch of sources."""

    keys: torch.Tensor  # (B, S, K) encoder states, zero at padding
    projected_keys: torch.Tensor  # (B, S, A)
    mask: torch.Tensor  # (B, S) bool, True at real positions

    def repeat(self, k: int) -> Memory:
        """Each source repeated ``k`` times in a row, for ``B * k`` beams."""
        return Memory(*(t.repeat_interleave(k, dim=0) for t in self))


class BeamNode(NamedTuple):
    """One node of a :class:`BeamTree`: a partial output, ended by ``token``.

    ``score`` is the model's log-probability of the partial output, the sum of the
    log-probabilities of its tokens; ``parent`` is the index of the node it extends (``-1``
    for the root, the ``<sos>`` before the first token); ``kept`` says whether the search
    kept it among the ``beam_size`` best at its ``step``.
    """

    step: int
    token: int
    score: float
    parent: int
    kept: bool


@dataclass(frozen=True)
class BeamTree:
    """What one beam search scored: the root, and at every step, for each live beam, its
    ``beam_size`` best one-token extensions, of which the kept ones are marked.

    The ``beam_size`` partial outputs kept out of all the candidates of a step are always
    among these (a candidate outside its beam's ``beam_size`` best has that many better ones
    above it), so the tree holds every choice the search made. ``best`` is the index of the
    last node of the output the search returned. A beam that has produced ``<eos>`` is not
    extended further.
    """

    nodes: tuple[BeamNode, ...]
    best: int

    def path(self, index: int) -> list[int]:
        """The indices of the nodes from the root to node ``index``, both included."""
        check_int(index, "index")
        if not 0 <= index < len(self.nodes):
            raise ValueError(f"index: expected a node index in [0, {len(self.nodes)}), got {index}")
        path = [index]
        while self.nodes[path[-1]].parent >= 0:
            path.append(self.nodes[path[-1]].parent)
        return path[::-1]


class _TreeRecorder:
    """Builds one :class:`BeamTree` per source while :meth:`Seq2Seq.beam_search` runs."""

    def __init__(self, batch_size: int, beam_size: int, sos_id: int) -> None:
        # per source, its nodes so far, the root first
        self.nodes = [[BeamNode(0, sos_id, 0.0, -1, True)] for _ in range(batch_size)]
        # the node each beam ends at; -1 for a beam that is not live yet
        self.beam_node = [[0] + [-1] * (beam_size - 1) for _ in range(batch_size)]

    def record(
        self,
        step: int,
        candidates: torch.Tensor,
        finished: torch.Tensor,
        parent: torch.Tensor,
        token: torch.Tensor,
    ) -> None:
        """Add each live, unfinished beam's best extensions and mark the ones kept.

        ``candidates`` (B, k, V) are the scores of every extension; ``finished`` (B, k) says
        which beams had ended before this step; ``parent`` and ``token`` (B, k) are the
        choices of the step.
        """
        k = candidates.shape[1]
        top_scores, top_tokens = (t.tolist() for t in candidates.topk(k, dim=-1))
        ended, parents, tokens = finished.tolist(), parent.tolist(), token.tolist()
        for b, nodes in enumerate(self.nodes):
            if all(ended[b]):
                continue  # every beam has ended: nothing new to record
            beams, children = self.beam_node[b], {}
            for i, node in enumerate(beams):
                if node < 0 or ended[b][i]:
                    continue
                for score, tok in zip(top_scores[b][i], top_tokens[b][i], strict=True):
                    children[i, tok] = len(nodes)
                    nodes.append(BeamNode(step, tok, score, node, False))
            new_beams = []
            for i, tok in zip(parents[b], tokens[b], strict=True):
                node = beams[i]
                if node >= 0 and not ended[b][i]:
                    if (i, tok) not in children:  # a tie that the two top-k broke differently
                        children[i, tok] = len(nodes)
                        nodes.append(BeamNode(step, tok, candidates[b, i, tok].item(), node, False))
                    node = children[i, tok]
                    nodes[node] = nodes[node]._replace(kept=True)
                new_beams.append(node)  # a finished beam carries on at its last node
            self.beam_node[b] = new_beams

    def trees(self) -> list[BeamTree]:
        """The trees; beam 0, the best, ends each returned output."""
        return [
            BeamTree(tuple(nodes), beams[0])
            for nodes, beams in zip(self.nodes, self.beam_node, strict=True)
        ]


class Seq2Seq(nn.Module):
    """Encoder (embedding + GRU) and attention decoder (embedding + GRU + additive attention).

    Decoder step ``t``, from its previous state ``s_{t-1}`` and previous token ``y_{t-1}``:
    attention weights ``a_t`` over the encoder states and their mean ``c_t``; the new state
    ``s_t = GRU([emb(y_{t-1}), c_t], s_{t-1})``; logits ``[s_t, c_t, emb(y_{t-1})] W_o + b_o``.
    The first state is ``s_0 = tanh(h_final W_init + b_init)``, from the encoder's final
    state(s).

    Args:
        src_vocab_size, tgt_vocab_size: ``V_src`` and ``V_tgt``, the special tokens included.
        embedding_dim: ``E``, for source and target tokens.
        hidden_size: ``H``, hidden units of the encoder GRU (per direction) and the decoder GRU.
        attention_size: ``A``; ``None`` means ``H``.
        bidirectional: read the source in both directions (then ``K = 2H``).
        dropout: dropout on the embeddings and before the output layer.
        pad_id, sos_id, eos_id: the ids of ``<pad>``, ``<sos>`` and ``<eos>``.
        backend: ``"torch"`` for ``torch.nn.GRU``, ``"companion"`` for ``companion.nn.GRU``.

    Taught in the book's section 5.11, book/05-code/11-translation.md.
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        embedding_dim: int = 32,
        hidden_size: int = 64,
        attention_size: int | None = None,
        *,
        bidirectional: bool = True,
        dropout: float = 0.0,
        pad_id: int = 0,
        sos_id: int = 1,
        eos_id: int = 2,
        backend: str = "torch",
    ) -> None:
        super().__init__()
        attention_size = hidden_size if attention_size is None else attention_size
        for name, value in (
            ("src_vocab_size", src_vocab_size),
            ("tgt_vocab_size", tgt_vocab_size),
            ("embedding_dim", embedding_dim),
            ("hidden_size", hidden_size),
            ("attention_size", attention_size),
        ):
            check_positive_int(value, name)
        check_probability(dropout, "dropout", allow_one=False)
        for name, value in (("pad_id", pad_id), ("sos_id", sos_id), ("eos_id", eos_id)):
            if not 0 <= value < tgt_vocab_size:
                raise ValueError(f"{name}: expected an id in [0, {tgt_vocab_size}), got {value}")
        gru = recurrent_layer("gru", backend)
        self.pad_id, self.sos_id, self.eos_id = pad_id, sos_id, eos_id
        self.bidirectional = bidirectional
        directions = 2 if bidirectional else 1
        key_size = directions * hidden_size

        self.src_embedding = nn.Embedding(src_vocab_size, embedding_dim, padding_idx=pad_id)
        self.encoder = gru(
            embedding_dim, hidden_size, batch_first=True, bidirectional=bidirectional
        )
        self.init_state = nn.Linear(key_size, hidden_size)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, embedding_dim, padding_idx=pad_id)
        self.attention = AdditiveAttention(hidden_size, key_size, attention_size)
        self.decoder = gru(embedding_dim + key_size, hidden_size, batch_first=True)
        self.output = nn.Linear(hidden_size + key_size + embedding_dim, tgt_vocab_size)
        self.dropout = nn.Dropout(dropout)

    # --- checks ---------------------------------------------------------------------------

    @staticmethod
    def _check_source(src: torch.Tensor, src_lengths: torch.Tensor) -> None:
        if src.ndim != 2 or src.dtype != torch.long:
            raise ValueError(
                f"src: expected a (B, S) int64 tensor, got shape {tuple(src.shape)}, {src.dtype}"
            )
        B, S = src.shape
        if src_lengths.is_floating_point() or src_lengths.dtype == torch.bool:
            raise ValueError(
                f"src_lengths: expected integer lengths, got dtype {src_lengths.dtype}"
            )
        if src_lengths.shape != (B,):
            raise ValueError(
                f"src_lengths: expected shape (B,) = ({B},), got {tuple(src_lengths.shape)}"
            )
        if src_lengths.numel() and int(src_lengths.min()) < 1:
            raise ValueError(
                f"src_lengths: every source needs at least one token, got a length of "
                f"{int(src_lengths.min())}"
            )
        if src_lengths.numel() and int(src_lengths.max()) > S:
            raise ValueError(
                f"src_lengths: a length of {int(src_lengths.max())} is longer than the padded "
                f"source, S = {S}"
            )

    # --- the two halves -------------------------------------------------------------------

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> tuple[Memory, torch.Tensor]:
        """Read the sources.

        Args:
            src: (B, S) int64 token ids, padded with ``pad_id`` after each source.
            src_lengths: (B,) the number of real tokens of each source, ``1 .. S``.

        Returns:
            ``(memory, state)``: the :class:`Memory` the decoder attends over, and the
            decoder's first state ``s_0`` (B, H).
        """
        self._check_source(src, src_lengths)
        S = src.shape[1]
        mask = torch.arange(S, device=src.device) < src_lengths.to(src.device).unsqueeze(1)
        embedded = self.dropout(self.src_embedding(src))  # (B, S, E)
        # packing runs each direction over the real tokens only, so the backward direction
        # starts at the last real token, and h_n holds each direction's state at the end
        packed = pack_padded_sequence(
            embedded, src_lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        packed_states, h_n = self.encoder(packed)
        keys, _ = pad_packed_sequence(packed_states, batch_first=True, total_length=S)
        final = torch.cat(list(h_n), dim=-1)  # (B, K)
        memory = Memory(keys, self.attention.project_keys(keys), mask)
        return memory, torch.tanh(self.init_state(final))

    def _advance(
        self, embedded: torch.Tensor, state: torch.Tensor, memory: Memory
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Attend with ``s_{t-1}``, then update it: ``(state, context, weights)``."""
        context, weights = self.attention(state, memory.keys, memory.projected_keys, memory.mask)
        context = context.to(embedded.dtype)
        rnn_input = torch.cat([embedded, context], dim=-1).unsqueeze(1)  # (B, 1, E + K)
        _, h = self.decoder(rnn_input, state.unsqueeze(0).contiguous())
        return h.squeeze(0), context, weights

    def _logits(
        self, state: torch.Tensor, context: torch.Tensor, embedded: torch.Tensor
    ) -> torch.Tensor:
        """``[s_t, c_t, emb(y_{t-1})] W_o + b_o``, for one step or (stacked) for all."""
        features = torch.cat([state, context.to(state.dtype), embedded.to(state.dtype)], dim=-1)
        return self.output(self.dropout(features))

    def step(
        self, token: torch.Tensor, state: torch.Tensor, memory: Memory
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One decoder step.

        Args:
            token: (B,) the previous target token ``y_{t-1}``.
            state: (B, H) the previous decoder state ``s_{t-1}``.
            memory: from :meth:`encode`.

        Returns:
            ``(logits, state, weights)``: (B, V_tgt) logits for ``y_t``, the new state
            ``s_t`` (B, H), and the attention weights ``a_t`` (B, S).
        """
        embedded = self.dropout(self.tgt_embedding(token))  # (B, E)
        state, context, weights = self._advance(embedded, state, memory)
        return self._logits(state, context, embedded), state, weights

    # --- training and inference -----------------------------------------------------------

    def forward(
        self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher forcing: the decoder reads the true previous tokens ``tgt_in``.

        The same computation as calling :meth:`step` for ``t = 1 .. T``; the output layer is
        applied once to all steps at the end, which is faster.

        Args:
            src: (B, S) source ids; src_lengths: (B,) their lengths.
            tgt_in: (B, T) decoder inputs, ``<sos> y_1 ... y_{T-1}`` (padding after the end
                is harmless: the loss ignores those positions).

        Returns:
            ``(logits, attention)``: (B, T, V_tgt) logits for ``y_1 ... y_T`` and the
            attention weights (B, T, S) of every step.
        """
        if tgt_in.ndim != 2 or tgt_in.shape[0] != src.shape[0]:
            raise ValueError(
                f"tgt_in: expected shape (B, T) with B = {src.shape[0]}, got {tuple(tgt_in.shape)}"
            )
        memory, state = self.encode(src, src_lengths)
        embedded = self.dropout(self.tgt_embedding(tgt_in))  # (B, T, E)
        states, contexts, weights = [], [], []
        for t in range(tgt_in.shape[1]):
            state, context, weights_t = self._advance(embedded[:, t], state, memory)
            states.append(state)
            contexts.append(context)
            weights.append(weights_t)
        logits = self._logits(torch.stack(states, 1), torch.stack(contexts, 1), embedded)
        return logits, torch.stack(weights, dim=1)

    @torch.no_grad()
    def greedy_decode(
        self, src: torch.Tensor, src_lengths: torch.Tensor, *, max_len: int = 64
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Feed back the most likely token at every step, until ``<eos>`` or ``max_len``.

        Returns:
            ``(tokens, attention)``: ``tokens`` (B, L) int64, each row ending with
            ``eos_id`` (if produced within ``max_len``) followed by ``pad_id``; ``attention``
            (B, L, S), zero after a row's ``<eos>``. ``L <= max_len`` is the longest output.
        """
        check_positive_int(max_len, "max_len")
        memory, state = self.encode(src, src_lengths)
        token = torch.full((src.shape[0],), self.sos_id, dtype=torch.long, device=src.device)
        finished = torch.zeros_like(token, dtype=torch.bool)
        tokens, attention = [], []
        for _ in range(max_len):
            logits, state, weights = self.step(token, state, memory)
            token = logits.argmax(dim=-1).masked_fill(finished, self.pad_id)
            tokens.append(token)
            attention.append(weights.float().masked_fill(finished.unsqueeze(-1), 0.0))
            finished = finished | (token == self.eos_id)
            if bool(finished.all()):
                break
        return torch.stack(tokens, dim=1), torch.stack(attention, dim=1)

    @torch.no_grad()
    def beam_search(
        self,
        src: torch.Tensor,
        src_lengths: torch.Tensor,
        *,
        beam_size: int = 4,
        max_len: int = 64,
        return_tree: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor] | tuple[torch.Tensor, torch.Tensor, list[BeamTree]]:
        """Keep the ``beam_size`` most probable partial outputs at every step; return the best.

        A partial output is scored by the sum of the log-probabilities of its tokens. At each
        step every live beam is extended by every token, and the ``beam_size`` best of these
        candidates survive; a beam that has produced ``<eos>`` is finished and carries on
        unchanged (with ``<pad>``, at no cost). The search stops when every beam of every
        source has finished, or after ``max_len`` steps. With ``beam_size=1`` it makes the
        same choices as :meth:`greedy_decode`.

        Returns:
            ``(tokens, attention)`` of the best beam of each source, as in
            :meth:`greedy_decode`; with ``return_tree=True``, ``(tokens, attention, trees)``
            with one :class:`BeamTree` per source, the partial outputs the search scored.
        """
        check_bool(return_tree, "return_tree")
        check_positive_int(beam_size, "beam_size")
        check_positive_int(max_len, "max_len")
        V = self.output.out_features
        if beam_size > V:
            raise ValueError(f"beam_size: at most the vocabulary size {V}, got {beam_size}")
        memory, state = self.encode(src, src_lengths)
        B, S, k = src.shape[0], src.shape[1], beam_size
        memory, state = memory.repeat(k), state.repeat_interleave(k, dim=0)  # (B * k, ...)
        device = src.device
        # only the first beam is live at the start, so the k beams do not begin as copies
        scores = torch.full((B, k), float("-inf"), device=device)
        scores[:, 0] = 0.0
        finished = torch.zeros(B, k, dtype=torch.bool, device=device)
        token = torch.full((B * k,), self.sos_id, dtype=torch.long, device=device)
        tokens = torch.zeros(B, k, 0, dtype=torch.long, device=device)
        attention = torch.zeros(B, k, 0, S, device=device)
        # a finished beam may only continue with <pad>, at no cost
        pad_only = torch.full((V,), float("-inf"), device=device)
        pad_only[self.pad_id] = 0.0
        recorder = _TreeRecorder(B, k, self.sos_id) if return_tree else None

        for step in range(1, max_len + 1):
            logits, new_state, weights = self.step(token, state, memory)
            logp = torch.log_softmax(logits.float(), dim=-1).view(B, k, V)
            logp = torch.where(finished.unsqueeze(-1), pad_only, logp)
            candidates = scores.unsqueeze(-1) + logp  # (B, k, V)
            scores, best = candidates.view(B, k * V).topk(k, dim=-1)
            parent, token = best // V, best % V  # (B, k) each
            if recorder is not None:
                recorder.record(step, candidates, finished, parent, token)
            finished = finished.gather(1, parent)
            weights = (
                weights.float().view(B, k, S).gather(1, parent.unsqueeze(-1).expand(-1, -1, S))
            )
            weights = weights.masked_fill(finished.unsqueeze(-1), 0.0)  # no attention after <eos>
            tokens = torch.cat(
                [tokens.gather(1, parent.unsqueeze(-1).expand_as(tokens)), token.unsqueeze(-1)],
                dim=-1,
            )
            attention = torch.cat(
                [
                    attention.gather(1, parent.view(B, k, 1, 1).expand_as(attention)),
                    weights.unsqueeze(2),
                ],
                dim=2,
            )
            finished = finished | (token == self.eos_id)
            rows = (parent + torch.arange(B, device=device).unsqueeze(1) * k).view(-1)
            state, token = new_state[rows], token.view(-1)
            if bool(finished.all()):
                break
        if recorder is not None:
            return tokens[:, 0], attention[:, 0], recorder.trees()
        return tokens[:, 0], attention[:, 0]  # topk sorts: beam 0 is the best


# --- training and validation with companion.train.fit -------------------------------------


def _check_batch(batch: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    if not isinstance(batch, Sequence) or len(batch) != 4:
        raise ValueError(
            "batch: expected (src, src_lengths, tgt_in, tgt_out), as "
            "companion.data.dates.encode_pairs makes them, got "
            f"{type(batch).__name__} of length {len(batch) if isinstance(batch, Sequence) else '?'}"
        )
    return tuple(batch)


def teacher_forcing_loss(model: Seq2Seq, batch: Sequence[torch.Tensor]) -> torch.Tensor:
    """Cross-entropy per target token under teacher forcing, padding left out.

    Args:
        model: a :class:`Seq2Seq`.
        batch: ``(src, src_lengths, tgt_in, tgt_out)``: (B, S), (B,), (B, T), (B, T), the
            decoder input ``<sos> y_1 ... y_m`` and the expected output ``y_1 ... y_m <eos>``,
            both padded with ``model.pad_id``.

    Returns:
        The mean over the real target tokens (a scalar): a ``loss`` for ``fit``.

    Taught in the book's section 5.11, book/05-code/11-translation.md.
    """
    src, src_lengths, tgt_in, tgt_out = _check_batch(batch)
    logits, _ = model(src, src_lengths, tgt_in)  # (B, T, V)
    return F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=model.pad_id)


@torch.no_grad()
def exact_match(
    model: Seq2Seq, data: Iterable[Sequence[torch.Tensor]], device: torch.device | str
) -> float:
    """The share of sources whose greedy output equals the whole target, ``<eos>`` included.

    Args:
        model: a :class:`Seq2Seq`.
        data: minibatches ``(src, src_lengths, tgt_in, tgt_out)``, as for
            :func:`teacher_forcing_loss`.
        device: where to decode (``fit`` passes its device): a metric for ``fit``.
    """
    right = total = 0
    for batch in data:
        src, src_lengths, _, tgt_out = (t.to(device) for t in _check_batch(batch))
        tokens, _ = model.greedy_decode(src, src_lengths, max_len=tgt_out.shape[1])
        tokens = F.pad(tokens, (0, tgt_out.shape[1] - tokens.shape[1]), value=model.pad_id)
        right += int((tokens == tgt_out).all(dim=1).sum())
        total += len(src)
    if total == 0:
        raise ValueError("data: expected at least one minibatch, got none")
    return right / total
