"""Tests for companion.memory: context counts, match model, mixer, all strictly causal."""

from __future__ import annotations

import numpy as np
import pytest

from companion.memory import (
    CharLMStream,
    ContextCounts,
    GeometricMixer,
    MatchModel,
    MemoryMixture,
    MemoryPieces,
    charlm_log_probs,
    match_bucket,
    mix_stream,
    mixer_step_bpc,
    repeat_mask,
)

V = 5


def texts(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A training text and a held-out text with repeats, so that every piece has work."""
    rng = np.random.default_rng(seed)
    phrase = rng.integers(0, V, size=30)
    train = np.concatenate([rng.integers(0, V, 40), phrase, rng.integers(0, V, 40), phrase])
    held = np.concatenate([rng.integers(0, V, 10), phrase, rng.integers(0, V, 20)])
    return train, held


def stepwise(model: ContextCounts | MatchModel, train: np.ndarray, held: np.ndarray) -> np.ndarray:
    """The model's prediction for every held-out position, updating after each."""
    model.read(train)
    rows = []
    for c in held.tolist():
        rows.append(model.predict().copy())
        model.update(c)
    return np.array(rows)


def changed_after(held: np.ndarray, i: int) -> np.ndarray:
    """``held`` with every character after position ``i`` replaced."""
    other = held.copy()
    other[i + 1 :] = (held[i + 1 :] + 1) % V
    return other


PIECES = [lambda: ContextCounts(V, max_order=4), lambda: MatchModel(V, min_length=3)]


@pytest.mark.parametrize("make", PIECES, ids=["counts", "match"])
@pytest.mark.parametrize("i", [0, 12, 35])
def test_each_piece_is_causal_bit_for_bit(make, i):
    train, held = texts()
    before = stepwise(make(), train, held)
    after = stepwise(make(), train, changed_after(held, i))
    assert np.array_equal(before[: i + 1], after[: i + 1])
    assert not np.array_equal(before, after)  # the change is seen, later


@pytest.mark.parametrize("i", [0, 12, 35])
def test_mixture_is_causal_bit_for_bit(i):
    train, held = texts()
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(len(held), V))
    lstm = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    other_lstm = lstm.copy()
    other_lstm[i + 1 :] = lstm[i + 1 :][:, ::-1]  # a different network after i as well
    a = mix_stream(train, held, V, lstm_log_probs=lstm, max_order=4, min_match=3)
    b = mix_stream(train, changed_after(held, i), V, lstm_log_probs=other_lstm, max_order=4,
                   min_match=3)  # fmt: skip
    assert np.array_equal(a.probs[: i + 1], b.probs[: i + 1])
    for name in a.bits:
        assert np.array_equal(a.bits[name][: i + 1], b.bits[name][: i + 1]), name
    assert not np.array_equal(a.probs, b.probs)


@pytest.mark.parametrize("make", PIECES, ids=["counts", "match"])
def test_each_piece_is_normalised_and_positive(make):
    train, held = texts()
    rows = stepwise(make(), train, held)
    np.testing.assert_allclose(rows.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    assert (rows > 0).all()


def test_mixture_is_normalised_with_finite_bits():
    train, held = texts()
    result = mix_stream(train, held, V, max_order=4, min_match=3)
    np.testing.assert_allclose(result.probs.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (result.probs > 0).all()
    for bits in result.bits.values():
        assert np.isfinite(bits).all() and (bits >= 0).all()
    assert set(result.bits) == {"order 1", "order 2", "order 3", "order 4", "match", "mixture"}


def test_memory_beats_every_single_order_on_a_repeated_phrase():
    train, held = texts()
    bits = mix_stream(train, held, V, max_order=4, min_match=3).bits
    assert bits["mixture"].mean() < min(bits[f"order {k}"].mean() for k in range(1, 5))


def test_context_counts_by_hand():
    counts = ContextCounts(3, max_order=2)
    counts.read(np.array([0, 1, 0, 1, 0]))
    p0 = (np.array([3, 2, 0]) + 2 * np.full(3, 1 / 3)) / (5 + 2)  # order 0: u = 2 of n = 5
    p1 = (np.array([0, 2, 0]) + 1 * p0) / (2 + 1)  # after "0": only "1", twice
    p2 = (np.array([0, 1, 0]) + 1 * p1) / (1 + 1)  # after "10": "1" once
    np.testing.assert_allclose(counts.predict(), [p1, p2], rtol=1e-15)
    counts.update(2)  # "2" after "0" for the first time: the order-1 context now has u = 2
    p0 = (np.array([3, 2, 1]) + 3 * np.full(3, 1 / 3)) / (6 + 3)
    np.testing.assert_allclose(counts.predict()[0], p0, rtol=1e-15)  # context "2" is unseen


@pytest.mark.parametrize("chunks", [1, 3])
def test_context_counts_read_counts_as_update_does(chunks):
    train, held = texts()
    text = np.concatenate([train, held, train])
    by_update = ContextCounts(V, max_order=4)
    for c in text.tolist():
        by_update.update(c)
    by_read = ContextCounts(V, max_order=4)
    for part in np.array_split(text, chunks):
        by_read.read(part)
    assert by_read._table == by_update._table and by_read._history == by_update._history
    assert np.array_equal(by_read.predict(), by_update.predict())


def test_match_model_by_hand():
    match = MatchModel(4, min_length=2)
    match.read(np.array([0, 1, 2, 3, 0, 1, 2]))
    assert match.length == 3  # "0 1 2" occurred before, then "3"
    np.testing.assert_allclose(match.predict(), [1 / 6, 1 / 6, 1 / 6, 1 / 2])  # q = (0+1)/(0+2)
    match.update(3)  # a hit: the match runs on, and bucket 1 has 1 hit in 1 try
    assert match.length == 4
    np.testing.assert_allclose(match.predict(), [2 / 3, 1 / 9, 1 / 9, 1 / 9])
    match.update(2)  # a miss ends the match; "3 2" never occurred before
    assert match.length == 0
    np.testing.assert_allclose(match.predict(), np.full(4, 1 / 4))


def test_match_bucket():
    assert [match_bucket(n) for n in (0, 1, 15, 16, 31, 32, 63, 64, 500)] == [
        0, 1, 1, 2, 2, 3, 3, 4, 4,
    ]  # fmt: skip


def test_mixer_by_hand_and_its_gradient():
    log_probs = np.log(np.array([[0.7, 0.2, 0.1], [0.2, 0.2, 0.6]]))
    mixer = GeometricMixer(2, learning_rate=0.1, initial_weight=0.5)
    p = mixer.mix(log_probs)
    expected = np.sqrt([0.7 * 0.2, 0.2 * 0.2, 0.1 * 0.6])
    np.testing.assert_allclose(p, expected / expected.sum())
    # the update is a step down the exact gradient of -log p(x), checked by finite differences
    x, eps, w = 2, 1e-6, mixer.weights[0].copy()
    numeric = []
    for j in range(2):
        for sign in (1, -1):
            mixer.weights[0] = w
            mixer.weights[0, j] += sign * eps
            numeric.append(-np.log(mixer.mix(log_probs)[x]))
    gradient = np.array([numeric[0] - numeric[1], numeric[2] - numeric[3]]) / (2 * eps)
    mixer.weights[0] = w
    mixer.update(log_probs, p, x)
    np.testing.assert_allclose(mixer.weights[0], w - 0.1 * gradient, rtol=1e-6)
    assert mixer.mix(log_probs)[x] > p[x]  # the step helped


def test_geometric_mixing_of_two_symbols_is_the_logistic_mixing_of_paq():
    rng = np.random.default_rng(0)
    p_one = rng.uniform(0.05, 0.95, size=3)  # three binary predictors: P(symbol 1)
    weights = rng.normal(size=3)
    mixer = GeometricMixer(3)
    mixer.weights[0] = weights
    mixed = mixer.mix(np.log(np.stack([1 - p_one, p_one], axis=1)))
    logistic = 1 / (1 + np.exp(-weights @ np.log(p_one / (1 - p_one))))
    assert mixed[1] == pytest.approx(logistic, rel=1e-12)


def test_a_uniform_input_leaves_the_mixture_unchanged():
    log_probs = np.log(np.array([[0.7, 0.2, 0.1], [1 / 3, 1 / 3, 1 / 3]]))
    alone = np.array([0.7, 0.2, 0.1]) ** 0.8
    np.testing.assert_allclose(GeometricMixer(2, initial_weight=0.8).mix(log_probs),
                               alone / alone.sum())  # fmt: skip


def test_repeat_mask():
    train = np.array([0, 1, 2, 3, 4, 0])
    held = np.array([4, 1, 2, 3, 1, 2])
    np.testing.assert_array_equal(repeat_mask(train, held, 3), [0, 1, 1, 1, 0, 0])


def test_charlm_log_probs_are_causal_and_normalised():
    torch = pytest.importorskip("torch")
    from companion.nn.charlm import CharLM

    torch.manual_seed(0)
    model = CharLM(V, 4, 8)
    train, held = texts()
    a = charlm_log_probs(model, train, held)
    b = charlm_log_probs(model, train, changed_after(held, 20))
    assert a.shape == (len(held), V)
    np.testing.assert_allclose(np.exp(a).sum(axis=1), 1.0, atol=1e-12)
    assert np.array_equal(a[:21], b[:21]) and not np.array_equal(a, b)
    assert model.training  # the mode is restored


def tiny_lstm():
    """A small untrained ``CharLM`` over ``V`` characters (PyTorch is needed)."""
    torch = pytest.importorskip("torch")
    from companion.nn.charlm import CharLM

    torch.manual_seed(0)
    return CharLM(V, 4, 8)


def stream_rows(stream: CharLMStream, held: np.ndarray) -> np.ndarray:
    """The stream's log-probabilities for every held-out position, reading each after."""
    rows = []
    for c in held.tolist():
        rows.append(stream.log_probs())
        stream.update(c)
    return np.array(rows)


def test_charlm_stream_is_causal_matches_the_batched_pass_and_leaves_the_model_alone():
    model = tiny_lstm()
    train, held = texts()
    a = stream_rows(CharLMStream(model, train), held)
    b = stream_rows(CharLMStream(model, train), changed_after(held, 20))
    assert np.array_equal(a[:21], b[:21]) and not np.array_equal(a, b)
    np.testing.assert_allclose(a, charlm_log_probs(model, train, held), atol=1e-5)
    parameter = next(model.parameters())
    assert model.training and str(parameter.dtype) == "torch.float32"  # the copy was run


def test_memory_mixture_step_by_step_is_mix_stream_bit_for_bit():
    model = tiny_lstm()
    train, held = texts()
    rows = stream_rows(CharLMStream(model, train), held)
    expected = mix_stream(train, held, V, lstm_log_probs=rows, max_order=4, min_match=3).probs
    pieces = MemoryPieces(train, V, network=CharLMStream(model, train), max_order=4, min_match=3)
    assert pieces.names == ["lstm", "order 1", "order 2", "order 3", "order 4", "match"]
    mixture = MemoryMixture(pieces)
    got = []
    for c in held.tolist():
        got.append(mixture.predict().copy())
        assert mixture.predict() is mixture.predict()  # asked twice, computed once
        mixture.update(c)
    assert np.array_equal(np.array(got), expected)


def test_mixer_step_bpc_is_mix_stream_at_each_step():
    train, held = texts()
    steps = [0.001, 0.01, 0.1]
    bpc = mixer_step_bpc(train, held, V, steps, max_order=4, min_match=3)
    for lr in steps:
        alone = mix_stream(train, held, V, max_order=4, min_match=3, learning_rate=lr)
        assert bpc[lr] == pytest.approx(alone.bits["mixture"].mean(), rel=1e-12)
    assert len(set(bpc.values())) == 3  # the step matters


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: ContextCounts(1), ValueError, r"vocab_size: expected an int in \[2, 256\], got 1"),
        (lambda: MatchModel(300), ValueError, r"vocab_size: expected an int in \[2, 256\], got 3"),
        (lambda: ContextCounts(V, max_order=0), ValueError, "max_order: expected a positive int"),
        (lambda: MatchModel(V, 4, 2), ValueError, "max_length: expected an int >= 4, got 2"),
        (lambda: ContextCounts(V).read(np.array([], dtype=int)), ValueError,
         r"ids: expected a non-empty 1-D array of ids \(N,\), got shape \(0,\)"),
        (lambda: MatchModel(V).read(np.array([0, 5])), ValueError,
         r"ids: expected ids in \[0, 5\), got values from 0 to 5"),
        (lambda: mix_stream(np.array([], dtype=int), np.array([1]), V), ValueError, "train_ids:"),
        (lambda: mix_stream(np.array([1]), np.array([-1, 2]), V), ValueError,
         r"ids: expected ids in \[0, 5\)"),
        (lambda: mix_stream(np.array([1]), np.array([1.5]), V), TypeError, "ids: expected integer"),
        (lambda: mix_stream(np.array([1]), np.array([1, 2]), V, lstm_log_probs=np.zeros((2, 4))),
         ValueError, r"lstm_log_probs: expected shape \(N, V\) = \(2, 5\), got \(2, 4\)"),
        (lambda: mix_stream(np.array([1]), np.array([1, 2]), V, lstm_log_probs=np.zeros((2, 5))),
         ValueError, "lstm_log_probs: expected finite log-probabilities whose rows sum to 1"),
        (lambda: GeometricMixer(2, learning_rate=0), ValueError, "learning_rate:"),
        (lambda: mixer_step_bpc(np.array([1]), np.array([1, 2]), V, []), ValueError,
         "learning_rates: expected at least one step, got none"),
        (lambda: mixer_step_bpc(np.array([1]), np.array([1, 2]), V, [0.1, -1]), ValueError,
         "learning_rates: expected a positive finite number, got -1.0"),
        (lambda: mixer_step_bpc(np.array([1]), np.array([1, 2]), V, [0.1],
                                lstm_log_probs=np.zeros((3, V))), ValueError,
         r"lstm_log_probs: expected shape \(N, V\) = \(2, 5\), got \(3, 5\)"),
        (lambda: MemoryPieces(np.array([], dtype=int), V), ValueError, "train_ids: expected"),
        (lambda: MemoryMixture(MemoryPieces(np.array([1, 2]), V)).update(-1), ValueError,
         r"c: expected a character id in \[0, 5\), got -1"),
        (lambda: CharLMStream(tiny_lstm(), np.array([], dtype=int)), ValueError,
         "context_ids: expected a non-empty 1-D array"),
        (lambda: CharLMStream(tiny_lstm(), np.array([1])).update(V), ValueError,
         r"c: expected a character id in \[0, 5\), got 5"),
        (lambda: ContextCounts(V).update(V), ValueError, r"c: expected a character id.*got 5"),
        (lambda: MatchModel(V).update(-1), ValueError,
         r"c: expected a character id in \[0, 5\), got -1"),
        (lambda: GeometricMixer(3).mix(np.zeros((2, V))), ValueError,
         r"log_probs: expected shape \(M, V\) with M = 3, got \(2, 5\)"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
