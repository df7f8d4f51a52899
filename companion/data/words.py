"""Words instead of characters: a reversible tokeniser, a vocabulary with a frequency cut-off.

A *token* here is a word, a number, one punctuation mark or a run of white space; a word,
number or punctuation mark carries the single space in front of it, as in the tokenisers of
large language models, so that the tokens of a text join back into exactly that text::

    tokens = tokenise("Return the value.")   # ['Return', ' the', ' value', '.']
    vocab = WordVocab(tokens, min_count=1)
    ids = vocab.encode(tokens)                # (N,) int64, 0 is <unk>

Words seen fewer than ``min_count`` times in the training text share the id of ``<unk>``.
To compare a word model with a character model per character, an unknown word must still
be paid for: :class:`SpellingModel` gives the bits needed to spell it out character by
character.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from companion._validate import check_positive_int
from companion.data.text import id_list

_TOKEN = re.compile(r" ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]|\s+")


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    return text


def _check_tokens(tokens: object, name: str = "tokens") -> list[str]:
    if isinstance(tokens, str) or not isinstance(tokens, Iterable):
        raise TypeError(f"{name}: expected a sequence of str tokens, got {type(tokens).__name__}")
    tokens = list(tokens)
    for i, token in enumerate(tokens):
        if not isinstance(token, str) or not token:
            raise TypeError(f"{name}: expected non-empty str tokens, got {token!r} at index {i}")
    return tokens


def tokenise(text: str) -> list[str]:
    """The tokens of ``text``: ``"".join(tokenise(text)) == text`` always holds.

    Letters ``[A-Za-z]+`` and digits ``[0-9]+`` form words and numbers; every other visible
    character is a token of its own; each of these takes one preceding space with it; any
    other white space (newlines, indentation, a second space) is a token of its own.
    """
    return _TOKEN.findall(_check_text(text))


class WordVocab:
    """The tokens of a training text seen at least ``min_count`` times, plus ``<unk>``.

    Ids are given by decreasing count (ties in alphabetical order), after ``<unk>``, which
    is id 0; every token not kept is encoded as 0.

    Args:
        tokens: the training tokens, e.g. ``tokenise(train_text)``.
        min_count: the frequency cut-off, an int >= 1.
        unk: the name of the unknown-token entry; it must not be a token itself.
    """

    def __init__(self, tokens: Sequence[str], *, min_count: int = 1, unk: str = "<unk>") -> None:
        tokens = _check_tokens(tokens)
        check_positive_int(min_count, "min_count")
        self.counts: Counter[str] = Counter(tokens)
        if unk in self.counts:
            raise ValueError(f"unk: {unk!r} occurs as a token of the text; choose another name")
        kept = sorted(
            (token for token, count in self.counts.items() if count >= min_count),
            key=lambda token: (-self.counts[token], token),
        )
        self.unk = unk
        self.min_count = min_count
        self.tokens: tuple[str, ...] = (unk, *kept)
        self._ids = {token: i for i, token in enumerate(self.tokens)}

    @property
    def size(self) -> int:
        """``V``: the kept tokens and ``<unk>``."""
        return len(self.tokens)

    def __len__(self) -> int:
        return self.size

    def __contains__(self, token: object) -> bool:
        return token in self._ids and token != self.unk

    def __repr__(self) -> str:
        return f"WordVocab(size={self.size}, min_count={self.min_count}, unk={self.unk!r})"

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        """``(N,)`` int64 ids of ``N`` tokens; 0 for every token not in the vocabulary.

        Taught in the book's section 5.6, book/05-code/06-words.md.
        """
        tokens = _check_tokens(tokens)
        return np.fromiter((self._ids.get(t, 0) for t in tokens), dtype=np.int64, count=len(tokens))

    def decode(self, ids: np.ndarray | Sequence[int]) -> list[str]:
        """The tokens of a 1-D sequence of ids in ``[0, size)`` (``<unk>`` for id 0)."""
        return [self.tokens[i] for i in id_list(ids, self.size)]

    def coverage(self, tokens: Sequence[str]) -> float:
        """The share of ``tokens`` that are in the vocabulary (not ``<unk>``), in [0, 1]."""
        tokens = _check_tokens(tokens)
        if not tokens:
            raise ValueError("tokens: expected at least one token, got none")
        return sum(t in self for t in tokens) / len(tokens)


def rank_frequency(tokens: Sequence[str]) -> np.ndarray:
    """``(K,)`` counts of the ``K`` distinct tokens, largest first: entry ``r - 1`` is rank r."""
    tokens = _check_tokens(tokens)
    if not tokens:
        raise ValueError("tokens: expected at least one token, got none")
    return np.array(sorted(Counter(tokens).values(), reverse=True), dtype=np.int64)


def zipf_fit(counts: np.ndarray, first: int = 1, last: int | None = None) -> tuple[float, float]:
    """``(s, C)`` of the least-squares fit ``count ~ C / rank**s`` over ranks ``first..last``.

    The fit is a straight line through ``(log rank, log count)``.

    Args:
        counts: ``(K,)`` counts in decreasing order, as :func:`rank_frequency` returns.
        first, last: the ranks fitted (1-based, inclusive; ``last=None``: ``K``).
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size < 2:
        raise ValueError(f"counts: expected a 1-D array of at least 2 counts, got {counts.shape}")
    if np.any(counts <= 0) or np.any(np.diff(counts) > 0):
        raise ValueError("counts: expected positive counts in decreasing order")
    last = counts.size if last is None else last
    if not 1 <= first < last <= counts.size:
        raise ValueError(
            f"first, last: expected 1 <= first < last <= {counts.size}, got {first}, {last}"
        )
    ranks = np.arange(first, last + 1, dtype=np.float64)
    slope, intercept = np.polyfit(np.log(ranks), np.log(counts[first - 1 : last]), 1)
    return float(-slope), float(np.exp(intercept))


class SpellingModel:
    """Bits to spell a token character by character: a unigram model with an end mark.

    The probability of a string ``c_1 ... c_n`` is ``p(c_1) ... p(c_n) p(end)``, with
    ``p`` estimated from ``text``: add-one smoothing over the characters of ``text`` and of
    ``alphabet`` (characters that may occur although ``text`` lacks them) and over the end
    mark, which is counted once per token of ``text``. These probabilities sum to at most 1
    over all strings, so the bits are an honest code length: a word model that gives
    ``<unk>`` probability ``q`` can spell an unknown token ``w`` in ``-log2 q + bits(w)``
    bits.
    """

    def __init__(self, text: str, alphabet: str = "") -> None:
        text = _check_text(text)
        if not text:
            raise ValueError("text: expected a non-empty str, got ''")
        if not isinstance(alphabet, str):
            raise TypeError(f"alphabet: expected a str, got {type(alphabet).__name__}")
        counts = Counter(text)
        for ch in set(alphabet) - counts.keys():
            counts[ch] = 0
        ends = len(tokenise(text))
        total = len(text) + ends + len(counts) + 1
        self._bits = {ch: -math.log2((n + 1) / total) for ch, n in counts.items()}
        self._end_bits = -math.log2((ends + 1) / total)

    def bits(self, token: str) -> float:
        """``-log2 p(token)`` under the model, in bits."""
        if not isinstance(token, str) or not token:
            raise TypeError(f"token: expected a non-empty str, got {token!r}")
        unknown = sorted(set(token) - self._bits.keys())
        if unknown:
            raise ValueError(
                f"token: character(s) {unknown} are in neither the text nor the alphabet "
                "of the model"
            )
        return sum(self._bits[ch] for ch in token) + self._end_bits
