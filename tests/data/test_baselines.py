"""Compression baselines in bits per character, conditional and unconditional."""

from __future__ import annotations

import random

import pytest

from companion.data.baselines import COMPRESSORS, compression_bpc


def random_text(n: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(n))


def test_every_compressor_both_ways():
    results = compression_bpc(random_text(3000, 0), random_text(1000, 1))
    assert set(results) == set(COMPRESSORS) == {"gzip -9", "bz2 -9", "xz -9e"}
    for bpc in results.values():
        assert set(bpc) == {"conditional", "unconditional"}
        # 27 equally likely letters cost log2(27) = 4.75 bits; no compressor beats that much
        assert 4.0 < bpc["conditional"] < 8.0


def test_a_repeat_of_the_training_text_is_almost_free_only_conditionally():
    train = random_text(5000, 2)
    test = train[1000:3000]
    results = compression_bpc(train, test)
    for bpc in results.values():
        assert bpc["conditional"] < 0.6 * bpc["unconditional"]
        assert bpc["unconditional"] > 4.0
    for copier in ("gzip -9", "xz -9e"):  # LZ77 compressors copy the passage for a few bits
        assert results[copier]["conditional"] < 0.5


def test_definition_with_a_custom_compressor():
    def identity(data: bytes) -> bytes:
        return data

    results = compression_bpc("abc", "de", {"none": identity})
    assert results == {"none": {"conditional": 8.0, "unconditional": 8.0}}


def test_bits_are_per_character_not_per_byte():
    def identity(data: bytes) -> bytes:
        return data

    results = compression_bpc("", "é", {"none": identity})  # two UTF-8 bytes, one character
    assert results["none"]["unconditional"] == 16.0


@pytest.mark.parametrize(
    ("train", "test", "error", "match"),
    [("abc", "", ValueError, "test_text"), (b"abc", "d", TypeError, "train_text")],
)
def test_errors(train, test, error, match):
    with pytest.raises(error, match=match):
        compression_bpc(train, test)
