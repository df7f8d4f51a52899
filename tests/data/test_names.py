"""Surnames by language of origin: cleaning, classes, stratified deterministic splits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion.data.names import (
    ALPHABET,
    PADDING_IDX,
    SOURCES,
    VOCAB,
    SurnameDataset,
    fold_name,
    load_surnames,
)


@pytest.fixture(scope="module")
def data() -> SurnameDataset:
    return load_surnames()


def all_examples(data):
    return data.train + data.val + data.test


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Wiśniewski", "wisniewski"),
        ("Łukasik", "lukasik"),  # no Unicode decomposition: spelt out
        ("Ó Briain", "o briain"),
        ("O'Brien", "o'brien"),
        ("López-García", "lopez-garcia"),
        ("Søndergaard", "sondergaard"),
        ("CHANG", "chang"),
        ("Nguyễn", "nguyen"),
    ],
)
def test_fold_name(raw, folded):
    assert fold_name(raw) == folded


@pytest.mark.parametrize(
    "raw", ["Смирнов", "佐藤", "Bourgondië, van", "'s Gravensande", "I", "", "a  b"]
)
def test_fold_name_refuses_what_cannot_be_folded(raw):
    assert fold_name(raw) is None


@given(st.text(max_size=20))
def test_fold_name_gives_none_or_a_clean_name_that_folds_to_itself(raw):
    folded = fold_name(raw)
    if folded is not None:
        assert len(folded) >= 2 and set(folded) <= set(ALPHABET)
        assert folded[0].isalpha() and folded[-1].isalpha()
        assert fold_name(folded) == folded


def test_fold_name_wants_a_str():
    with pytest.raises(TypeError, match="name"):
        fold_name(3)


def test_default_classes_are_the_large_ones_in_order(data):
    assert data.num_classes == len(data.classes) >= 15
    assert list(data.classes) == sorted(data.classes)
    assert set(data.classes) <= set(SOURCES)
    assert "Polish" in data.classes and "Irish" in data.classes
    sizes = data.counts("train") + data.counts("val") + data.counts("test")
    assert sizes.min() >= 100  # the default min_names


def test_names_are_folded_unique_and_in_one_class_only(data):
    examples = all_examples(data)
    names = [name for name, _ in examples]
    assert len(names) == len(set(names))  # no duplicates, hence no name in two classes
    for name in names:
        assert name.isascii() and fold_name(name) == name
        assert set(name) <= set(ALPHABET)
    labels = np.array([label for _, label in examples])
    assert labels.min() == 0 and labels.max() == data.num_classes - 1


def test_a_name_listed_for_two_classes_is_dropped_everywhere(data):
    names = {name for name, _ in all_examples(data)}
    # "ali" and "ahmed" are in the Dutch, English and Swedish lists; "martin" in several
    assert not {"ali", "ahmed", "martin"} & names
    assert sum(counts["ambiguous"] for counts in data.dropped.values()) > 0
    assert set(data.dropped) == set(data.classes)


def test_polish_comes_from_its_real_lists_not_the_doe_fallback(data):
    polish = data.classes.index("Polish")
    names = {name for name, label in all_examples(data) if label == polish}
    assert "doe" not in names and len(names) > 1000
    assert "kowalski" in names and "lukasik" in names  # "ł" folded, not dropped


def test_splits_do_not_overlap_and_are_stratified(data):
    train, val, test = ({name for name, _ in split} for split in (data.train, data.val, data.test))
    assert not (train & val or train & test or val & test)
    total = data.counts("train") + data.counts("val") + data.counts("test")
    np.testing.assert_array_equal(data.counts("val"), np.round(0.15 * total))
    np.testing.assert_array_equal(data.counts("test"), np.round(0.15 * total))
    assert len(data.train) > 4 * len(data.test)


def test_splits_are_shuffled(data):
    labels = [label for _, label in data.train[:200]]
    assert len(set(labels)) > 5  # not grouped by class


def test_same_seed_same_split_other_seed_other_split(data):
    again = load_surnames(seed=0)
    assert again.train == data.train and again.val == data.val and again.test == data.test
    other = load_surnames(seed=1)
    assert {n for n, _ in other.test} != {n for n, _ in data.test}
    assert sorted(all_examples(other)) == sorted(all_examples(data))


def test_explicit_classes_keep_their_order_and_their_names(data):
    small = load_surnames(["Zulu", "Chinese"])
    assert small.classes == ("Zulu", "Chinese")
    zulu = {n for n, label in all_examples(small) if label == 0}
    zulu_all = {n for n, label in all_examples(data) if label == data.classes.index("Zulu")}
    assert zulu == zulu_all  # ambiguity is decided over every class, whichever are loaded


def test_a_small_class_asked_for_is_an_error_naming_it():
    with pytest.raises(ValueError, match="Japanese.*min_names"):
        load_surnames(["Japanese", "Italian"])
    data = load_surnames(["Japanese", "Italian"], min_names=40)
    assert data.classes == ("Japanese", "Italian")


def test_a_class_too_small_to_split_is_an_error_naming_it():
    with pytest.raises(ValueError, match="'Japanese'.*too few"):
        load_surnames(["Japanese", "Italian"], min_names=40, val_fraction=0.005)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"classes": ["Klingon", "Italian"]}, ValueError, "unknown.*Klingon"),
        ({"classes": ["Italian", "Italian"]}, ValueError, "once"),
        ({"classes": ["Italian"]}, ValueError, "at least two"),
        ({"classes": "Italian"}, TypeError, "classes"),
        ({"min_names": 0}, ValueError, "min_names"),
        ({"val_fraction": 0.0}, ValueError, "val_fraction"),
        ({"test_fraction": 1.5}, ValueError, "test_fraction"),
        ({"val_fraction": 0.5, "test_fraction": 0.5}, ValueError, "less than 1"),
        ({"seed": -1}, ValueError, "seed"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_surnames(**kwargs)


def test_encode_folds_and_pads_with_zero(data):
    assert PADDING_IDX == 0 == data.padding_idx
    assert VOCAB.size == len(ALPHABET) + 1
    ids = data.encode("Müller")
    assert ids.dtype == np.int64 and (ids > 0).all()
    assert data.vocab.decode(ids) == "muller"
    with pytest.raises(ValueError, match="name"):
        data.encode("Смирнов")


def test_counts_wants_a_split_name(data):
    with pytest.raises(ValueError, match="split"):
        data.counts("everything")
