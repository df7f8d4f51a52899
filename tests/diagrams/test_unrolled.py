"""companion.diagrams.unrolled: the unrolled, stacked and bidirectional RNN pictures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import re  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch  # noqa: E402

from companion.diagrams._draw import HIGHLIGHTS  # noqa: E402
from companion.diagrams.unrolled import (  # noqa: E402
    draw_bidirectional,
    draw_stacked,
    draw_unrolled,
)


def texts(ax):
    return [t.get_text() for t in ax.texts]


def arrows_coloured(ax, colour):
    """How many arrows are drawn in ``colour``."""
    return sum(
        isinstance(p, FancyArrowPatch) and to_hex(p.get_edgecolor()) == colour for p in ax.patches
    )


def legend_texts(ax):
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def test_unrolled_has_one_column_per_step_and_the_shared_weights():
    ax = draw_unrolled(3)
    labels = texts(ax)
    for t in (1, 2, 3):
        assert {f"$x_{{{t}}}$", f"$h_{{{t}}}$", f"$y_{{{t}}}$"} <= set(labels)
    assert "$h_0$" in labels and "$x_{4}$" not in labels
    assert labels.count("$W_{hh}$") == 3 and labels.count("$W_{xh}$") == 3
    assert not any(label.startswith("$L_") for label in labels)  # no losses unless asked
    assert arrows_coloured(ax, HIGHLIGHTS[0]) == arrows_coloured(ax, HIGHLIGHTS[1]) == 0
    assert ax.get_legend() is None


def test_two_paths_draws_the_losses_and_colours_both_paths():
    ax = draw_unrolled(4, two_paths_at=2)
    assert {"$L_{1}$", "$L_{2}$", "$L_{3}$", "$L_{4}$"} <= set(texts(ax))
    # path 1: h_2 -> y_2 -> L_2; path 2: h_2 -> h_3, then for steps 3 and 4 the read-out,
    # the loss, and h_3 -> h_4
    assert arrows_coloured(ax, HIGHLIGHTS[0]) == 2
    assert arrows_coloured(ax, HIGHLIGHTS[1]) == 1 + 2 * 2 + 1
    first, second = legend_texts(ax)
    assert "h_{2}" in first and "L_{2}" in first
    assert "a_{3}" in second and "L_{4}" in second


def test_folded_adds_the_cell_with_its_loop():
    labels = texts(draw_unrolled(2, folded=True))
    assert {"$x_t$", "$h_t$", "$y_t$", "="} <= set(labels)
    assert labels.count("$W_{hh}$") == 1 + 2


def test_drawing_on_a_given_axes_returns_it():
    _, ax = plt.subplots()
    assert draw_unrolled(2, ax=ax) is ax
    assert draw_stacked(1, 2, ax=ax) is ax
    assert draw_bidirectional(2, ax=ax) is ax


def test_stacked_has_a_row_per_layer():
    ax = draw_stacked(3, 2)
    labels = texts(ax)
    for layer in (1, 2, 3):
        assert f"layer {layer}" in labels
        assert f"$h^{{({layer})}}_0$" in labels and f"$h^{{({layer})}}_{{2}}$" in labels
    assert {"$x_{1}$", "$y_{2}$"} <= set(labels)
    assert ax.get_legend() is None


def test_stacked_dropout_marks_exactly_the_vertical_arrows():
    num_layers, steps = 2, 3
    ax = draw_stacked(num_layers, steps, dropout=True)
    dashed = [
        p
        for p in ax.patches
        if isinstance(p, FancyArrowPatch) and to_hex(p.get_edgecolor()) == HIGHLIGHTS[0]
    ]
    # input -> layer 1, layer 1 -> layer 2, layer 2 -> output, at every step
    assert len(dashed) == (num_layers + 1) * steps
    assert all(p.get_linestyle() == "--" for p in dashed)
    assert any("dropout" in text for text in legend_texts(ax))
    assert any("no dropout" in text for text in legend_texts(ax))


def test_bidirectional_has_both_rows_and_their_initial_states():
    labels = texts(draw_bidirectional(3))
    assert {"forward", "backward", "$\\overrightarrow{h}_0$", "$\\overleftarrow{h}_{4}$"} <= set(
        labels
    )
    for t in (1, 2, 3):
        assert f"$\\overrightarrow{{h}}_{{{t}}}$" in labels
        assert f"$\\overleftarrow{{h}}_{{{t}}}$" in labels


def outline_of(ax, label):
    """The edge colour of the circle whose centre carries ``label``."""
    (text,) = [t for t in ax.texts if t.get_text() == label]
    (circle,) = [
        p
        for p in ax.patches
        if isinstance(p, Circle) and p.center == pytest.approx(text.get_position())
    ]
    return to_hex(circle.get_edgecolor())


def test_sees_from_highlights_what_the_output_depends_on():
    ax = draw_bidirectional(4, sees_from=2)
    red, blue = HIGHLIGHTS
    assert [outline_of(ax, f"$\\overrightarrow{{h}}_{{{t}}}$") for t in (1, 2, 3)] == [
        red,
        red,
        "#000000",
    ]
    assert [outline_of(ax, f"$\\overleftarrow{{h}}_{{{t}}}$") for t in (1, 2, 3, 4)] == [
        "#000000",
        blue,
        blue,
        blue,
    ]
    # forward: x_1, x_2 in; two recurrent arrows; out to y_2. backward: x_2..x_4 in;
    # three recurrent arrows (from the initial state h_5 on); out to y_2
    assert arrows_coloured(ax, red) == 2 + 2 + 1
    assert arrows_coloured(ax, blue) == 3 + 3 + 1
    assert len(legend_texts(ax)) == 2


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: draw_unrolled(0), ValueError, "steps: expected a positive int, got 0"),
        (
            lambda: draw_unrolled(2.0),
            TypeError,
            "steps: expected a positive int, got 2.0 of type float",
        ),
        (
            lambda: draw_unrolled(True),
            TypeError,
            "steps: expected a positive int, got True of type bool",
        ),
        (
            lambda: draw_unrolled(4, two_paths_at=4),
            ValueError,
            "two_paths_at: expected an int in 1..3, got 4",
        ),
        (
            lambda: draw_unrolled(4, two_paths_at=0),
            ValueError,
            "two_paths_at: expected an int in 1..3, got 0",
        ),
        (lambda: draw_unrolled(1, two_paths_at=1), ValueError, "two_paths_at: needs steps >= 2"),
        (
            lambda: draw_unrolled(4, folded=1),
            TypeError,
            "folded: expected a bool (True or False), got 1 of type int",
        ),
        (lambda: draw_stacked(0), ValueError, "num_layers: expected a positive int, got 0"),
        (lambda: draw_stacked(2, -1), ValueError, "steps: expected a positive int, got -1"),
        (
            lambda: draw_stacked(2, 3, dropout=0.5),
            TypeError,
            "dropout: expected a bool (True or False), got 0.5 of type float",
        ),
        (
            lambda: draw_bidirectional("4"),
            TypeError,
            "steps: expected a positive int, got '4' of type str",
        ),
        (
            lambda: draw_bidirectional(3, sees_from=4),
            ValueError,
            "sees_from: expected an int in 1..3, got 4",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()
