"""Date pairs written by babel, the seq2seq vocabulary, and the encoded arrays."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from babel.dates import format_date, get_month_names
from hypothesis import given
from hypothesis import strategies as st

from companion.data.dates import Seq2SeqVocab, date_pairs, encode_pairs, is_test_date

SOURCES = ["en_US", "en_GB", "fr_FR", "nl_NL"]
FORMATS = ("short", "medium", "long")


def parse_german_long(text: str) -> dt.date:
    """Read back "22. November 2026", the long German form, with babel's own month names."""
    months = {name: number for number, name in get_month_names("wide", locale="de_DE").items()}
    match = re.fullmatch(r"(\d{1,2})\. (\w+) (\d{4})", text)
    assert match, text
    return dt.date(int(match[3]), months[match[2]], int(match[1]))


def parse_chinese_long(text: str) -> dt.date:
    match = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    assert match, text
    return dt.date(int(match[1]), int(match[2]), int(match[3]))


@pytest.fixture(scope="module")
def german_pairs():
    return date_pairs(SOURCES, "de_DE", 600, seed=3)


def test_every_target_parses_back_to_the_date_of_its_source(german_pairs):
    assert len(german_pairs) == 600
    for source, target in german_pairs:
        date = parse_german_long(target)
        assert source in {
            format_date(date, fmt, locale=loc) for loc in SOURCES for fmt in FORMATS
        }, (source, target)


def test_sources_mix_every_locale_and_format(german_pairs):
    date = dt.date(2026, 11, 22)
    styles = {format_date(date, fmt, locale=loc) for loc in SOURCES for fmt in FORMATS}
    assert len(styles) >= 10  # en_GB and fr_FR share their short form
    written = set()
    for source, target in german_pairs:
        d = parse_german_long(target)
        for loc in SOURCES:
            for fmt in FORMATS:
                if format_date(d, fmt, locale=loc) == source:
                    written.add((loc, fmt))
    assert len(written) == len(SOURCES) * len(FORMATS)


def test_chinese_target_round_trips():
    pairs = date_pairs("en_US", "zh_CN", 200, formats=("long",), seed=1)
    for source, target in pairs:
        assert format_date(parse_chinese_long(target), "long", locale="en_US") == source
    assert "2026年11月22日" == format_date(dt.date(2026, 11, 22), "long", locale="zh_CN")


def test_iso_target_and_date_range():
    pairs = date_pairs(
        "fr_FR",
        "en",
        300,
        target_format="y-MM-dd",
        start=dt.date(2000, 1, 1),
        end=dt.date(2000, 12, 31),
    )
    dates = [dt.date.fromisoformat(target) for _, target in pairs]
    assert min(dates) >= dt.date(2000, 1, 1) and max(dates) <= dt.date(2000, 12, 31)
    assert len(set(dates)) == len(dates)  # every pair a different date


def test_same_arguments_same_pairs_other_seed_other_pairs(german_pairs):
    assert date_pairs(SOURCES, "de_DE", 600, seed=3) == german_pairs
    assert date_pairs(SOURCES, "de_DE", 600, seed=4) != german_pairs


def test_train_and_test_dates_are_disjoint():
    train = date_pairs(SOURCES, "de_DE", 3000, split="train", seed=0)
    test = date_pairs(SOURCES, "de_DE", 1000, split="test", seed=0)
    train_dates = {parse_german_long(t) for _, t in train}
    test_dates = {parse_german_long(t) for _, t in test}
    assert not train_dates & test_dates
    assert all(is_test_date(d) for d in test_dates)
    assert not any(is_test_date(d) for d in train_dates)


@given(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_is_test_date_is_a_fixed_function_of_the_date(date):
    assert is_test_date(date, 0.2) == is_test_date(date, 0.2)
    assert is_test_date(date, 0.2) <= is_test_date(date, 0.5)  # nested as the share grows


def test_about_test_fraction_of_dates_are_test_dates():
    days = [dt.date(2000, 1, 1) + dt.timedelta(days=i) for i in range(20_000)]
    share = np.mean([is_test_date(d, 0.2) for d in days])
    assert 0.19 < share < 0.21


def test_target_never_asks_for_a_weekday_the_source_lacks():
    with pytest.raises(ValueError, match="writes the weekday"):
        date_pairs("en_US", "de_DE", 10, target_format="full")
    # allowed when every source shows the weekday too, and then the weekdays agree
    pairs = date_pairs("en_US", "de_DE", 50, formats=("full",), target_format="full")
    english = dict(
        zip(
            ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
            ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
            strict=True,
        )
    )
    for source, target in pairs:
        assert target.startswith(english[source.split(",")[0]] + ",")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"src": "xx_YY"}, ValueError, "src: unknown locale 'xx_YY'"),
        ({"src": ["en_US", "no_such_locale"]}, ValueError, "'no_such_locale'"),
        ({"tgt": "zz"}, ValueError, "tgt: unknown locale 'zz'"),
        ({"src": []}, ValueError, "src: expected a locale"),
        ({"src": [3]}, TypeError, "src: expected a locale name"),
        ({"formats": ("MMMM y",)}, ValueError, "has no day"),
        ({"formats": ()}, TypeError, "formats"),
        ({"n": 0}, ValueError, "n: expected a positive int"),
        ({"n": 1.5}, TypeError, "n: expected a positive int, got 1.5 of type float"),
        ({"split": "validation"}, ValueError, "split"),
        ({"start": dt.date(2001, 1, 1), "end": dt.date(2000, 1, 1)}, ValueError, "start <= end"),
        ({"n": 400, "end": dt.date(1950, 12, 31)}, ValueError, "only 365 distinct dates"),
        ({"src": "en_US", "end": dt.date(2060, 1, 1)}, ValueError, "two digits"),
        ({"src": ["en_US", "es_ES"], "n": 5000}, ValueError, "ambiguous"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, error, message):
    arguments = {"src": "en_GB", "tgt": "de_DE", "n": 10, **kwargs}
    with pytest.raises(error, match=message):
        date_pairs(**arguments)


def test_vocab_specials_encode_decode():
    vocab = Seq2SeqVocab(["22. November 2026", "1. Mai 1999"])
    assert vocab.tokens[:3] == ("<pad>", "<sos>", "<eos>")
    assert (vocab.PAD, vocab.SOS, vocab.EOS) == (0, 1, 2)
    assert vocab.size == len(vocab) == 3 + len(set("22. November 20261. Mai 1999"))
    ids = vocab.encode("1. Mai", sos=True, eos=True)
    assert ids[0] == vocab.SOS and ids[-1] == vocab.EOS and min(ids[1:-1]) >= 3
    assert [vocab.tokens[i] for i in ids[1:-1]] == list("1. Mai")
    assert vocab.decode(ids) == "1. Mai"
    assert vocab.decode(ids + [vocab.PAD, 5, 6]) == "1. Mai"  # stops at <eos>
    assert vocab.decode([vocab.PAD, *ids[1:]]) == "1. Mai"


def test_vocab_errors():
    vocab = Seq2SeqVocab("abc")
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("abz")
    with pytest.raises(ValueError, match=r"ids: expected ids in \[0, 6\)"):
        vocab.decode([3, 6])
    with pytest.raises(TypeError, match="texts: expected strings"):
        Seq2SeqVocab(["ab", 3])


def test_encode_pairs_pads_and_shifts_the_target():
    pairs = [("1/2/26", "2. Januar 2026"), ("Nov 22, 2026", "22. November 2026")]
    src_vocab = Seq2SeqVocab(s for s, _ in pairs)
    tgt_vocab = Seq2SeqVocab(t for _, t in pairs)
    src, lengths, tgt_in, tgt_out = encode_pairs(pairs, src_vocab, tgt_vocab)
    assert src.shape == (2, 12) and src.dtype == np.int64
    np.testing.assert_array_equal(lengths, [6, 12])
    assert (src[0, 6:] == Seq2SeqVocab.PAD).all()
    assert tgt_in.shape == tgt_out.shape == (2, 18)
    assert (tgt_in[:, 0] == Seq2SeqVocab.SOS).all()
    for row, (_, target) in enumerate(pairs):  # the input is the output, one step late
        np.testing.assert_array_equal(tgt_in[row, 1 : len(target) + 1], tgt_out[row, : len(target)])
    assert tgt_out[0, 14] == Seq2SeqVocab.EOS and (tgt_out[0, 15:] == Seq2SeqVocab.PAD).all()
    for row, (source, target) in enumerate(pairs):
        assert src_vocab.decode(src[row]) == source
        assert tgt_vocab.decode(tgt_out[row]) == target
    with pytest.raises(ValueError, match="at least one"):
        encode_pairs([], src_vocab, tgt_vocab)


def test_chinese_targets_from_every_source_style_and_cjk_vocab_round_trip():
    pairs = date_pairs(SOURCES, "zh_CN", 300, split="train", seed=2)
    for source, target in pairs:
        date = parse_chinese_long(target)
        assert source in {format_date(date, fmt, locale=loc) for loc in SOURCES for fmt in FORMATS}
    # same seed and split, another target: the very same sources, the targets in Chinese
    german = date_pairs(SOURCES, "de_DE", 300, split="train", seed=2)
    assert [s for s, _ in german] == [s for s, _ in pairs]
    assert [parse_chinese_long(t) for _, t in pairs] == [parse_german_long(t) for _, t in german]

    src_vocab = Seq2SeqVocab(s for s, _ in pairs)
    tgt_vocab = Seq2SeqVocab(t for _, t in pairs)
    assert set(tgt_vocab.tokens[3:]) == set("0123456789年月日")
    assert tgt_vocab.size == 3 + 13
    ids = tgt_vocab.encode("2026年11月22日", sos=True, eos=True)
    assert min(ids[1:-1]) >= 3 and tgt_vocab.decode(ids) == "2026年11月22日"
    src, lengths, tgt_in, tgt_out = encode_pairs(pairs, src_vocab, tgt_vocab)
    assert tgt_out.shape[1] == max(len(t) for _, t in pairs) + 1  # one id per CJK character
    for row, (source, target) in enumerate(pairs):
        assert src_vocab.decode(src[row]) == source
        assert tgt_vocab.decode(tgt_in[row]) == target  # <sos> is skipped
        assert tgt_vocab.decode(tgt_out[row]) == target
        assert lengths[row] == len(source)
