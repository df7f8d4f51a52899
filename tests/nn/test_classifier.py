"""The sequence classifier: packing and gathering give each sequence's own last state."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from companion.data.batching import collate_sequences, pad_batch
from companion.nn.classifier import SequenceClassifier, gather_steps

V, C = 10, 3


def classifier(**kwargs) -> SequenceClassifier:
    torch.manual_seed(0)
    return SequenceClassifier(V, 5, 7, C, **kwargs).eval()


def batch(lengths=(3, 7, 1, 5)):
    generator = torch.Generator().manual_seed(0)
    sequences = [torch.randint(1, V, (n,), generator=generator) for n in lengths]
    return sequences, *pad_batch(sequences)


def one_by_one(model, sequences):
    return torch.cat([model(seq[None], torch.tensor([len(seq)])) for seq in sequences])


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
@pytest.mark.parametrize(
    "options",
    [{}, {"num_layers": 2}, {"bidirectional": True}, {"num_layers": 2, "bidirectional": True}],
)
def test_packed_batch_equals_one_sequence_at_a_time(cell, options):
    model = classifier(cell=cell, **options)
    sequences, x, lengths = batch()
    logits = model(x, lengths)
    assert logits.shape == (len(sequences), C)
    torch.testing.assert_close(logits, one_by_one(model, sequences))


def test_padding_does_not_change_the_logits():
    model = classifier(bidirectional=True)
    sequences, x, lengths = batch()
    longer = torch.cat([x, torch.zeros(len(sequences), 4, dtype=torch.long)], dim=1)
    torch.testing.assert_close(model(longer, lengths), model(x, lengths))


def test_gather_steps_picks_one_step_per_row():
    outputs = torch.arange(2 * 3 * 2.0).reshape(2, 3, 2)
    picked = gather_steps(outputs, torch.tensor([2, 0]))
    torch.testing.assert_close(picked, torch.stack([outputs[0, 2], outputs[1, 0]]))


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_gathering_equals_packing_and_one_at_a_time(cell, num_layers):
    packed = classifier(cell=cell, num_layers=num_layers)
    masked = classifier(cell=cell, num_layers=num_layers, backend="companion")
    masked.load_state_dict(packed.state_dict())
    sequences, x, lengths = batch()
    torch.testing.assert_close(masked(x, lengths), one_by_one(masked, sequences))
    torch.testing.assert_close(masked(x, lengths), packed(x, lengths))


def test_companion_backend_is_one_directional():
    with pytest.raises(ValueError, match="bidirectional"):
        classifier(backend="companion", bidirectional=True)


@pytest.mark.parametrize(
    ("lengths", "error", "match"),
    [
        (torch.tensor([3, 7, 1]), ValueError, r"lengths: expected shape \(B,\) = \(4,\)"),
        (torch.tensor([3, 0, 1, 5]), ValueError, r"\[1, T\] = \[1, 7\]"),
        (torch.tensor([3, 8, 1, 5]), ValueError, r"\[1, T\] = \[1, 7\]"),
        (torch.tensor([3.0, 7.0, 1.0, 5.0]), TypeError, "integers"),
        ([3, 7, 1, 5], TypeError, "torch.Tensor"),
    ],
)
def test_bad_lengths(lengths, error, match):
    _, x, _ = batch()
    with pytest.raises(error, match=match):
        classifier()(x, lengths)


def test_bad_ids():
    _, x, lengths = batch()
    with pytest.raises(ValueError, match=r"x: expected ids in \[0, 10\)"):
        classifier()(x + V, lengths)
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        classifier()(x[0], lengths)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cell": "tcn"}, "cell"),
        ({"backend": "keras"}, "backend"),
        ({"padding_idx": V}, "padding_idx"),
        ({"dropout": -0.1}, "dropout"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        classifier(**kwargs)


def test_padding_embedding_is_zero_and_learns_nothing():
    model = classifier().train()
    sequences, x, lengths = batch()
    F.cross_entropy(model(x, lengths), torch.tensor([0, 1, 2, 0])).backward()
    assert (model.embedding.weight[0] == 0).all()
    assert (model.embedding.weight.grad[0] == 0).all()


@pytest.mark.slow
def test_beats_the_majority_class_on_surnames():
    from companion.data.names import load_surnames
    from companion.train import evaluate, fit

    torch.manual_seed(0)
    data = load_surnames(["Chinese", "English", "Italian", "Polish", "Zulu"])

    def loader(examples, shuffle):
        encoded = [(data.encode(name), label) for name, label in examples]
        return torch.utils.data.DataLoader(
            encoded,
            batch_size=64,
            shuffle=shuffle,
            collate_fn=collate_sequences,
            generator=torch.Generator().manual_seed(0),
        )

    def loss(model, batch):
        x, lengths, y = batch
        return F.cross_entropy(model(x, lengths), y)

    def accuracy(model, loader, device):
        right = total = 0
        for x, lengths, y in loader:
            right += int((model(x.to(device), lengths).argmax(1) == y.to(device)).sum())
            total += len(y)
        return right / total

    model = SequenceClassifier(data.vocab.size, 16, 64, data.num_classes)
    fit(
        model,
        loader(data.train, shuffle=True),
        loss=loss,
        optimizer=torch.optim.Adam(model.parameters(), lr=1e-2),
        epochs=3,
        device="cpu",
        progress=False,
    )
    test = loader(data.test, shuffle=False)
    majority = data.counts("test").max() / len(data.test)
    result = evaluate(model, test, loss=loss, device="cpu", metrics={"accuracy": accuracy})
    assert result["accuracy"] > majority + 0.25
