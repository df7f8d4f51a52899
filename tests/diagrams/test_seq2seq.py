"""companion.diagrams.seq2seq: the encoder-decoder and the beam-search tree draw their parts."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from companion.diagrams.seq2seq import draw_beam_tree, draw_encoder_decoder  # noqa: E402
from companion.nn.seq2seq import BeamNode, BeamTree, Seq2Seq  # noqa: E402


def texts(ax):
    return [t.get_text() for t in ax.texts]


SOURCE, TARGET = list("5/9/54"), [*"9. Mai", "<eos>"]


def test_encoder_decoder_draws_every_state_and_token():
    ax = draw_encoder_decoder(SOURCE, TARGET)
    drawn = texts(ax)
    assert {f"$h_{{{j}}}$" for j in range(1, 7)} <= set(drawn)
    assert {f"$s_{{{t}}}$" for t in range(1, 8)} <= set(drawn)
    assert {"5", "/", "9", ".", "M", "‹sos›", "‹eos›", "\u2423", "$s_0$"} <= set(drawn)
    assert not any(t.startswith("$c_") for t in drawn)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("teacher forcing" in t for t in legend)


def test_encoder_decoder_attention_with_symbols():
    ax = draw_encoder_decoder(SOURCE, TARGET, attention_at=3)
    drawn = texts(ax)
    assert "$c_{3}$" in drawn
    assert {f"$\\alpha_{{3,{j}}}$" for j in range(1, 7)} <= set(drawn)
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "query $s_{2}$" in legend


def test_encoder_decoder_attention_with_weights_and_at_the_first_step():
    weights = np.array([0.05, 0.02, 0.7, 0.2, 0.02, 0.01])
    ax = draw_encoder_decoder(SOURCE, TARGET, attention_at=1, weights=weights)
    drawn = texts(ax)
    assert {"$c_{1}$", "0.70", "0.20", "0.05"} <= set(drawn)
    assert "0.02" not in drawn  # small weights are drawn thin but not written
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "query $s_{0}$" in legend


def test_encoder_decoder_draws_on_given_axes():
    _, ax = plt.subplots()
    assert draw_encoder_decoder(SOURCE, TARGET, ax=ax) is ax


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"source_tokens": "5/9/54"}, TypeError, "source_tokens: expected a sequence of token"),
        ({"source_tokens": []}, ValueError, "source_tokens: expected at least one token"),
        ({"target_tokens": ["9", 9]}, TypeError, "target_tokens: expected strings, got a int"),
        ({"attention_at": 0}, ValueError, r"attention_at: expected a decoder step in 1..7"),
        ({"attention_at": 8}, ValueError, "attention_at: expected a decoder step"),
        ({"attention_at": True}, TypeError, "attention_at: expected an int or None"),
        ({"weights": [1 / 6] * 6}, ValueError, "weights: given without attention_at"),
        (
            {"attention_at": 2, "weights": [0.5, 0.5]},
            ValueError,
            r"weights: expected shape \(S,\) = \(6,\)",
        ),
        (
            {"attention_at": 2, "weights": [0.5] * 6},
            ValueError,
            "weights: expected weights summing",
        ),
        (
            {"attention_at": 2, "weights": [-0.5, 1.5, 0, 0, 0, 0]},
            ValueError,
            "weights: expected finite, non-negative",
        ),
    ],
)
def test_encoder_decoder_bad_input_is_named(kwargs, error, message):
    arguments = {"source_tokens": SOURCE, "target_tokens": TARGET, **kwargs}
    source, target = arguments.pop("source_tokens"), arguments.pop("target_tokens")
    with pytest.raises(error, match=message):
        draw_encoder_decoder(source, target, **arguments)


def small_tree():
    """<sos> -> a (-0.1, kept) -> c (-0.3, kept) -> <eos> (-0.4, kept: returned)
                      -> d (-2.0, pruned)
    -> b (-1.5, kept) -> c (-1.6, kept) -> <eos> (-1.9, pruned)
                      -> b (-3.0, pruned)"""
    n = [
        BeamNode(0, 1, 0.0, -1, True),
        BeamNode(1, 3, -0.1, 0, True),
        BeamNode(1, 4, -1.5, 0, True),
        BeamNode(2, 5, -0.3, 1, True),
        BeamNode(2, 6, -2.0, 1, False),
        BeamNode(2, 5, -1.6, 2, True),
        BeamNode(2, 4, -3.0, 2, False),
        BeamNode(3, 2, -0.4, 3, True),
        BeamNode(3, 2, -1.9, 5, False),
    ]
    return BeamTree(tuple(n), best=7)


TOKENS = ["<pad>", "<sos>", "<eos>", "a", "b", "c", "d"]


def test_beam_tree_writes_tokens_with_their_scores():
    ax = draw_beam_tree(small_tree(), tokens=TOKENS)
    drawn = texts(ax)
    assert {"‹sos›", "a  \u22120.10", "b  \u22121.50", "d  \u22122.00", "‹eos›  \u22120.40"} <= set(
        drawn
    )
    assert {"step 1", "step 2", "step 3"} <= set(drawn)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["the output returned", "kept", "pruned"]
    # pruned candidates are written in grey
    grey = {t.get_text() for t in ax.texts if matplotlib.colors.to_hex(t.get_color()) == "#999999"}
    assert {"d  \u22122.00", "b  \u22123.00", "‹eos›  \u22121.90"} <= grey
    assert "a  \u22120.10" not in grey


def test_beam_tree_window_starts_from_the_kept_prefixes():
    ax = draw_beam_tree(small_tree(), tokens=TOKENS, steps=(2, 3))
    drawn = texts(ax)
    assert {"a  \u22120.10", "b  \u22121.50"} <= set(drawn)  # the prefixes kept at step 1
    assert "step 1" not in drawn and {"step 2", "step 3"} <= set(drawn)
    assert "‹sos›" not in drawn
    ax = draw_beam_tree(small_tree(), steps=(3, 3))  # ids when no tokens are given
    assert {"35  \u22120.30", "45  \u22121.60", "2  \u22120.40"} <= set(texts(ax))


def test_beam_tree_of_a_real_search():
    torch.manual_seed(0)
    model = Seq2Seq(12, 9, embedding_dim=4, hidden_size=8).eval()
    src = torch.randint(3, 12, (1, 5))
    _, _, (tree,) = model.beam_search(
        src, torch.tensor([5]), beam_size=3, max_len=3, return_tree=True
    )
    ax = draw_beam_tree(tree, tokens=[f"t{i}" for i in range(9)])
    assert len([t for t in texts(ax) if t.startswith("t")]) == len(tree.nodes)  # root too


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"tree": "tree"}, TypeError, "tree: expected a BeamTree"),
        ({"tokens": ["<pad>", "<sos>"]}, ValueError, "tokens: expected the text of every id up"),
        ({"tokens": "abc"}, TypeError, "tokens: expected a sequence of token strings"),
        ({"steps": (0, 2)}, ValueError, r"steps: expected 1 <= first <= last <= 3"),
        ({"steps": (2, 4)}, ValueError, "steps: expected 1 <= first"),
        ({"steps": (3, 2)}, ValueError, "steps: expected 1 <= first"),
        ({"steps": [1, 2]}, TypeError, r"steps: expected a tuple \(first, last\)"),
        ({"steps": (1.0, 2)}, TypeError, "steps: expected a tuple"),
    ],
)
def test_beam_tree_bad_input_is_named(kwargs, error, message):
    arguments = {"tree": small_tree(), **kwargs}
    with pytest.raises(error, match=message):
        draw_beam_tree(arguments.pop("tree"), **arguments)
