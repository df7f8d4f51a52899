"""The character language model: batching for truncated BPTT, training, bpc, sampling."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from companion.data.text import CharVocab, load_pydoc_corpus, train_val_split
from companion.scratch import RNN, SGD, Adam, StreamBatcher, evaluate_bpc, sample, train_char_lm


@pytest.mark.parametrize("N, B, T", [(101, 4, 7), (101, 4, 25), (50, 1, 49), (9, 8, 3)])
def test_batcher_streams_are_contiguous_and_carry_over(N, B, T):
    ids = np.arange(N) * 3 + 1  # distinct values, so any misplacement shows
    batches = StreamBatcher(ids, batch_size=B, seq_len=T)
    windows = list(batches)
    L = (N - 1) // B
    assert len(windows) == len(batches) == math.ceil(L / T)
    assert [x.shape for x, _ in windows] == [(B, min(T, L - k * T)) for k in range(len(windows))]
    xs = np.concatenate([x for x, _ in windows], axis=1)
    ys = np.concatenate([y for _, y in windows], axis=1)
    for b in range(B):
        np.testing.assert_array_equal(xs[b], ids[b * L : (b + 1) * L])
        np.testing.assert_array_equal(ys[b], ids[b * L + 1 : (b + 1) * L + 1])
    for (_, y), (x_next, _) in zip(windows[:-1], windows[1:], strict=True):
        np.testing.assert_array_equal(y[:, -1], x_next[:, 0])  # each stream continues
    assert len(list(batches)) == len(windows)  # iterable again, for the next pass


@pytest.mark.parametrize(
    "ids, kwargs, error, match",
    [
        (
            np.arange(4),
            {"batch_size": 4},
            ValueError,
            "ids: too short for batch_size=4 streams: "
            "expected at least batch_size + 1 = 5 ids, got 4",
        ),
        (np.zeros((3, 4), dtype=int), {}, ValueError, "ids: expected shape (N,), got (3, 4)"),
        (np.zeros(10), {}, TypeError, "ids: expected integer ids, got dtype float64"),
        (np.arange(10), {"seq_len": 0}, ValueError, "seq_len: expected a positive int, got 0"),
    ],
)
def test_batcher_errors(ids, kwargs, error, match):
    with pytest.raises(error, match=re.escape(match)):
        StreamBatcher(ids, **{"batch_size": 2, "seq_len": 3, **kwargs})


def test_bpc_of_a_uniform_model_is_log2_of_the_vocabulary():
    rnn = RNN(7, 5, 7)
    rnn.params["W_hy"][:] = 0.0
    assert evaluate_bpc(rnn, np.arange(100) % 7) == pytest.approx(math.log2(7), abs=1e-12)


def test_bpc_does_not_depend_on_the_window_length():
    """The state is carried across windows, so cutting a stream differently changes nothing."""
    rnn = RNN(5, 8, 5, seed=1)
    ids = np.random.default_rng(0).integers(0, 5, 200)
    one_pass = evaluate_bpc(rnn, ids, batch_size=1, seq_len=1000)
    assert evaluate_bpc(rnn, ids, batch_size=1, seq_len=7) == pytest.approx(one_pass, abs=1e-12)
    logits, _ = rnn.forward(ids[None, :-1])
    logp = logits[0] - np.log(np.exp(logits[0]).sum(-1, keepdims=True))
    assert one_pass == pytest.approx(-logp[np.arange(199), ids[1:]].mean() / math.log(2))


@pytest.fixture(scope="module")
def small_lm():
    vocab = CharVocab("abcdefgh")
    return RNN(vocab.size, 16, vocab.size, seed=3), vocab


def test_sample_is_seeded(small_lm):
    rnn, vocab = small_lm
    text = sample(rnn, vocab, "abc", 40, seed=1)
    assert len(text) == 40 and set(text) <= set(vocab.chars)
    assert sample(rnn, vocab, "abc", 40, seed=1) == text
    assert sample(rnn, vocab, "abc", 40, seed=2) != text
    assert sample(rnn, vocab, "abc", 0) == ""


def test_top_k_1_is_greedy(small_lm):
    rnn, vocab = small_lm
    ids = list(vocab.encode("ab"))
    for _ in range(10):
        logits, _ = rnn.forward(np.array([ids]))
        ids.append(int(logits[0, -1].argmax()))
    greedy = vocab.decode(ids[2:])
    assert sample(rnn, vocab, "ab", 10, top_k=1, seed=0) == greedy
    assert sample(rnn, vocab, "ab", 10, top_k=1, seed=9) == greedy
    assert sample(rnn, vocab, "ab", 10, temperature=1e-3, seed=9) == greedy


def test_top_k_limits_the_choice(small_lm):
    _, vocab = small_lm
    rnn = RNN(vocab.size, 4, vocab.size)
    rnn.params["W_hy"][:] = 0.0
    rnn.params["b_y"][:] = np.arange(vocab.size)  # "h", then "g", are the most likely
    assert set(sample(rnn, vocab, "a", 200, top_k=2, seed=0)) == {"g", "h"}


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"prime": ""}, ValueError, "prime: expected at least one character, got ''"),
        ({"prime": "xyz"}, ValueError, "text: 3 character(s) not in the vocabulary"),
        (
            {"temperature": 0.0},
            ValueError,
            "temperature: expected a positive finite number, got 0.0",
        ),
        ({"top_k": 9}, ValueError, "top_k: expected None or an int in [1, 8], got 9"),
        ({"length": -1}, ValueError, "length: expected a non-negative int, got -1"),
    ],
)
def test_sample_errors(small_lm, kwargs, error, match):
    rnn, vocab = small_lm
    with pytest.raises(error, match=re.escape(match)):
        sample(rnn, vocab, **{"prime": "ab", "length": 5, **kwargs})
    with pytest.raises(
        ValueError,
        match=re.escape(
            "vocab: expected vocab.size == rnn.input_size == rnn.output_size, got 8, 9 and 9"
        ),
    ):
        sample(RNN(9, 2, 9), vocab, "ab", 5)


def test_training_logs_a_history():
    ids = np.arange(300) % 6
    rnn = RNN(6, 8, 6)
    history = train_char_lm(
        rnn,
        ids[:250],
        optimizer=Adam(lr=1e-2),
        max_steps=12,
        batch_size=4,
        seq_len=10,
        val_ids=ids[250:],
        eval_every=5,
        progress=False,
    )
    assert history.names == ["train_loss", "grad_norm", "val_loss", "val_bpc"]
    assert history["train_loss"].steps.tolist() == list(range(1, 13))
    assert history["val_bpc"].steps.tolist() == [5, 10, 12]
    np.testing.assert_allclose(history["val_loss"].values, history["val_bpc"].values * math.log(2))
    assert (history["grad_norm"].values > 0).all()


def test_clipping_bounds_the_step():
    """With clip, SGD moves the parameters by at most lr * clip per step."""
    ids = np.arange(200) % 5
    rnn = RNN(5, 6, 5)
    before = np.concatenate([p.ravel() for p in rnn.params.values()])
    history = train_char_lm(
        rnn,
        ids,
        optimizer=SGD(lr=1.0),
        max_steps=1,
        batch_size=2,
        seq_len=8,
        clip=1e-3,
        progress=False,
    )
    after = np.concatenate([p.ravel() for p in rnn.params.values()])
    assert history.last("grad_norm") > 1e-3
    assert np.linalg.norm(after - before) == pytest.approx(1e-3, rel=1e-3)


def test_non_finite_loss_stops_training_and_names_the_step():
    rnn = RNN(5, 6, 5)
    rnn.params["W_hy"][0, 0] = np.inf
    with (
        pytest.raises(
            FloatingPointError,
            match=r"at step 1 the loss is nan.*Clip the gradients"
            r".*lower the learning rate \(now 0.1\)",
        ),
        np.errstate(all="ignore"),
    ):
        train_char_lm(rnn, np.arange(100) % 5, optimizer=SGD(lr=0.1), max_steps=5, progress=False)


def test_divergence_is_caught_at_a_later_step():
    rnn = RNN(5, 64, 5, dtype=np.float32)  # float32 logits overflow after a few huge steps
    with (
        pytest.raises(FloatingPointError, match=r"at step [2-9] .*training diverged"),
        np.errstate(all="ignore"),
    ):
        train_char_lm(
            rnn,
            np.arange(100) % 5,
            optimizer=SGD(lr=1e37),
            max_steps=9,
            batch_size=2,
            seq_len=5,
            clip=None,
            progress=False,
        )


def test_bad_training_arguments():
    with pytest.raises(ValueError, match="max_steps: expected a positive int, got 0"):
        train_char_lm(RNN(3, 2, 3), np.arange(9) % 3, optimizer=SGD(), max_steps=0)
    with pytest.raises(ValueError, match=re.escape("val_ids: expected ids in [0, 3), got values")):
        train_char_lm(
            RNN(3, 2, 3), np.arange(9) % 3, optimizer=SGD(), max_steps=1, val_ids=np.arange(5)
        )


@pytest.mark.slow
def test_learns_a_repetitive_text_to_near_zero_loss():
    text = "the quick brown fox jumps over the lazy dog. " * 40
    vocab = CharVocab(text)
    rnn = RNN(vocab.size, 64, vocab.size, seed=0, dtype=np.float32)
    history = train_char_lm(
        rnn,
        vocab.encode(text),
        optimizer=Adam(lr=1e-2),
        max_steps=300,
        batch_size=8,
        seq_len=32,
        progress=False,
    )
    assert history["train_loss"].values[-20:].mean() < 0.05
    assert sample(rnn, vocab, "the quick ", 35, top_k=1) == "brown fox jumps over the lazy dog. "


@pytest.mark.slow
def test_beats_the_unigram_baseline_on_the_pydoc_corpus():
    text = load_pydoc_corpus()
    vocab = CharVocab(text)
    train, val = train_val_split(vocab.encode(text))
    counts = np.bincount(train, minlength=vocab.size)
    unigram_bpc = -np.log2(counts[val] / counts.sum()).mean()  # every val char occurs in train
    rnn = RNN(vocab.size, 128, vocab.size, seed=0, dtype=np.float32)
    history = train_char_lm(
        rnn,
        train,
        optimizer=Adam(lr=3e-3),
        max_steps=300,
        batch_size=32,
        seq_len=32,
        val_ids=val,
        progress=False,
    )
    assert unigram_bpc > 4.0
    assert history.last("val_bpc") < unigram_bpc - 1.0
