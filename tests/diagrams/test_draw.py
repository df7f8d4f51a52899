"""companion.diagrams._draw: shapes know their outlines; arrows end on them; bad input is named."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import math  # noqa: E402

import pytest  # noqa: E402

from companion.diagrams._draw import (  # noqa: E402
    PALETTE,
    Shape,
    box,
    canvas,
    connect,
    legend_below,
    node,
    op,
    point,
    polyline,
    time_arrow,
)


def test_circle_boundary_is_radius_away_towards_the_target():
    shape = Shape(center=(1.0, 1.0), radius=0.5)
    x, y = shape.boundary_towards((4.0, 5.0))
    assert math.hypot(x - 1, y - 1) == pytest.approx(0.5)
    assert (x - 1) / (y - 1) == pytest.approx(3 / 4)


def test_box_boundary_lies_on_the_nearer_side():
    shape = Shape(center=(0.0, 0.0), width=2.0, height=1.0)
    assert shape.boundary_towards((10.0, 0.0)) == pytest.approx((1.0, 0.0))
    assert shape.boundary_towards((0.0, -3.0)) == pytest.approx((0.0, -0.5))
    # a diagonal towards (2, 2) leaves through the top side (half-height 0.5 < half-width 1)
    assert shape.boundary_towards((2.0, 2.0)) == pytest.approx((0.5, 0.5))


def test_boundary_towards_own_centre_is_the_centre():
    assert Shape(center=(2.0, 3.0), radius=1.0).boundary_towards((2.0, 3.0)) == (2.0, 3.0)


def test_a_small_diagram_draws_its_shapes_text_and_arrow():
    ax = canvas(4, 2)
    x = node(ax, (1, 1), "$x_t$", kind="x")
    g = box(ax, (3, 1), "tanh", width=1.0)
    start, end = connect(ax, x, g, label="$W_{xh}$")
    op(ax, (2, 0.3), "×")
    polyline(ax, [(0, 0), (0, 2), (1, 2)])
    time_arrow(ax, 0, 4, 0.0)
    texts = [t.get_text() for t in ax.texts]
    assert {"$x_t$", "tanh", "$W_{xh}$", "×", "time"} <= set(texts)
    assert len(ax.patches) >= 4
    # the arrow starts on the circle's outline and ends on the box's left side
    assert start == pytest.approx((1.32, 1.0))
    assert end == pytest.approx((2.5, 1.0))
    assert ax.get_aspect() == 1.0
    assert not ax.axison


def test_node_fill_follows_its_kind():
    ax = canvas(2, 2)
    node(ax, (1, 1), "h", kind="c")
    assert matplotlib.colors.to_hex(ax.patches[0].get_facecolor()) == PALETTE["c"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda ax: node(ax, (0, 0), "h", kind="hidden"), "kind: expected one of"),
        (lambda ax: node(ax, (0, 0), "h", radius=0), "radius: expected a positive number"),
        (lambda ax: box(ax, (0, 0), "g", width=-1), "width: expected a positive number"),
        (lambda ax: polyline(ax, [(0, 0)]), "points: expected at least 2 points, got 1"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    ax = canvas(2, 2)
    with pytest.raises(ValueError, match=message):
        call(ax)


def test_canvas_rejects_a_non_positive_size():
    with pytest.raises(ValueError, match="height: expected a positive number, got 0"):
        canvas(3, 0)


def test_connect_needs_shapes():
    ax = canvas(2, 2)
    with pytest.raises(TypeError, match="start, end: expected Shapes"):
        connect(ax, (0, 0), point((1, 1)))


def test_legend_below_lists_its_entries_in_order():
    ax = canvas(2, 2)
    legend_below(ax, [("red", "-", 2.0, "path 1"), ("blue", ":", 1.0, "path 2")], columns=2)
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["path 1", "path 2"]
    assert [h.get_linestyle() for h in legend.legend_handles] == ["-", ":"]
    with pytest.raises(ValueError, match="entries: expected at least one"):
        legend_below(ax, [])
