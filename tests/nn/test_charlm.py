"""The PyTorch character language model: shapes, carried state, bits per character, sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from companion.data.text import CharVocab
from companion.nn.charlm import CarriedStateLoss, CharLM, evaluate_bpc, stream_windows
from companion.scratch.charlm import StreamBatcher

V = 12


def model(cell: str = "lstm", **kwargs) -> CharLM:
    torch.manual_seed(0)
    return CharLM(V, 8, 16, cell=cell, **kwargs)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_shapes(cell, num_layers):
    lm = model(cell, num_layers=num_layers)
    logits, state = lm(torch.randint(0, V, (3, 5)))
    assert logits.shape == (3, 5, V)
    parts = state if cell == "lstm" else (state,)
    assert len(parts) == (2 if cell == "lstm" else 1)
    for part in parts:
        assert part.shape == (num_layers, 3, 16)


def test_state_carries_the_text_on():
    lm = model("lstm").eval()
    x = torch.randint(0, V, (2, 9))
    whole, _ = lm(x)
    first, state = lm(x[:, :4])
    second, _ = lm(x[:, 4:], state)
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole)


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (np.zeros((2, 3), dtype=np.int64), TypeError, "torch.Tensor"),
        (torch.zeros(2, 3), TypeError, "int64"),
        (torch.zeros(2, 3, 1, dtype=torch.long), ValueError, r"\(B, T\)"),
        (torch.zeros(2, 0, dtype=torch.long), ValueError, "non-empty"),
        (torch.full((2, 3), V, dtype=torch.long), ValueError, rf"\[0, {V}\)"),
    ],
)
def test_bad_input(x, error, match):
    with pytest.raises(error, match=match):
        model()(x)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"cell": "transformer"}, ValueError, "cell"),
        ({"backend": "jax"}, ValueError, "backend"),
        ({"dropout": 1.0}, ValueError, "dropout"),
        ({"num_layers": 0}, ValueError, "num_layers"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        model(**kwargs)


def test_stream_windows_follow_the_stream_batcher():
    ids = np.arange(103) % V
    windows = stream_windows(ids, batch_size=4, seq_len=10)
    reference = list(StreamBatcher(ids, 4, 10))
    assert len(windows) == len(reference) == 3  # streams of 25 inputs: 10 + 10 + 5
    for (x, y, _), (rx, ry) in zip(windows, reference, strict=True):
        assert x.dtype == y.dtype == torch.long
        np.testing.assert_array_equal(x.numpy(), rx)
        np.testing.assert_array_equal(y.numpy(), ry)
    assert [first for _, _, first in windows] == [True, False, False]
    ((x, y, first),) = stream_windows(ids, batch_size=4)  # one window per stream
    assert x.shape == (4, 25) and first


def test_carried_state_loss_continues_each_stream():
    lm = model("gru").eval()
    loss = CarriedStateLoss()
    ids = np.random.default_rng(0).integers(0, V, 201)
    windows = stream_windows(ids, batch_size=4, seq_len=10)
    ((x, y, _),) = stream_windows(ids, batch_size=4)
    logits, _ = lm(x)
    for number, window in enumerate(windows):
        part = slice(10 * number, 10 * number + window[0].shape[1])
        expected = F.cross_entropy(logits[:, part].reshape(-1, V), y[:, part].reshape(-1))
        torch.testing.assert_close(loss(lm, window), expected)


def test_carried_state_loss_keeps_training_and_evaluation_apart():
    lm = model("gru")
    lm.dropout.p = 0.0
    ids = np.random.default_rng(1).integers(0, V, 81)
    windows = stream_windows(ids, batch_size=2, seq_len=10)
    loss = CarriedStateLoss()
    loss(lm, windows[0])
    lm.eval()
    loss(lm, stream_windows(ids[::-1].copy(), batch_size=2, seq_len=10)[0])  # a validation pass
    lm.train()
    carried = loss(lm, windows[1])
    fresh = CarriedStateLoss()
    fresh(lm, windows[0])
    torch.testing.assert_close(carried, fresh(lm, windows[1]))
    assert lm.training


def test_bpc_of_a_uniform_model_is_log2_v():
    lm = model()
    with torch.no_grad():
        lm.head.weight.zero_()
        lm.head.bias.zero_()
    ids = np.random.default_rng(0).integers(0, V, 500)
    assert evaluate_bpc(lm, ids) == pytest.approx(math.log2(V))


def test_bpc_does_not_depend_on_the_window_length():
    lm = model("lstm", dropout=0.5).train()
    ids = np.random.default_rng(0).integers(0, V, 500)
    whole = evaluate_bpc(lm, ids, batch_size=4)
    assert evaluate_bpc(lm, ids, batch_size=4, seq_len=7) == pytest.approx(whole, rel=1e-6)
    assert lm.training  # restored; dropout was off while evaluating


def vocab_and_model():
    vocab = CharVocab("abcdefghijkl")
    return vocab, model()


def test_sampling_is_deterministic_given_a_seed():
    vocab, lm = vocab_and_model()
    text = lm.sample(vocab, "abc", 40, temperature=0.8, seed=3)
    assert len(text) == 40 and set(text) <= set(vocab.chars)
    assert lm.sample(vocab, "abc", 40, temperature=0.8, seed=3) == text
    assert lm.sample(vocab, "abc", 40, temperature=0.8, seed=4) != text
    generator = torch.Generator().manual_seed(3)
    assert lm.sample(vocab, "abc", 40, temperature=0.8, seed=generator) == text


def test_top_k_one_is_greedy():
    vocab, lm = vocab_and_model()
    text = lm.sample(vocab, "ab", 10, top_k=1, seed=0)
    assert lm.sample(vocab, "ab", 10, top_k=1, seed=99) == text
    ids = torch.as_tensor(vocab.encode("ab"))[None]
    with torch.no_grad():
        for ch in text:  # each character is the most likely one given the text so far
            logits, _ = lm(ids)
            assert vocab.chars[int(logits[0, -1].argmax())] == ch
            ids = torch.cat([ids, torch.as_tensor(vocab.encode(ch))[None]], dim=1)


def test_low_temperature_approaches_greedy():
    vocab, lm = vocab_and_model()
    greedy = lm.sample(vocab, "ab", 30, top_k=1)
    assert lm.sample(vocab, "ab", 30, temperature=1e-3, seed=5) == greedy


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"prime": ""}, "prime"),
        ({"prime": "xyz"}, "not in the vocabulary"),
        ({"length": -1}, "length"),
        ({"temperature": 0.0}, "temperature"),
        ({"top_k": V + 1}, "top_k"),
    ],
)
def test_sample_errors(kwargs, match):
    vocab, lm = vocab_and_model()
    arguments = {"prime": "ab", "length": 5, **kwargs}
    with pytest.raises(ValueError, match=match):
        lm.sample(vocab, arguments.pop("prime"), arguments.pop("length"), **arguments)


def test_sample_wants_the_models_vocabulary():
    _, lm = vocab_and_model()
    with pytest.raises(ValueError, match="vocab"):
        lm.sample(CharVocab("abc"), "a", 5)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_companion_backend_gives_the_same_logits(cell):
    ours, theirs = model(cell, backend="companion"), model(cell)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randint(0, V, (3, 6))
    torch.testing.assert_close(ours(x)[0], theirs(x)[0])


@pytest.mark.slow
def test_learns_a_repetitive_text_to_near_zero_loss():
    from companion.train import fit

    torch.manual_seed(0)
    text = "the cat sat on the mat. " * 60
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    lm = CharLM(vocab.size, 16, 64)
    history = fit(
        lm,
        stream_windows(ids, batch_size=8, seq_len=30),
        loss=CarriedStateLoss(),
        optimizer=torch.optim.Adam(lm.parameters(), lr=1e-2),
        max_steps=150,
        device="cpu",
        progress=False,
    )
    assert history.last("train_loss") < 0.1  # nats per character
    assert evaluate_bpc(lm, ids, batch_size=2) < 0.1
    assert lm.sample(vocab, "the cat ", 16, top_k=1) == "sat on the mat. "
