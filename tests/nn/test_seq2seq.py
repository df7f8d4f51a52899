"""The attention encoder-decoder: shapes, masking, errors, decoding, and a learning test."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from companion.nn.seq2seq import (
    AdditiveAttention,
    BeamTree,
    Seq2Seq,
    exact_match,
    teacher_forcing_loss,
)

PAD, SOS, EOS = 0, 1, 2


def padded_batch(lengths, S=None, vocab=20, seed=0):
    """Random sources of the given lengths, padded with PAD to S."""
    generator = torch.Generator().manual_seed(seed)
    S = max(lengths) if S is None else S
    src = torch.randint(3, vocab, (len(lengths), S), generator=generator)
    for row, length in enumerate(lengths):
        src[row, length:] = PAD
    return src, torch.tensor(lengths)


@pytest.fixture
def model():
    torch.manual_seed(0)
    return Seq2Seq(20, 15, embedding_dim=8, hidden_size=16).eval()


def test_forward_shapes_and_attention_rows(model):
    src, lengths = padded_batch([7, 3, 5, 1])
    tgt_in = torch.randint(3, 15, (4, 6))
    logits, attention = model(src, lengths, tgt_in)
    assert logits.shape == (4, 6, 15) and attention.shape == (4, 6, 7)
    torch.testing.assert_close(attention.sum(-1), torch.ones(4, 6))
    assert (attention >= 0).all()


def test_padding_gets_exactly_zero_attention(model):
    src, lengths = padded_batch([7, 3, 5, 1])
    _, attention = model(src, lengths, torch.randint(3, 15, (4, 5)))
    for row, length in enumerate(lengths.tolist()):
        assert (attention[row, :, length:] == 0).all()
        assert (attention[row, :, :length] > 0).all()
    assert (attention[3, :, 0] == 1).all()  # one real token takes all the weight


@pytest.mark.parametrize("bidirectional", [True, False])
def test_padding_does_not_change_the_output(bidirectional):
    """A source gives the same logits alone as inside a padded batch."""
    torch.manual_seed(0)
    model = Seq2Seq(20, 15, embedding_dim=8, hidden_size=16, bidirectional=bidirectional).eval()
    src, lengths = padded_batch([9, 4, 6])
    tgt_in = torch.randint(3, 15, (3, 5))
    logits, attention = model(src, lengths, tgt_in)
    for row, length in enumerate(lengths.tolist()):
        alone, alone_attention = model(
            src[row : row + 1, :length], lengths[row : row + 1], tgt_in[row : row + 1]
        )
        torch.testing.assert_close(logits[row : row + 1], alone, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(attention[row : row + 1, :, :length], alone_attention)


def test_attention_module_masks_and_averages():
    torch.manual_seed(0)
    attention = AdditiveAttention(query_size=3, key_size=4, attention_size=5)
    keys = torch.randn(2, 6, 4)
    mask = torch.tensor([[True] * 6, [True, True, False, False, False, False]])
    context, weights = attention(torch.randn(2, 3), keys, attention.project_keys(keys), mask)
    assert context.shape == (2, 4) and weights.shape == (2, 6)
    assert (weights[1, 2:] == 0).all()
    torch.testing.assert_close(context, (weights.unsqueeze(-1) * keys).sum(1))


@pytest.mark.parametrize(
    ("lengths", "S", "message"),
    [
        ([3, 2], 4, r"src_lengths: expected shape \(B,\) = \(3,\), got \(2,\)"),
        ([3, 0, 2], 4, "at least one token, got a length of 0"),
        ([3, 5, 2], 4, "a length of 5 is longer than the padded source, S = 4"),
    ],
)
def test_bad_lengths(model, lengths, S, message):
    src = torch.randint(3, 20, (3, S))
    with pytest.raises(ValueError, match=message):
        model(src, torch.tensor(lengths), torch.randint(3, 15, (3, 4)))
    with pytest.raises(ValueError, match=message):
        model.greedy_decode(src, torch.tensor(lengths))


def test_bad_shapes_and_arguments(model):
    src, lengths = padded_batch([4, 2])
    with pytest.raises(ValueError, match=r"tgt_in: expected shape \(B, T\) with B = 2"):
        model(src, lengths, torch.randint(3, 15, (3, 4)))
    with pytest.raises(ValueError, match="src_lengths: expected integer lengths"):
        model(src, lengths.float(), torch.randint(3, 15, (2, 4)))
    with pytest.raises(ValueError, match=r"src: expected a \(B, S\) int64 tensor"):
        model(src.float(), lengths, torch.randint(3, 15, (2, 4)))
    with pytest.raises(ValueError, match="beam_size: at most the vocabulary size 15"):
        model.beam_search(src, lengths, beam_size=16)
    with pytest.raises(ValueError, match="max_len: expected a positive int"):
        model.greedy_decode(src, lengths, max_len=0)
    with pytest.raises(ValueError, match="beam_size: expected a positive int"):
        model.beam_search(src, lengths, beam_size=0)
    with pytest.raises(ValueError, match="hidden_size: expected a positive int"):
        Seq2Seq(20, 15, hidden_size=0)
    with pytest.raises(ValueError, match="eos_id: expected an id in"):
        Seq2Seq(20, 15, eos_id=15)


def test_the_companion_backend_encodes_both_directions_as_torch_does():
    """companion.nn.GRU(bidirectional=True) under packing: the same keys and state as torch's."""
    torch.manual_seed(0)
    reference = Seq2Seq(20, 15, hidden_size=6, backend="torch").double()
    ours = Seq2Seq(20, 15, hidden_size=6, backend="companion").double()
    ours.load_state_dict(reference.state_dict())
    generator = torch.Generator().manual_seed(1)
    src = torch.randint(3, 20, (4, 7), generator=generator)
    lengths = torch.tensor([7, 3, 5, 1])
    for row, length in enumerate(lengths.tolist()):
        src[row, length:] = 0
    (memory, state), (expected_memory, expected_state) = (
        model.encode(src, lengths) for model in (ours, reference)
    )
    for got, expected in zip([*memory, state], [*expected_memory, expected_state], strict=True):
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)


def reverse_batch(size, generator, letters=10, max_length=8):
    """The reversal task: sources of 3..max_length letters (ids 3, 4, ...), targets reversed."""
    lengths = torch.randint(3, max_length + 1, (size,), generator=generator)
    src = torch.randint(3, 3 + letters, (size, max_length), generator=generator)
    tgt_out = torch.full((size, max_length + 1), PAD)
    for row, length in enumerate(lengths.tolist()):
        src[row, length:] = PAD
        tgt_out[row, :length] = src[row, :length].flip(0)
        tgt_out[row, length] = EOS
    tgt_in = torch.cat([torch.full((size, 1), SOS), tgt_out[:, :-1]], dim=1)
    return src, lengths, tgt_in, tgt_out


def train(model, steps, batch_size, lr, generator):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        src, lengths, tgt_in, tgt_out = reverse_batch(batch_size, generator)
        logits, _ = model(src, lengths, tgt_in)
        loss = F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    return model.eval()


@pytest.fixture(scope="module")
def partly_trained():
    """A model trained for 40 steps on reversal: its outputs end at different steps, and it
    is unsure enough that beam search and greedy decoding often disagree."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        model = Seq2Seq(13, 13, embedding_dim=8, hidden_size=16)
        train(model, steps=40, batch_size=32, lr=1e-2, generator=torch.Generator().manual_seed(0))
    finally:
        torch.set_num_threads(previous)
    src, lengths, _, _ = reverse_batch(8, torch.Generator().manual_seed(1))
    return model, src, lengths


def first_eos(tokens):
    """The step of each row's first <eos> (every row must have one)."""
    return [(row == EOS).nonzero()[0, 0].item() for row in tokens]


def test_greedy_decode_stops_at_eos_and_pads(partly_trained):
    model, src, lengths = partly_trained
    tokens, attention = model.greedy_decode(src, lengths, max_len=12)
    assert attention.shape == (8, tokens.shape[1], src.shape[1])
    ends = first_eos(tokens)
    assert len(set(ends)) > 1  # the rows end at different steps
    assert tokens.shape[1] == max(ends) + 1  # and decoding stops when the last one has
    for row, end in enumerate(ends):
        assert (tokens[row, end + 1 :] == PAD).all()
        assert (attention[row, end + 1 :] == 0).all()
        torch.testing.assert_close(attention[row, : end + 1].sum(-1), torch.ones(end + 1))


def test_decoding_stops_at_max_len(partly_trained):
    model, src, lengths = partly_trained
    tokens, attention = model.greedy_decode(src, lengths, max_len=2)
    assert tokens.shape == (8, 2) and attention.shape == (8, 2, src.shape[1])
    tokens, attention = model.beam_search(src, lengths, beam_size=3, max_len=2)
    assert tokens.shape == (8, 2) and attention.shape == (8, 2, src.shape[1])


def teacher_forced(model, src, lengths, tokens):
    """Run the model with teacher forcing on its own output ``tokens``: log p(tokens | src)
    of each row up to and including its first <eos>, the logits, and the attention."""
    tgt_in = torch.cat([torch.full((len(tokens), 1), SOS), tokens[:, :-1]], dim=1)
    with torch.no_grad():
        logits, attention = model(src, lengths, tgt_in)
    logp = torch.log_softmax(logits, -1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
    is_eos = (tokens == EOS).int()
    before_end = (is_eos.cumsum(1) - is_eos) == 0  # up to and including the first <eos>
    return (logp * before_end).sum(1), logits, attention


def test_greedy_decode_agrees_with_teacher_forcing_on_its_own_output(partly_trained):
    model, src, lengths = partly_trained
    tokens, attention = model.greedy_decode(src, lengths, max_len=12)
    _, logits, forced_attention = teacher_forced(model, src, lengths, tokens)
    for row, end in enumerate(first_eos(tokens)):
        assert torch.equal(logits[row, : end + 1].argmax(-1), tokens[row, : end + 1])
        torch.testing.assert_close(forced_attention[row, : end + 1], attention[row, : end + 1])


def test_beam_search_of_width_one_is_greedy(partly_trained):
    model, src, lengths = partly_trained
    greedy_tokens, greedy_attention = model.greedy_decode(src, lengths, max_len=12)
    beam_tokens, beam_attention = model.beam_search(src, lengths, beam_size=1, max_len=12)
    assert torch.equal(beam_tokens, greedy_tokens)
    torch.testing.assert_close(beam_attention, greedy_attention)


@pytest.mark.parametrize("beam_size", [2, 4])
def test_beam_search_returns_consistent_and_more_probable_outputs(partly_trained, beam_size):
    """Teacher forcing on the returned beam reproduces its attention (the bookkeeping of
    parents is right), and on these inputs the wider search finds outputs at least as
    probable as greedy decoding's, strictly more probable for some."""
    model, src, lengths = partly_trained
    greedy_tokens, _ = model.greedy_decode(src, lengths, max_len=12)
    beam_tokens, beam_attention = model.beam_search(src, lengths, beam_size=beam_size, max_len=12)
    beam_logp, _, forced_attention = teacher_forced(model, src, lengths, beam_tokens)
    greedy_logp, _, _ = teacher_forced(model, src, lengths, greedy_tokens)
    for row, end in enumerate(first_eos(beam_tokens)):
        torch.testing.assert_close(beam_attention[row, : end + 1], forced_attention[row, : end + 1])
        assert (beam_tokens[row, end + 1 :] == PAD).all()
        assert (beam_attention[row, end + 1 :] == 0).all()
    assert (beam_logp >= greedy_logp - 1e-5).all()
    assert (beam_logp > greedy_logp + 1e-3).any()


def test_the_recorded_tree_does_not_change_the_search(partly_trained):
    model, src, lengths = partly_trained
    tokens, attention = model.beam_search(src, lengths, beam_size=3, max_len=12)
    tree_tokens, tree_attention, trees = model.beam_search(
        src, lengths, beam_size=3, max_len=12, return_tree=True
    )
    assert torch.equal(tree_tokens, tokens)
    torch.testing.assert_close(tree_attention, attention)
    assert len(trees) == len(src) and all(isinstance(tree, BeamTree) for tree in trees)


@pytest.mark.parametrize("beam_size", [1, 3])
def test_the_tree_ends_in_the_returned_output_with_its_probability(partly_trained, beam_size):
    """The best path spells the returned tokens, and its score is their log-probability
    under teacher forcing."""
    model, src, lengths = partly_trained
    tokens, _, trees = model.beam_search(
        src, lengths, beam_size=beam_size, max_len=12, return_tree=True
    )
    logp, _, _ = teacher_forced(model, src, lengths, tokens)
    for row, (tree, end) in enumerate(zip(trees, first_eos(tokens), strict=True)):
        root, *path = [tree.nodes[i] for i in tree.path(tree.best)]
        assert (root.step, root.token, root.score, root.parent) == (0, SOS, 0.0, -1)
        assert [n.token for n in path] == tokens[row, : end + 1].tolist()
        assert [n.step for n in path] == list(range(1, end + 2))
        assert all(n.kept for n in path)
        assert tree.nodes[tree.best].score == pytest.approx(logp[row].item(), abs=1e-4)


def test_every_score_in_the_tree_is_the_models_log_probability(partly_trained):
    model, src, lengths = partly_trained
    _, _, trees = model.beam_search(src[:1], lengths[:1], beam_size=3, max_len=6, return_tree=True)
    tree = trees[0]
    for index, node in enumerate(tree.nodes[1:], start=1):
        prefix = torch.tensor([[tree.nodes[i].token for i in tree.path(index)[1:]]])
        logp, _, _ = teacher_forced(model, src[:1], lengths[:1], prefix)
        assert node.score == pytest.approx(logp.item(), abs=1e-4)


@pytest.mark.parametrize("beam_size", [2, 3])
def test_kept_candidates_beat_the_pruned_ones_at_every_step(partly_trained, beam_size):
    """At each step the kept partial outputs score at least as high as every pruned
    candidate; each live beam offers its beam_size best extensions; beam_size are kept."""
    model, src, lengths = partly_trained
    _, _, trees = model.beam_search(src, lengths, beam_size=beam_size, max_len=12, return_tree=True)
    for tree in trees:
        steps = {n.step for n in tree.nodes} - {0}
        for step in steps:
            nodes = [n for n in tree.nodes if n.step == step]
            kept = [n.score for n in nodes if n.kept]
            pruned = [n.score for n in nodes if not n.kept]
            assert 1 <= len(kept) <= beam_size
            if pruned:
                assert max(pruned) <= min(kept) + 1e-6
            for parent in {n.parent for n in nodes}:
                assert sum(n.parent == parent for n in nodes) == beam_size
        assert sum(n.kept for n in tree.nodes if n.step == 1) == beam_size


def test_tree_path_and_bad_arguments(partly_trained):
    model, src, lengths = partly_trained
    _, _, (tree, *_) = model.beam_search(src, lengths, beam_size=2, max_len=3, return_tree=True)
    assert tree.path(0) == [0]
    with pytest.raises(ValueError, match=r"index: expected a node index in \[0, "):
        tree.path(len(tree.nodes))
    with pytest.raises(TypeError, match="index: expected an int"):
        tree.path(1.0)
    with pytest.raises(TypeError, match="return_tree: expected a bool"):
        model.beam_search(src, lengths, return_tree=1)


def test_teacher_forcing_loss_and_exact_match(partly_trained):
    model, _, _ = partly_trained
    batch = reverse_batch(16, torch.Generator().manual_seed(2))
    src, lengths, tgt_in, tgt_out = batch
    logits, _ = model(src, lengths, tgt_in)
    expected = F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD)
    torch.testing.assert_close(teacher_forcing_loss(model, batch), expected)
    tokens, _ = model.greedy_decode(src, lengths, max_len=tgt_out.shape[1])
    tokens = F.pad(tokens, (0, tgt_out.shape[1] - tokens.shape[1]), value=PAD)
    right = (tokens == tgt_out).all(dim=1).float().mean().item()
    halves = [tuple(t[:8] for t in batch), tuple(t[8:] for t in batch)]
    assert exact_match(model, halves, "cpu") == pytest.approx(right)
    with pytest.raises(ValueError, match=r"batch: expected \(src, src_lengths, tgt_in, tgt_out\)"):
        teacher_forcing_loss(model, batch[:3])
    with pytest.raises(ValueError, match="data: expected at least one minibatch"):
        exact_match(model, [], "cpu")


def test_companion_backend_computes_the_same_function():
    torch.manual_seed(0)
    reference = Seq2Seq(20, 15, embedding_dim=8, hidden_size=16, bidirectional=False).eval()
    ours = Seq2Seq(
        20, 15, embedding_dim=8, hidden_size=16, bidirectional=False, backend="companion"
    ).eval()
    ours.load_state_dict(reference.state_dict())
    src, lengths = padded_batch([7, 3, 5, 1])
    tgt_in = torch.randint(3, 15, (4, 6))
    for got, expected in zip(
        ours(src, lengths, tgt_in), reference(src, lengths, tgt_in), strict=True
    ):
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_learns_to_reverse_strings():
    """Reversal of 3 to 8 letters: exact match of greedy outputs on 500 new strings, and
    the first output letter attends to the last input letter."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    model = Seq2Seq(13, 13, embedding_dim=16, hidden_size=48)
    train(model, steps=300, batch_size=64, lr=5e-3, generator=generator)
    src, lengths, _, tgt_out = reverse_batch(500, generator)
    tokens, attention = model.greedy_decode(src, lengths, max_len=tgt_out.shape[1])
    tokens = F.pad(tokens, (0, tgt_out.shape[1] - tokens.shape[1]), value=PAD)
    accuracy = (tokens == tgt_out).all(dim=1).float().mean().item()
    assert accuracy > 0.95, accuracy
    looks_at = attention[:, 0].argmax(-1)
    assert (looks_at == lengths - 1).float().mean() > 0.9


def test_runs_under_bfloat16_autocast(model):
    """fit() trains under bf16 autocast on CUDA; the same code paths run under CPU autocast."""
    src, lengths = padded_batch([7, 3, 5, 1])
    tgt_in = torch.randint(3, 15, (4, 6))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits, attention = model(src, lengths, tgt_in)
        loss = F.cross_entropy(logits.flatten(0, 1).float(), tgt_in.flatten())
        tokens, _ = model.beam_search(src, lengths, beam_size=3, max_len=5)
    loss.backward()
    assert logits.dtype == torch.bfloat16 and torch.isfinite(loss)
    assert (attention[1, :, 3:] == 0).all() and tokens.shape[0] == 4
