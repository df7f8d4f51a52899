"""Tests for companion.coding: the arithmetic coder round-trips, at the ideal code length."""

from __future__ import annotations

import math

import numpy as np
import pytest

from companion.coding import PRECISION, Recorder, decode, encode, quantise


class Adaptive:
    """Laplace counts of the symbols read so far: a small causal model for the coder."""

    def __init__(self, vocab_size: int) -> None:
        self.counts = np.ones(vocab_size)

    def predict(self) -> np.ndarray:
        return self.counts / self.counts.sum()

    def update(self, symbol: int) -> None:
        self.counts[symbol] += 1


def skewed(n: int, seed: int = 0) -> np.ndarray:
    """``n`` symbols of a skewed source, one of them very rare."""
    rng = np.random.default_rng(seed)
    return rng.choice(5, size=n, p=[0.6, 0.2, 0.1, 0.0995, 0.0005])


def ideal_bits(symbols: np.ndarray, distributions: list[np.ndarray]) -> float:
    """``-sum log2 p(symbol)`` under the distributions the coder was given."""
    return -sum(math.log2(p[s]) for p, s in zip(distributions, symbols.tolist(), strict=True))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 17, 3000])
def test_decode_gives_back_what_was_encoded(n):
    symbols = skewed(n)
    data = encode(symbols, Adaptive(5))
    np.testing.assert_array_equal(decode(data, n, Adaptive(5)), symbols)


def test_a_long_run_of_one_symbol_round_trips():  # many pending bits in a row
    symbols = np.zeros(5000, dtype=np.int64)
    symbols[-1] = 4
    data = encode(symbols, Adaptive(5))
    np.testing.assert_array_equal(decode(data, len(symbols), Adaptive(5)), symbols)


def test_the_file_is_within_a_few_bits_of_the_ideal_code_length():
    symbols = skewed(20000)
    model = Recorder(Adaptive(5))
    bits = 8 * len(encode(symbols, model))
    ideal = ideal_bits(symbols, model.distributions)
    assert ideal - 1 <= bits <= ideal + 0.0001 * ideal + 10  # 2 closing bits, a partial byte


def test_encoder_and_decoder_see_the_same_distributions_bit_for_bit():
    symbols = skewed(500)
    encoder, decoder = Recorder(Adaptive(5)), Recorder(Adaptive(5))
    decode(encode(symbols, encoder), len(symbols), decoder)
    assert np.array_equal(np.array(encoder.distributions), np.array(decoder.distributions))


def test_the_memory_mixture_with_an_lstm_codes_a_text_and_decodes_it():
    torch = pytest.importorskip("torch")
    from companion.memory import CharLMStream, MemoryMixture, MemoryPieces
    from companion.nn.charlm import CharLM

    torch.manual_seed(0)
    lstm = CharLM(5, 4, 8)
    rng = np.random.default_rng(0)
    phrase = rng.integers(0, 5, 20)
    train = np.concatenate([rng.integers(0, 5, 50), phrase, rng.integers(0, 5, 30)])
    held = np.concatenate([phrase, rng.integers(0, 5, 40), phrase])

    def mixture():
        pieces = MemoryPieces(train, 5, network=CharLMStream(lstm, train), max_order=3)
        return Recorder(MemoryMixture(pieces, learning_rate=0.01))

    encoder, decoder = mixture(), mixture()
    data = encode(held, encoder)
    np.testing.assert_array_equal(decode(data, len(held), decoder), held)
    assert np.array_equal(np.array(encoder.distributions), np.array(decoder.distributions))
    assert 8 * len(data) <= ideal_bits(held, encoder.distributions) + 10


def test_quantise_keeps_every_symbol_codable_and_sums_exactly():
    p = np.array([0.0, 1e-12, 0.3, 0.7 - 1e-12])
    cumulative = quantise(p)
    freqs = np.diff(cumulative)
    assert cumulative[0] == 0 and cumulative[-1] == 2**PRECISION
    assert (freqs >= 1).all() and freqs[0] == freqs[1] == 1
    assert abs(freqs[2] / 2**PRECISION - 0.3) < 1e-6
    np.testing.assert_array_equal(quantise(p.copy()), cumulative)  # a function of p alone


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: quantise(np.array([0.5, 0.6])), ValueError,
         "probs: expected finite, non-negative probabilities that sum to 1"),
        (lambda: quantise(np.array([1.5, -0.5])), ValueError, "probs: expected finite"),
        (lambda: quantise(np.array([np.nan, 1.0])), ValueError, "probs: expected finite"),
        (lambda: quantise(np.array([1.0])), ValueError, r"probs: expected shape \(V,\)"),
        (lambda: quantise(np.full((2, 2), 0.25)), ValueError, r"got \(2, 2\)"),
        (lambda: quantise(np.array([0.5, 0.5]), precision=31), ValueError,
         "precision: expected an int <= 30, got 31"),
        (lambda: encode(np.array([0, 5]), Adaptive(5)), ValueError,
         r"symbols: expected ids in \[0, 5\) \(the model's V\), got 5"),
        (lambda: encode(np.array([0, -1]), Adaptive(5)), ValueError,
         r"symbols: expected ids in \[0, 5\) \(the model's V\), got -1"),
        (lambda: encode(np.zeros((2, 2), dtype=int), Adaptive(5)), ValueError,
         r"symbols: expected shape \(N,\), got \(2, 2\)"),
        (lambda: encode(np.array([0.5]), Adaptive(5)), TypeError, "symbols: expected integer"),
        (lambda: decode("abc", 3, Adaptive(5)), TypeError, "data: expected bytes, got str"),
        (lambda: decode(b"\x00", -1, Adaptive(5)), ValueError,
         "n: expected a non-negative int, got -1"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
