"""Drawing primitives shared by every diagram of the book: one palette, one set of shapes.

A diagram is drawn in data coordinates on an ``Axes`` with equal aspect and no axis lines
(:func:`canvas`). Shapes (:func:`node`, :func:`box`, :func:`op`) return a :class:`Shape`
that knows its outline, so that :func:`connect` draws an arrow that starts and ends on the
outlines rather than at the centres::

    ax = canvas(4, 2)
    x = node(ax, (1, 1), "$x_t$", kind="x")
    h = node(ax, (3, 1), "$h_t$", kind="h")
    connect(ax, x, h, label="$W_{xh}$")
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

if TYPE_CHECKING:  # matplotlib.typing is newer than the oldest matplotlib the package allows
    from matplotlib.typing import ColorType, LineStyleType

#: Fill colours by role: inputs, hidden states, outputs, the LSTM cell state, gates,
#: losses, element-wise operations, and states that are given rather than computed.
PALETTE: dict[str, str] = {
    "x": "#cfe2f3",
    "h": "#fce5cd",
    "y": "#d9ead3",
    "c": "#ead1dc",
    "gate": "#fff2cc",
    "loss": "#f4cccc",
    "op": "white",
    "given": "white",
    "attention": "#d9d2e9",
}
#: Two contrasting colours for highlighted paths (e.g. the two ways h_t reaches the loss).
HIGHLIGHTS: tuple[str, str] = ("#cc0000", "#1155cc")
#: The text size of labels on shapes; arrow labels are one point smaller.
FONTSIZE = 12

LegendEntry = tuple[str, "LineStyleType", float, str]
"""One line of :func:`legend_below`: (colour, line style, line width, text)."""


class Stroke(TypedDict, total=False):
    """How an arrow or a line is drawn, passed on as ``connect(ax, a, b, **stroke)``."""

    color: str
    linewidth: float
    linestyle: str


class Outline(TypedDict, total=False):
    """How a shape's outline is drawn, passed on as ``node(ax, xy, text, **outline)``."""

    edgecolor: str
    linewidth: float


@dataclass(frozen=True)
class Shape:
    """A drawn circle (``radius``) or box (``width``, ``height``) centred at ``center``."""

    center: tuple[float, float]
    radius: float | None = None
    width: float | None = None
    height: float | None = None

    def boundary_towards(self, point: tuple[float, float]) -> tuple[float, float]:
        """The point where the ray from the centre towards ``point`` leaves the outline."""
        cx, cy = self.center
        dx, dy = point[0] - cx, point[1] - cy
        length = math.hypot(dx, dy)
        if length == 0:
            return self.center
        if self.radius is not None:
            return cx + self.radius * dx / length, cy + self.radius * dy / length
        if self.width is None or self.height is None:
            raise TypeError("Shape: expected a radius, or a width and a height; got neither")
        # a box: scale the direction until it meets the nearer pair of sides
        scale = min(
            (self.width / 2) / abs(dx) if dx else math.inf,
            (self.height / 2) / abs(dy) if dy else math.inf,
        )
        return cx + dx * scale, cy + dy * scale


def _xy(xy: tuple[float, float]) -> tuple[float, float]:
    """``xy`` (a pair, a list or an array of two numbers) as the tuple a :class:`Shape` keeps."""
    x, y = xy
    return x, y


def _check_kind(kind: str) -> str:
    if kind not in PALETTE:
        raise ValueError(f"kind: expected one of {sorted(PALETTE)}, got {kind!r}")
    return PALETTE[kind]


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name}: expected a positive number, got {value!r}")


def canvas(
    width: float,
    height: float,
    *,
    ax: Axes | None = None,
    scale: float = 0.9,
    margin: float = 0.1,
) -> Axes:
    """An empty drawing area ``[0, width] x [0, height]`` in data units, equal aspect.

    With ``ax=None`` a new figure is made, ``scale`` inches per data unit.
    """
    _check_positive("width", width)
    _check_positive("height", height)
    _check_positive("scale", scale)
    if ax is None:
        _, ax = plt.subplots(figsize=(scale * (width + 2 * margin), scale * (height + 2 * margin)))
    ax.set_xlim(-margin, width + margin)
    ax.set_ylim(-margin, height + margin)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def node(
    ax: Axes,
    xy: tuple[float, float],
    text: str,
    *,
    kind: str = "h",
    radius: float = 0.32,
    fontsize: float = FONTSIZE,
    edgecolor: str = "black",
    linewidth: float = 1.0,
    linestyle: str = "-",
) -> Shape:
    """A circle for a vector (``$x_t$``, ``$h_t$`` ...) filled by its ``kind``."""
    _check_positive("radius", radius)
    ax.add_patch(
        Circle(
            xy,
            radius,
            facecolor=_check_kind(kind),
            edgecolor=edgecolor,
            linewidth=linewidth,
            linestyle=linestyle,
            zorder=2,
        )
    )
    ax.text(*xy, text, ha="center", va="center", fontsize=fontsize, zorder=3)
    return Shape(center=_xy(xy), radius=radius)


def box(
    ax: Axes,
    xy: tuple[float, float],
    text: str,
    *,
    width: float = 0.8,
    height: float = 0.5,
    kind: str = "gate",
    fontsize: float = FONTSIZE,
    edgecolor: str = "black",
    linewidth: float = 1.0,
) -> Shape:
    """A rounded box centred at ``xy``: a layer, a gate, a function such as tanh."""
    _check_positive("width", width)
    _check_positive("height", height)
    pad = 0.06 * min(width, height)
    ax.add_patch(
        FancyBboxPatch(
            (xy[0] - width / 2 + pad, xy[1] - height / 2 + pad),
            width - 2 * pad,
            height - 2 * pad,
            boxstyle=f"round,pad={pad}",
            facecolor=_check_kind(kind),
            edgecolor=edgecolor,
            linewidth=linewidth,
            zorder=2,
        )
    )
    ax.text(*xy, text, ha="center", va="center", fontsize=fontsize, zorder=3)
    return Shape(center=_xy(xy), width=width, height=height)


def op(ax: Axes, xy: tuple[float, float], symbol: str, *, radius: float = 0.17) -> Shape:
    """A small circle for an element-wise operation: ``"×"``, ``"+"``, ``"1−"``, ``"tanh"``."""
    return node(ax, xy, symbol, kind="op", radius=radius, fontsize=FONTSIZE - 2)


def point(xy: tuple[float, float]) -> Shape:
    """A bare point, to start or end an arrow where no shape is drawn."""
    return Shape(center=_xy(xy), radius=0.0)


def connect(
    ax: Axes,
    start: Shape,
    end: Shape,
    *,
    label: str | None = None,
    label_offset: tuple[float, float] = (0.0, 0.0),
    color: ColorType = "black",
    linewidth: float = 1.2,
    linestyle: str = "-",
    rad: float = 0.0,
    arrowstyle: str = "-|>",
    fontsize: float = FONTSIZE - 1,
    zorder: float = 1,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """An arrow from the outline of ``start`` to the outline of ``end``; returns its two ends.

    ``rad`` bends it (matplotlib's ``arc3`` connection: positive bends to the left of the
    direction of travel); ``label`` is written at the middle of the straight line between the
    two ends, moved by ``label_offset``.
    """
    if not isinstance(start, Shape) or not isinstance(end, Shape):
        raise TypeError(
            "start, end: expected Shapes returned by node(), box(), op() or point(), "
            f"got {type(start).__name__} and {type(end).__name__}"
        )
    a = start.boundary_towards(end.center)
    b = end.boundary_towards(start.center)
    ax.add_patch(
        FancyArrowPatch(
            a,
            b,
            arrowstyle=arrowstyle,
            mutation_scale=12,
            color=color,
            linewidth=linewidth,
            linestyle=linestyle,
            connectionstyle=f"arc3,rad={rad}",
            shrinkA=0,
            shrinkB=0,
            zorder=zorder,
        )
    )
    if label:
        middle = ((a[0] + b[0]) / 2 + label_offset[0], (a[1] + b[1]) / 2 + label_offset[1])
        ax.text(*middle, label, ha="center", va="center", fontsize=fontsize, color=color, zorder=3)
    return a, b


def polyline(
    ax: Axes,
    points: list[tuple[float, float]],
    *,
    color: str = "black",
    linewidth: float = 1.2,
    linestyle: str = "-",
    arrow: bool = True,
    zorder: float = 1,
) -> None:
    """A path through ``points`` with right angles where you put them, arrow at the end."""
    if len(points) < 2:
        raise ValueError(f"points: expected at least 2 points, got {len(points)}")
    xs, ys = zip(*points, strict=True)
    ax.plot(xs[:-1], ys[:-1], color=color, linewidth=linewidth, linestyle=linestyle, zorder=zorder)
    connect(
        ax,
        point(points[-2]),
        point(points[-1]),
        color=color,
        linewidth=linewidth,
        linestyle=linestyle,
        arrowstyle="-|>" if arrow else "-",
        zorder=zorder,
    )


def time_arrow(ax: Axes, x0: float, x1: float, y: float, *, label: str = "time") -> None:
    """A grey arrow along the bottom of a diagram saying which way time runs."""
    ax.annotate(
        label,
        xy=(x1, y),
        xytext=(x0, y),
        color="grey",
        va="center",
        fontsize=FONTSIZE - 2,
        arrowprops={"arrowstyle": "->", "color": "grey"},
    )


def legend_below(
    ax: Axes,
    entries: list[LegendEntry],
    *,
    columns: int = 1,
    fontsize: float = FONTSIZE - 1,
) -> None:
    """A legend under the drawing; ``entries`` are (colour, line style, line width, text)."""
    if not entries:
        raise ValueError("entries: expected at least one (colour, style, width, text), got none")
    handles = [Line2D([], [], color=c, linestyle=s, linewidth=w) for c, s, w, _ in entries]
    ax.legend(
        handles,
        [text for *_, text in entries],
        loc="upper center",
        bbox_to_anchor=(0.5, 0.01),
        frameon=False,
        ncol=columns,
        fontsize=fontsize,
    )
