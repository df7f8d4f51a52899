"""Recurrent networks unrolled in time: plain, stacked (deep) and bidirectional.

Every function draws one picture in the style of :mod:`companion.diagrams._draw` and returns
its ``Axes``; time runs left to right, inputs $x_t$ are at the bottom, outputs $y_t$ at the
top, as in the equations $a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h$, $h_t = \\tanh(a_t)$,
$y_t = h_t W_{hy} + b_y$ of chapter 3.
"""

from __future__ import annotations

from matplotlib.axes import Axes

from companion._validate import check_bool, check_int, check_positive_int
from companion.diagrams._draw import (
    FONTSIZE,
    HIGHLIGHTS,
    Outline,
    Shape,
    Stroke,
    canvas,
    connect,
    legend_below,
    node,
    point,
    time_arrow,
)

#: Horizontal distance between two time steps, vertical distance between two rows.
_DX, _DY = 1.5, 1.4
#: Height of the row of inputs; the time arrow runs below it.
_Y0 = 0.75
#: Line width of highlighted arrows and outlines.
_BOLD = 2.4


def _check_int(name: str, value: object, low: int, high: int) -> int:
    """``value`` if it is an int in ``[low, high]``; otherwise a TypeError/ValueError."""
    number = check_int(value, name)
    if not low <= number <= high:
        raise ValueError(f"{name}: expected an int in {low}..{high}, got {value}")
    return number


def _draw_folded(ax: Axes, cx: float) -> None:
    """One cell with its loop, centred at ``cx``, then an equals sign to its right."""
    x = node(ax, (cx, _Y0), "$x_t$", kind="x")
    h = node(ax, (cx, _Y0 + _DY), "$h_t$", kind="h")
    y = node(ax, (cx, _Y0 + 2 * _DY), "$y_t$", kind="y")
    connect(ax, x, h, label="$W_{xh}$", label_offset=(-0.38, 0))
    connect(ax, h, y, label="$W_{hy}$", label_offset=(-0.38, 0))
    # the loop leaves h_t on its upper right and comes back on its lower right
    hx, hy = h.center
    connect(
        ax,
        point(h.boundary_towards((hx + 0.6, hy + 0.8))),
        point(h.boundary_towards((hx + 0.6, hy - 0.8))),
        rad=-2.2,
        label="$W_{hh}$",
        label_offset=(1.0, 0),
    )
    ax.text(cx + 2.0, hy, "=", ha="center", va="center", fontsize=FONTSIZE + 8)


def draw_unrolled(
    steps: int = 4,
    *,
    two_paths_at: int | None = None,
    folded: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """A one-layer RNN unrolled over ``steps`` time steps, with $h_0$ at the left.

    Each column $t$ is one step: $x_t$ below, $h_t$ in the middle, $y_t$ above, the arrows
    labelled with the shared weights $W_{xh}$, $W_{hh}$, $W_{hy}$. With ``two_paths_at=t``
    the per-step losses $L_t$ are drawn above the $y_t$, and the two paths by which $h_t$
    reaches the loss are highlighted: $h_t \\to y_t \\to L_t$ (first colour of
    ``HIGHLIGHTS``) and $h_t \\to a_{t+1}$ (into $h_{t+1}$) and everything after it (second
    colour), with a legend saying which is which. ``folded=True`` also draws, at the left,
    the same network folded into one cell with a loop.

    Raises ``TypeError``/``ValueError`` naming the argument for a ``steps`` that is not an
    int >= 1, or a ``two_paths_at`` outside ``1..steps-1`` (step ``steps`` has no next step).
    """
    check_positive_int(steps, "steps")
    if two_paths_at is not None:
        if steps < 2:
            raise ValueError(f"two_paths_at: needs steps >= 2 (a next step), got steps={steps}")
        _check_int("two_paths_at", two_paths_at, 1, steps - 1)
    check_bool(folded, "folded")

    losses = two_paths_at is not None
    left = 2.75 if folded else 0.0  # where the unrolled half starts
    x0 = left + 0.45  # h_0
    rows = {"x": _Y0, "h": _Y0 + _DY, "y": _Y0 + 2 * _DY, "L": _Y0 + 3 * _DY}
    width = x0 + _DX * steps + 0.45
    height = (rows["L"] if losses else rows["y"]) + 0.45
    ax = canvas(width, height, ax=ax)
    if folded:
        _draw_folded(ax, 0.45)

    def style(path: int | None) -> Stroke:
        if path is None:
            return {}
        return {"color": HIGHLIGHTS[path], "linewidth": _BOLD}

    def path_of(t: int, output_side: bool) -> int | None:
        """Which highlighted path an arrow leaving h_t belongs to (None: neither)."""
        if two_paths_at is None or t < two_paths_at:
            return None
        if t == two_paths_at:
            return 0 if output_side else 1
        return 1

    def outline(path: int | None) -> Outline:
        return {} if path is None else {"edgecolor": HIGHLIGHTS[path], "linewidth": _BOLD}

    previous = node(ax, (x0, rows["h"]), "$h_0$", kind="given")
    for t in range(1, steps + 1):
        cx = x0 + _DX * t
        up = path_of(t, output_side=True)
        h_edge: Outline = (
            {"linewidth": _BOLD} if t == two_paths_at else outline(path_of(t - 1, False))
        )
        x = node(ax, (cx, rows["x"]), f"$x_{{{t}}}$", kind="x")
        h = node(ax, (cx, rows["h"]), f"$h_{{{t}}}$", kind="h", **h_edge)
        y = node(ax, (cx, rows["y"]), f"$y_{{{t}}}$", kind="y", **outline(up))
        connect(ax, x, h, label="$W_{xh}$", label_offset=(-0.38, 0))
        connect(ax, h, y, label="$W_{hy}$", label_offset=(-0.38, 0), **style(up))
        connect(
            ax,
            previous,
            h,
            label="$W_{hh}$",
            label_offset=(0, 0.22),
            **style(path_of(t - 1, output_side=False)),
        )
        if losses:
            loss = node(ax, (cx, rows["L"]), f"$L_{{{t}}}$", kind="loss", **outline(up))
            connect(ax, y, loss, **style(up))
        previous = h
    time_arrow(ax, x0 + _DX - 0.4, width - 0.05, 0.1)

    if two_paths_at is not None:
        t, n = two_paths_at, two_paths_at + 1
        legend_below(
            ax,
            [
                (HIGHLIGHTS[0], "-", _BOLD, f"path 1: $h_{{{t}}} \\to y_{{{t}}} \\to L_{{{t}}}$"),
                (
                    HIGHLIGHTS[1],
                    "-",
                    _BOLD,
                    f"path 2: $h_{{{t}}} \\to a_{{{n}}} \\to h_{{{n}}} \\to$ every later"
                    f" step and loss, $L_{{{n}}}$ to $L_{{{steps}}}$",
                ),
            ],
        )
    return ax


def draw_stacked(
    num_layers: int = 2,
    steps: int = 4,
    *,
    dropout: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """A deep (stacked) RNN of ``num_layers`` layers unrolled over ``steps`` time steps.

    Layer $l$ has its own hidden states $h^{(l)}_t$, its own initial state $h^{(l)}_0$ at
    the left and its own recurrent arrows; its state at step $t$ is the input of layer
    $l + 1$ at the same step; $x_t$ enters layer 1 and the top layer gives $y_t$. With
    ``dropout=True`` every non-recurrent (vertical) arrow is dashed in the first
    ``HIGHLIGHTS`` colour: that is where dropout is applied (on the input, between layers,
    before the output) following Zaremba et al. (2014), never on the recurrent arrows; a
    legend says so.

    Raises ``TypeError``/``ValueError`` naming the argument for ``num_layers`` or ``steps``
    that are not ints >= 1, or a ``dropout`` that is not a bool.
    """
    check_positive_int(num_layers, "num_layers")
    check_positive_int(steps, "steps")
    check_bool(dropout, "dropout")

    x0 = 0.5
    width = x0 + _DX * steps + 1.55  # room for the layer names at the right
    height = _Y0 + _DY * (num_layers + 1) + 0.45
    ax = canvas(width, height, ax=ax)
    vertical: Stroke = (
        {"color": HIGHLIGHTS[0], "linestyle": "--", "linewidth": 1.8} if dropout else {}
    )

    below: list[Shape] = [
        node(ax, (x0 + _DX * t, _Y0), f"$x_{{{t}}}$", kind="x") for t in range(1, steps + 1)
    ]
    for layer in range(1, num_layers + 1):
        row = _Y0 + _DY * layer
        previous = node(ax, (x0, row), f"$h^{{({layer})}}_0$", kind="given", radius=0.36)
        current = []
        for t in range(1, steps + 1):
            h = node(
                ax,
                (x0 + _DX * t, row),
                f"$h^{{({layer})}}_{{{t}}}$",
                kind="h",
                radius=0.36,
            )
            connect(ax, below[t - 1], h, **vertical)
            connect(ax, previous, h)
            current.append(h)
            previous = h
        ax.text(
            x0 + _DX * steps + 0.55,
            row,
            f"layer {layer}",
            ha="left",
            va="center",
            fontsize=FONTSIZE - 1,
        )
        below = current
    row = _Y0 + _DY * (num_layers + 1)
    for t in range(1, steps + 1):
        y = node(ax, (x0 + _DX * t, row), f"$y_{{{t}}}$", kind="y")
        connect(ax, below[t - 1], y, **vertical)
    time_arrow(ax, x0 + _DX - 0.4, x0 + _DX * steps + 0.4, 0.1)
    if dropout:
        legend_below(
            ax,
            [
                (
                    HIGHLIGHTS[0],
                    "--",
                    _BOLD,
                    "dropout: on inputs, between layers and before outputs",
                ),
                ("black", "-", _BOLD, "recurrent connections: no dropout"),
            ],
        )
    return ax


def draw_bidirectional(
    steps: int = 4,
    *,
    sees_from: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A bidirectional RNN unrolled over ``steps`` time steps.

    Both rows read every $x_t$: the forward row runs left to right from
    $\\overrightarrow{h}_0$, the backward row right to left from
    $\\overleftarrow{h}_{T+1}$, and the output $y_t$ reads the two states of its step,
    concatenated: $y_t = [\\overrightarrow{h}_t, \\overleftarrow{h}_t]\\, W_{hy} + b_y$.
    With ``sees_from=t`` everything $y_t$ depends on is highlighted: every input, the
    forward states up to step $t$ (first ``HIGHLIGHTS`` colour) and the backward states
    from step $t$ on (second colour), with a legend.

    Raises ``TypeError``/``ValueError`` naming the argument for a ``steps`` that is not an
    int >= 1, or a ``sees_from`` outside ``1..steps``.
    """
    check_positive_int(steps, "steps")
    if sees_from is not None:
        _check_int("sees_from", sees_from, 1, steps)

    x0 = 1.55  # the forward initial state; the row names go to its left
    width = x0 + _DX * (steps + 1) + 0.45
    rows = {"x": _Y0, "f": _Y0 + _DY, "b": _Y0 + 2 * _DY, "y": _Y0 + 3 * _DY}
    ax = canvas(width, rows["y"] + 0.45, ax=ax)
    highlight = sees_from is not None

    def forward_used(t: int) -> bool:
        return sees_from is not None and t <= sees_from

    def backward_used(t: int) -> bool:
        return sees_from is not None and t >= sees_from

    def style(used: bool, colour: str) -> Stroke:
        return {"color": colour, "linewidth": _BOLD} if used else {}

    def outline(used: bool, colour: str) -> Outline:
        return {"edgecolor": colour, "linewidth": _BOLD} if used else {}

    red, blue = HIGHLIGHTS
    right_arrow, left_arrow = "\\overrightarrow{h}", "\\overleftarrow{h}"
    xs, fwd, bwd = {}, {}, {}
    fwd[0] = node(
        ax,
        (x0, rows["f"]),
        f"${right_arrow}_0$",
        kind="given",
        radius=0.36,
        **outline(highlight, red),
    )
    bwd[steps + 1] = node(
        ax,
        (x0 + _DX * (steps + 1), rows["b"]),
        f"${left_arrow}_{{{steps + 1}}}$",
        kind="given",
        radius=0.36,
        **outline(highlight, blue),
    )
    for t in range(1, steps + 1):
        cx = x0 + _DX * t
        xs[t] = node(ax, (cx, rows["x"]), f"$x_{{{t}}}$", kind="x", **outline(highlight, "black"))
        fwd[t] = node(
            ax,
            (cx, rows["f"]),
            f"${right_arrow}_{{{t}}}$",
            kind="h",
            radius=0.36,
            **outline(forward_used(t), red),
        )
        bwd[t] = node(
            ax,
            (cx, rows["b"]),
            f"${left_arrow}_{{{t}}}$",
            kind="h",
            radius=0.36,
            **outline(backward_used(t), blue),
        )
    for t in range(1, steps + 1):
        chosen = t == sees_from
        y = node(
            ax,
            (x0 + _DX * t, rows["y"]),
            f"$y_{{{t}}}$",
            kind="y",
            **outline(chosen, "black"),
        )
        connect(ax, xs[t], fwd[t], **style(forward_used(t), red))
        # the arrows that skip a row bend around the node in between
        connect(ax, xs[t], bwd[t], rad=0.45, **style(backward_used(t), blue))
        connect(ax, fwd[t - 1], fwd[t], **style(forward_used(t), red))
        connect(ax, bwd[t + 1], bwd[t], **style(backward_used(t), blue))
        connect(ax, fwd[t], y, rad=-0.45, **style(chosen, red))
        connect(ax, bwd[t], y, **style(chosen, blue))
    for key, name in (("f", "forward"), ("b", "backward")):
        ax.text(0.0, rows[key], name, ha="left", va="center", fontsize=FONTSIZE - 1)
    time_arrow(ax, x0 + _DX - 0.4, x0 + _DX * steps + 0.4, 0.1)
    if sees_from is not None:
        t = sees_from
        legend_below(
            ax,
            [
                (
                    red,
                    "-",
                    _BOLD,
                    f"forward: $x_1 \\ldots x_{{{t}}}$ through ${right_arrow}_{{{t}}}$",
                ),
                (
                    blue,
                    "-",
                    _BOLD,
                    f"backward: $x_{{{t}}} \\ldots x_{{{steps}}}$ through ${left_arrow}_{{{t}}}$",
                ),
            ],
        )
    return ax
