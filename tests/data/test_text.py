"""The pydoc corpus, the train/validation split and the character vocabulary."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys

import numpy as np
import pytest

from companion.data.text import CharVocab, load_pydoc_corpus, to_ascii, train_val_split


@pytest.fixture(scope="module")
def corpus():
    return load_pydoc_corpus()


def test_corpus_is_large_ascii_prose(corpus):
    from pydoc_data.topics import topics

    assert corpus.isascii()
    assert len(corpus) > 100_000  # its exact size depends on the Python version
    assert corpus.startswith(topics[sorted(topics)[0]][:50])
    assert 60 <= len(set(corpus)) <= 100


def test_corpus_is_the_same_in_a_fresh_interpreter(corpus):
    code = (
        "import hashlib; from companion.data.text import load_pydoc_corpus; "
        "print(hashlib.sha256(load_pydoc_corpus().encode()).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == hashlib.sha256(corpus.encode()).hexdigest()


def test_raw_corpus_keeps_the_original_characters(corpus):
    raw = load_pydoc_corpus(ascii_only=False)
    assert to_ascii(raw) == corpus
    assert len(raw) <= len(corpus)  # replacements like "..." only lengthen the text


def test_to_ascii():
    assert to_ascii("“quoted” – it’s café…") == '"quoted" - it\'s cafe...'
    assert to_ascii("λ") == "?"


def test_train_val_split_holds_out_the_end():
    text = "abcdefghij" * 10
    train, val = train_val_split(text)
    assert train + val == text and len(val) == 10 and val == text[-10:]
    ids_train, ids_val = train_val_split(np.arange(50), val_fraction=0.2)
    assert ids_val.tolist() == list(range(40, 50))
    message = "val_fraction: expected a number in (0, 1), got 1.0"
    with pytest.raises(ValueError, match=re.escape(message)):
        train_val_split(text, 1.0)
    with pytest.raises(ValueError, match="text: too short"):
        train_val_split("a", 0.1)


def test_vocab_round_trip(corpus):
    vocab = CharVocab(corpus)
    ids = vocab.encode(corpus)
    assert ids.shape == (len(corpus),) and ids.dtype == np.int64
    assert ids.min() == 0 and ids.max() == vocab.size - 1
    assert vocab.decode(ids) == corpus
    assert vocab.chars == tuple(sorted(set(corpus))) and len(vocab) == vocab.size
    assert vocab.decode([]) == ""


def test_unknown_character_is_an_error_by_default():
    vocab = CharVocab("hello world")
    message = "text: 2 character(s) not in the vocabulary: 'xé'"
    with pytest.raises(ValueError, match=re.escape(message)):
        vocab.encode("héllo x")


def test_unknown_token_when_asked_for():
    vocab = CharVocab("hello", unk="?")
    assert "?" in vocab and vocab.size == 5
    assert vocab.decode(vocab.encode("help\u4e2d")) == "hel??"


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda v: v.decode([0, 9]),
            ValueError,
            "ids: expected ids in [0, 4), got values from 0 to 9",
        ),
        (lambda v: v.decode([[0]]), ValueError, "ids: expected shape (N,), got (1, 1)"),
        (lambda v: v.decode([0.5]), TypeError, "ids: expected integers, got dtype float64"),
        (lambda v: v.encode(b"ab"), TypeError, "text: expected a str, got bytes"),
        (
            lambda v: CharVocab("abc", unk="??"),
            ValueError,
            "unk: expected None or a single character",
        ),
        (lambda v: CharVocab(""), ValueError, "text: expected at least one character, got ''"),
    ],
)
def test_bad_vocab_arguments(call, error, match):
    with pytest.raises(error, match=re.escape(match)):
        call(CharVocab("abcd"))


def test_id_list_checks_shape_type_and_range():
    from companion.data.text import id_list

    assert id_list(np.array([2, 0, 1]), 3) == [2, 0, 1]
    assert id_list([], 3) == []
    with pytest.raises(ValueError, match=r"ids: expected ids in \[0, 3\), got values from 0 to 3"):
        id_list([0, 3], 3)
    with pytest.raises(ValueError, match=r"ids: expected shape \(N,\)"):
        id_list(np.zeros((2, 2), dtype=int), 3)
    with pytest.raises(TypeError, match="ids: expected integers, got dtype float64"):
        id_list([0.0], 3)
