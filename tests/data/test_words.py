"""companion.data.words: the tokeniser is reversible, the vocabulary cuts and counts, Zipf fits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion.data.words import (
    SpellingModel,
    WordVocab,
    rank_frequency,
    tokenise,
    zipf_fit,
)


def test_tokenise_keeps_the_space_before_a_word_and_splits_punctuation():
    assert tokenise("Return the value.") == ["Return", " the", " value", "."]
    assert tokenise("x  = f(2)\n\tok") == ["x", "  ", "=", " f", "(", "2", ")", "\n\t", "ok"]


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_tokens_join_back_into_the_text(text):
    tokens = tokenise(text)
    assert "".join(tokens) == text
    assert all(tokens)


def test_vocab_orders_by_count_cuts_rare_tokens_and_maps_them_to_unk():
    tokens = ["a", " b", "a", " c", "a", " b"]
    vocab = WordVocab(tokens, min_count=2)
    assert vocab.tokens == ("<unk>", "a", " b")
    assert vocab.size == len(vocab) == 3
    assert " c" not in vocab and "<unk>" not in vocab and "a" in vocab
    np.testing.assert_array_equal(vocab.encode(["a", " c", " b", "zzz"]), [1, 0, 2, 0])
    assert vocab.encode([]).dtype == np.int64
    assert vocab.decode(np.array([2, 0, 1])) == [" b", "<unk>", "a"]
    assert vocab.decode([]) == []
    assert vocab.coverage(["a", " c", " b", "x"]) == 0.5
    assert repr(vocab) == "WordVocab(size=3, min_count=2, unk='<unk>')"


def test_vocab_breaks_ties_alphabetically():
    assert WordVocab(["b", "a", "c", "a", "b"]).tokens == ("<unk>", "a", "b", "c")


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"tokens": "a b"}, TypeError, "tokens: expected a sequence of str tokens, got str"),
        ({"tokens": ["a", ""]}, TypeError, "expected non-empty str tokens, got '' at index 1"),
        ({"tokens": ["a"], "min_count": 0}, ValueError, "min_count: expected a positive int"),
        ({"tokens": ["<unk>"]}, ValueError, "unk: '<unk>' occurs as a token"),
    ],
)
def test_vocab_rejects_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        WordVocab(**kwargs)


def test_decode_rejects_ids_out_of_range_and_wrong_shapes():
    vocab = WordVocab(["a"])
    with pytest.raises(ValueError, match=r"ids: expected ids in \[0, 2\), got values from 0 to 2"):
        vocab.decode([0, 2])
    with pytest.raises(ValueError, match=r"ids: expected shape \(N,\)"):
        vocab.decode(np.zeros((1, 1), dtype=int))
    with pytest.raises(TypeError, match="ids: expected integers"):
        vocab.decode([0.5])
    with pytest.raises(ValueError, match="tokens: expected at least one token"):
        vocab.coverage([])


def test_tokenise_rejects_a_non_string():
    with pytest.raises(TypeError, match="text: expected a str, got bytes"):
        tokenise(b"abc")


def test_rank_frequency_and_an_exact_zipf_law():
    assert rank_frequency(["a", "b", "a", "c", "a", "b"]).tolist() == [3, 2, 1]
    counts = np.array([int(round(6000 / r)) for r in range(1, 60)])
    s, c = zipf_fit(counts)
    assert s == pytest.approx(1.0, abs=0.01) and c == pytest.approx(6000, rel=0.02)
    s, c = zipf_fit(np.array([1000 / r**2 for r in range(1, 30)]), 2, 20)
    assert (s, c) == pytest.approx((2.0, 1000.0))


@pytest.mark.parametrize(
    "counts, first, last, message",
    [
        ([5], 1, None, "at least 2 counts"),
        ([5, 0], 1, None, "positive counts in decreasing order"),
        ([1, 5], 1, None, "positive counts in decreasing order"),
        ([5, 4, 3], 2, 2, r"first, last: expected 1 <= first < last <= 3, got 2, 2"),
    ],
)
def test_zipf_fit_rejects_bad_input(counts, first, last, message):
    with pytest.raises(ValueError, match=message):
        zipf_fit(np.array(counts), first, last)


def test_spelling_probabilities_of_the_characters_and_the_end_mark_sum_to_one():
    model = SpellingModel("ab a", alphabet="z")
    p_a = 2 ** -(model.bits("aa") - model.bits("a"))  # one more "a" costs -log2 p(a)
    p_end = 2 ** -model.bits("a") / p_a
    p_chars = [2 ** -model.bits(ch) / p_end for ch in "ab z"]
    assert sum(p_chars) + p_end == pytest.approx(1.0)
    # add-one smoothing: 4 characters + 2 end marks ("ab", " a") + 4 symbols + the end mark
    assert p_chars[3] == pytest.approx(1 / 11) and p_chars[0] == pytest.approx(3 / 11)
    assert p_end == pytest.approx(3 / 11)


def test_spelling_cost_is_a_sum_over_the_characters():
    model = SpellingModel("hello world")
    assert model.bits("hell") - model.bits("hel") == pytest.approx(
        model.bits("ll") - model.bits("l")
    )
    assert model.bits("hello") > model.bits("hell") > 0


def test_spelling_model_rejects_unknown_characters_and_bad_input():
    with pytest.raises(ValueError, match=r"character\(s\) \['q'\] are in neither"):
        SpellingModel("abc").bits("aq")
    with pytest.raises(TypeError, match="token: expected a non-empty str"):
        SpellingModel("abc").bits("")
    with pytest.raises(ValueError, match="text: expected a non-empty str"):
        SpellingModel("")
    with pytest.raises(TypeError, match="alphabet: expected a str"):
        SpellingModel("abc", alphabet=None)
