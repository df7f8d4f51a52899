"""Diagrams of one LSTM step and one GRU step, with the symbols of the book's equations.

Boxes are layers with their own weights (a sigmoid gate, the tanh candidate), small circles
element-wise operations; the state that is updated by a sum runs straight along the top::

    from companion.diagrams.cells import draw_gru_cell, draw_lstm_cell

    draw_lstm_cell(highlight="cell")   # in red: the additive path the gradient goes back on

The LSTM is drawn with PyTorch's gates ``i, f, g, o`` and cell state ``c``; the GRU with
``r, z, n``, its reset gate applied after the recurrent matrix product as in PyTorch.
"""

from __future__ import annotations

from typing import TypedDict

from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch

from companion.diagrams._draw import (
    FONTSIZE,
    HIGHLIGHTS,
    Shape,
    Stroke,
    box,
    canvas,
    connect,
    node,
    op,
    point,
    polyline,
)


class _Size(TypedDict):
    """The keyword arguments ``width`` and ``height`` of :func:`box`."""

    width: float
    height: float


#: The width of a highlighted path, against 1.2 for an ordinary one.
_BOLD = 3.0
#: Radius of a state (a circle with c or h in it) and size of a gate box.
_STATE = 0.4
_GATE: _Size = {"width": 0.72, "height": 0.5}


def _state(ax: Axes, xy: tuple[float, float], text: str, kind: str) -> Shape:
    """A state entering or leaving the cell: a circle with its symbol, filled by kind."""
    return node(ax, xy, text, kind=kind, radius=_STATE, fontsize=FONTSIZE - 1)


def _check_highlight(highlight: str | None, allowed: str) -> bool:
    if highlight is not None and highlight != allowed:
        raise ValueError(f"highlight: expected None or {allowed!r}, got {highlight!r}")
    return highlight is not None


def _check_ax(ax: Axes | None) -> None:
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax: expected a matplotlib Axes or None, got {type(ax).__name__}")


def _frame(ax: Axes, x0: float, y0: float, x1: float, y1: float, title: str) -> None:
    """The outline of the cell: a light rounded rectangle behind everything, titled."""
    ax.add_patch(
        FancyBboxPatch(
            (x0, y0),
            x1 - x0,
            y1 - y0,
            boxstyle="round,pad=0.05",
            facecolor="#f3f3f3",
            edgecolor="#999999",
            linewidth=1.0,
            zorder=0,
        )
    )
    ax.text(x0 + 0.12, y1 - 0.2, title, fontsize=FONTSIZE - 2, color="#555555", zorder=3)


def _dot(ax: Axes, xy: tuple[float, float], color: str = "black") -> None:
    """A junction: where a line splits into two that carry the same values."""
    ax.plot(*xy, "o", color=color, markersize=4.5, zorder=4)


def _line(ax: Axes, points: list[tuple[float, float]]) -> None:
    """A path without an arrowhead, e.g. the line that carries h_{t-1} and x_t to the gates."""
    polyline(ax, points, arrow=False)


def _gap(ax: Axes, xy: tuple[float, float], *, vertical: bool) -> None:
    """Cut the line under a crossing, so that the line drawn over it reads as a bridge."""
    x, y = xy
    xs, ys = ([x, x], [y - 0.13, y + 0.13]) if vertical else ([x - 0.13, x + 0.13], [y, y])
    ax.plot(xs, ys, color="#f3f3f3", linewidth=5, solid_capstyle="butt", zorder=1.1)


def _gradient_note(ax: Axes, x0: float, x1: float, y: float, text: str) -> None:
    """A dashed arrow pointing back in time over the highlighted path, with its label."""
    color = HIGHLIGHTS[0]
    connect(ax, point((x1, y)), point((x0, y)), color=color, linestyle="--", linewidth=1.2)
    ax.text((x0 + x1) / 2, y + 0.22, text, ha="center", va="center", color=color,
            fontsize=FONTSIZE - 1, zorder=3)  # fmt: skip


def draw_lstm_cell(*, highlight: str | None = None, ax: Axes | None = None) -> Axes:
    """One step of an LSTM: gates ``i, f, g, o``, cell state ``c_{t-1} -> c_t`` on top.

    ``h_{t-1}`` and ``x_t`` enter at the bottom left and feed the four gate boxes, each of
    which applies its function to its own affine map of both (``sigma`` for ``i, f, o``,
    ``tanh`` for the candidate ``g``); ``c_t = f_t * c_{t-1} + i_t * g_t`` runs along the
    top, and ``h_t = o_t * tanh(c_t)`` leaves at the bottom right. ``highlight="cell"``
    draws the cell-state path in red with a note that the gradient passes back along it
    multiplied by ``diag(f_t)`` only. ``ax=None`` makes a new figure. Returns the Axes.
    """
    bold = _check_highlight(highlight, "cell")
    _check_ax(ax)
    ax = canvas(10.0, 5.8, ax=ax, scale=0.72)
    y_c, y_p, y_g, y_b, y_x = 4.75, 3.65, 2.45, 1.35, 0.37
    _frame(ax, 1.05, 0.82, 8.95, 5.2, "LSTM cell")

    c_prev = _state(ax, (0.42, y_c), "$c_{t-1}$", "c")
    c_next = _state(ax, (9.58, y_c), "$c_t$", "c")
    h_prev = _state(ax, (0.42, y_b), "$h_{t-1}$", "h")
    h_next = _state(ax, (9.58, y_b), "$h_t$", "h")
    x_in = _state(ax, (2.0, y_x), "$x_t$", "x")

    # the four gates on the bus that carries h_{t-1} and x_t
    xf, xi, xg, xo = 3.0, 4.25, 5.35, 6.65
    gates = {
        name: box(ax, (x, y_g), text, **_GATE)
        for name, x, text in (("f", xf, r"$\sigma$"), ("i", xi, r"$\sigma$"),
                              ("g", xg, "tanh"), ("o", xo, r"$\sigma$"))
    }  # fmt: skip
    _line(ax, [h_prev.boundary_towards((xo, y_b)), (xo, y_b), (xo, y_g - 0.25)])
    connect(ax, point((xo, y_b)), gates["o"])
    for x in (xf, xi, xg):
        _dot(ax, (x, y_b))
        connect(ax, point((x, y_b)), gates[{xf: "f", xi: "i", xg: "g"}[x]])
    _line(ax, [x_in.boundary_towards((2.0, y_b)), (2.0, y_b)])
    _dot(ax, (2.0, y_b))

    # the cell state: c_t = f_t * c_{t-1} + i_t * g_t, straight along the top
    style: Stroke = {"color": HIGHLIGHTS[0], "linewidth": _BOLD} if bold else {}
    forget = op(ax, (xf, y_c), "×")
    add = op(ax, (xg, y_c), "+")
    write = op(ax, (xg, y_p), "×")
    connect(ax, c_prev, forget, **style)
    connect(ax, forget, add, **style)
    connect(ax, add, c_next, **style)
    connect(ax, gates["f"], forget, label="$f_t$", label_offset=(-0.22, 0.0))
    polyline(ax, [(xi, y_g + 0.25), (xi, y_p), write.boundary_towards((0.0, y_p))])
    ax.text(xi - 0.22, (y_g + y_p) / 2, "$i_t$", ha="center", va="center", fontsize=FONTSIZE - 1)
    connect(ax, gates["g"], write, label="$g_t$", label_offset=(0.22, 0.0))
    connect(ax, write, add)

    # the hidden state: h_t = o_t * tanh(c_t)
    x_out = 7.85
    _dot(ax, (x_out, y_c), color=HIGHLIGHTS[0] if bold else "black")
    squash = node(ax, (x_out, y_p), "tanh", kind="op", radius=0.28, fontsize=FONTSIZE - 2)
    show = op(ax, (x_out, y_g), "×")
    connect(ax, point((x_out, y_c)), squash)
    connect(ax, squash, show)
    connect(ax, gates["o"], show, label="$o_t$", label_offset=(0.0, 0.2))
    polyline(ax, [(x_out, y_g - 0.17), (x_out, y_b), h_next.boundary_towards((0.0, y_b))])
    if bold:
        note = r"gradient back along $c$: $\times\, f_t$ per step"
        _gradient_note(ax, 0.9, 9.1, y_c + 0.62, note)
    return ax


def draw_gru_cell(*, highlight: str | None = None, ax: Axes | None = None) -> Axes:
    """One step of a GRU: gates ``r, z``, candidate ``n``, state ``h_{t-1} -> h_t`` on top.

    ``h_t = (1 - z_t) * n_t + z_t * h_{t-1}`` runs along the top; the reset gate ``r_t``
    multiplies ``h_{t-1} W_hn + b_hn`` after the matrix product, as PyTorch computes it,
    and the candidate box adds ``x_t W_xn + b_xn`` before its tanh. The gate boxes ``r`` and
    ``z`` read ``h_{t-1}`` and ``x_t``; the candidate reads ``x_t`` directly (its line
    bridges the bus). ``highlight="update"`` draws the path ``h_{t-1} -> h_t`` in red, with
    a note that the gradient passes back along it multiplied by ``diag(z_t)``. ``ax=None``
    makes a new figure. Returns the Axes.
    """
    bold = _check_highlight(highlight, "update")
    _check_ax(ax)
    ax = canvas(9.6, 5.8, ax=ax, scale=0.72)
    y_h, y_1, y_w, y_r, y_g, y_b, y_j, y_x = 4.85, 4.05, 3.85, 3.05, 2.2, 1.4, 0.95, 0.37
    _frame(ax, 0.95, 0.68, 8.55, 5.3, "GRU cell")

    h_prev = _state(ax, (0.42, y_h), "$h_{t-1}$", "h")
    h_next = _state(ax, (9.18, y_h), "$h_t$", "h")
    x_r, x_n, x_z, x_plus = 2.2, 3.65, 5.2, 7.05
    x_in = _state(ax, (x_n, y_x), "$x_t$", "x")

    # the bus: h_{t-1} drops at the left, x_t joins it; r and z read both
    x_drop, x_join = 1.25, 1.8
    _dot(ax, (x_drop, y_h), color=HIGHLIGHTS[0] if bold else "black")
    _line(ax, [(x_drop, y_h), (x_drop, y_b), (x_z, y_b)])
    reset = box(ax, (x_r, y_g), r"$\sigma$", **_GATE)
    update = box(ax, (x_z, y_r), r"$\sigma$", **_GATE)
    _dot(ax, (x_r, y_b))
    connect(ax, point((x_r, y_b)), reset)
    _gap(ax, (x_z, y_g), vertical=True)
    connect(ax, point((x_z, y_b)), update)
    # x_t: straight up into the candidate (over the bus), and into the bus
    candidate = box(ax, (x_n, y_g), "tanh", **_GATE)
    _gap(ax, (x_n, y_b), vertical=False)
    polyline(ax, [x_in.boundary_towards((x_n, 9.0)), (x_n, y_g - 0.25)], zorder=1.2)
    _dot(ax, (x_n, y_j))
    _line(ax, [(x_n, y_j), (x_join, y_j), (x_join, y_b)])
    _dot(ax, (x_join, y_b))

    # the candidate: n_t = tanh(x_t W_xn + b_xn + r_t * (h_{t-1} W_hn + b_hn))
    _dot(ax, (x_n, y_h), color=HIGHLIGHTS[0] if bold else "black")
    project = box(ax, (x_n, y_w), "$W_{hn}$", width=0.72, height=0.42, kind="op")
    gate_reset = op(ax, (x_n, y_r), "×")
    connect(ax, point((x_n, y_h)), project)
    connect(ax, project, gate_reset)
    connect(ax, gate_reset, candidate)
    polyline(ax, [(x_r, y_g + 0.25), (x_r, y_r), gate_reset.boundary_towards((0.0, y_r))])
    ax.text((x_r + x_n) / 2, y_r + 0.2, "$r_t$", ha="center", va="center", fontsize=FONTSIZE - 1)

    # the state: h_t = (1 - z_t) * n_t + z_t * h_{t-1}, straight along the top
    style: Stroke = {"color": HIGHLIGHTS[0], "linewidth": _BOLD} if bold else {}
    keep = op(ax, (x_z, y_h), "×")
    add = op(ax, (x_plus, y_h), "+")
    mix = op(ax, (x_plus, y_1), "×")
    flip = op(ax, ((x_z + x_plus) / 2, y_1), "1−", radius=0.24)
    connect(ax, h_prev, keep, **style)
    connect(ax, keep, add, **style)
    connect(ax, add, h_next, **style)
    connect(ax, update, keep)
    ax.text(x_z - 0.22, (y_r + y_1) / 2, "$z_t$", ha="center", va="center", fontsize=FONTSIZE - 1)
    _dot(ax, (x_z, y_1))
    connect(ax, point((x_z, y_1)), flip)
    connect(ax, flip, mix)
    polyline(ax, [candidate.boundary_towards((9.0, y_g)), (x_plus, y_g), (x_plus, y_1 - 0.17)],
             zorder=1.2)  # fmt: skip
    ax.text((x_z + x_plus) / 2 + 0.2, y_g + 0.2, "$n_t$", ha="center", va="center",
            fontsize=FONTSIZE - 1)  # fmt: skip
    connect(ax, mix, add)
    if bold:
        note = r"gradient back along $h$: $\times\, z_t$ per step"
        _gradient_note(ax, 0.8, 8.8, y_h + 0.62, note)
    return ax
