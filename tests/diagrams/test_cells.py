"""companion.diagrams.cells: the LSTM and GRU cells draw, carry the equations' symbols, and
highlight the additive path only when asked."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import same_color  # noqa: E402

from companion.diagrams._draw import HIGHLIGHTS  # noqa: E402
from companion.diagrams.cells import draw_gru_cell, draw_lstm_cell  # noqa: E402

LSTM_LABELS = {
    "$c_{t-1}$", "$c_t$", "$h_{t-1}$", "$h_t$", "$x_t$",
    "$i_t$", "$f_t$", "$g_t$", "$o_t$", r"$\sigma$", "tanh", "×", "+",
}  # fmt: skip
GRU_LABELS = {
    "$h_{t-1}$", "$h_t$", "$x_t$", "$r_t$", "$z_t$", "$n_t$",
    "$W_{hn}$", r"$\sigma$", "tanh", "×", "+", "1−",
}  # fmt: skip


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def _highlighted(ax):
    """Arrows and lines drawn in the highlight colour."""
    artists = [*ax.patches, *ax.lines]
    return [a for a in artists if same_color(a.get_edgecolor() if a in ax.patches
                                             else a.get_color(), HIGHLIGHTS[0])]  # fmt: skip


@pytest.mark.parametrize(
    "draw, labels", [(draw_lstm_cell, LSTM_LABELS), (draw_gru_cell, GRU_LABELS)]
)
def test_cell_draws_the_symbols_of_its_equations(draw, labels):
    ax = draw()
    texts = _texts(ax)
    assert labels <= set(texts), labels - set(texts)
    assert not _highlighted(ax)
    assert not ax.axison


def test_lstm_has_three_sigmoid_gates_and_a_tanh_candidate():
    texts = _texts(draw_lstm_cell())
    assert texts.count(r"$\sigma$") == 3
    assert texts.count("tanh") == 2  # the candidate g and tanh(c_t)
    assert texts.count("×") == 3 and texts.count("+") == 1


def test_gru_has_two_sigmoid_gates_and_one_minus_z():
    texts = _texts(draw_gru_cell())
    assert texts.count(r"$\sigma$") == 2 and texts.count("1−") == 1
    assert texts.count("×") == 3 and texts.count("+") == 1


@pytest.mark.parametrize(
    "draw, highlight, state",
    [(draw_lstm_cell, "cell", "$c$"), (draw_gru_cell, "update", "$h$")],
)
def test_highlight_marks_the_additive_path_and_names_the_gradient(draw, highlight, state):
    ax = draw(highlight=highlight)
    # the three arrows of the top path, the dashed note and its junction dots
    assert len(_highlighted(ax)) >= 4
    assert any("gradient back along" in t and state in t for t in _texts(ax))


def test_draws_into_a_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    assert draw_lstm_cell(ax=left) is left
    assert draw_gru_cell(ax=right) is right


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: draw_lstm_cell(highlight="update"), ValueError,
         "highlight: expected None or 'cell', got 'update'"),
        (lambda: draw_gru_cell(highlight="cell"), ValueError,
         "highlight: expected None or 'update', got 'cell'"),
        (lambda: draw_lstm_cell(ax=3), TypeError,
         "ax: expected a matplotlib Axes or None, got int"),
        (lambda: draw_gru_cell(ax="left"), TypeError,
         "ax: expected a matplotlib Axes or None, got str"),
    ],
)  # fmt: skip
def test_bad_input_names_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        draw_lstm_cell("cell")
