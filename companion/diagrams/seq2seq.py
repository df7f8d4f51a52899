"""The encoder-decoder with attention, and the tree that beam search explores.

* :func:`draw_encoder_decoder`: encoder states $h_j$ over the source tokens, decoder states
  $s_t$ over the target, each decoder step fed the previous target token (teacher
  forcing), and at one step $t$ the attention weights $\\alpha_{tj}$ that combine the
  encoder states into the context $c_t$, as in the equations of the translation section.
* :func:`draw_beam_tree`: a :class:`companion.nn.seq2seq.BeamTree` recorded by
  ``Seq2Seq.beam_search(..., return_tree=True)``: every node a token with the model's
  cumulative log-probability, the kept partial outputs, the pruned candidates in grey, and
  the output the search returned highlighted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from companion.diagrams._draw import (
    FONTSIZE,
    HIGHLIGHTS,
    LegendEntry,
    Shape,
    box,
    canvas,
    connect,
    legend_below,
    node,
    point,
    polyline,
)
from companion.nn.seq2seq import BeamTree

#: Horizontal distance between two positions; rows of tokens, states and outputs.
_DX = 1.0
_Y_IN, _Y_STATE, _Y_OUT, _Y_CONTEXT = 0.45, 1.65, 2.85, 3.75
#: Gap between the encoder and the decoder, in units of _DX.
_GAP = 0.9
#: Line width of highlighted arrows and outlines.
_BOLD = 2.4
_GREY = "#999999"


def _check_tokens(name: str, tokens: object) -> list[str]:
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise TypeError(
            f"{name}: expected a sequence of token strings, got {type(tokens).__name__}"
        )
    if len(tokens) == 0:
        raise ValueError(f"{name}: expected at least one token, got none")
    for token in tokens:
        if not isinstance(token, str):
            raise TypeError(f"{name}: expected strings, got a {type(token).__name__} {token!r}")
    return list(tokens)


def _shown(token: str) -> str:
    """A token as drawn: a space as the visible '␣', a dollar sign escaped for mathtext."""
    return {" ": "\u2423", "$": r"\$"}.get(token, token.replace("<", "‹").replace(">", "›"))


def _decoder_token(ax: Axes, xy: tuple[float, float], token: str, kind: str) -> Shape:
    """A decoder input or output token in its box; names such as <sos> in a smaller font."""
    fontsize = FONTSIZE - (2 if len(token) > 1 else 0)
    return box(ax, xy, _shown(token), kind=kind, width=0.8, height=0.5, fontsize=fontsize)


def draw_encoder_decoder(
    source_tokens: Sequence[str],
    target_tokens: Sequence[str],
    *,
    attention_at: int | None = None,
    weights: Sequence[float] | np.ndarray | None = None,
    ax: Axes | None = None,
) -> Axes:
    """An encoder-decoder with attention, unrolled over one source and its target.

    The encoder (left) reads the source tokens into states $h_1 \\dots h_S$ in both
    directions; its final states give the decoder's first state. The decoder (right) has
    states $s_1 \\dots s_T$; step $t$ reads the previous target token (``<sos>`` at the
    first step: teacher forcing feeds the true one during training) and writes target token
    $t$. At step ``attention_at`` the encoder states are combined into the context $c_t$,
    with the query $s_{t-1}$.

    Args:
        source_tokens: the ``S`` source tokens, e.g. ``list("5/1/50")``.
        target_tokens: the ``T`` target tokens the decoder writes, usually ending with
            ``"<eos>"``.
        attention_at: the decoder step ``t`` (1..T) whose attention is drawn, or ``None``.
        weights: ``None`` (each arrow labelled with its symbol $\\alpha_{tj}$), or the ``S``
            attention weights of that step (non-negative, summing to 1): each arrow's
            width and darkness follow its weight, and weights of at least 0.05 are written.
        ax: draw on these axes; ``None`` makes a new figure.
    """
    source = _check_tokens("source_tokens", source_tokens)
    target = _check_tokens("target_tokens", target_tokens)
    S, T = len(source), len(target)
    if attention_at is not None:
        if isinstance(attention_at, bool) or not isinstance(attention_at, int):
            raise TypeError(
                f"attention_at: expected an int or None, got {type(attention_at).__name__}"
            )
        if not 1 <= attention_at <= T:
            raise ValueError(
                f"attention_at: expected a decoder step in 1..{T} (T = len(target_tokens)), "
                f"got {attention_at}"
            )
    if weights is not None:
        if attention_at is None:
            raise ValueError("weights: given without attention_at, the step they belong to")
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (S,):
            raise ValueError(
                f"weights: expected shape (S,) = ({S},), one per source token, got {weights.shape}"
            )
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError("weights: expected finite, non-negative attention weights")
        if abs(weights.sum() - 1) > 1e-3:
            raise ValueError(f"weights: expected weights summing to 1, got {weights.sum():.4f}")

    x_enc = [0.6 + j * _DX for j in range(S)]
    x_dec = [x_enc[-1] + (1 + _GAP) * _DX + t * _DX for t in range(T)]
    width = x_dec[-1] + 0.6
    ax = canvas(width, _Y_CONTEXT + 0.5 if attention_at else _Y_OUT + 0.5, ax=ax, scale=0.8)

    # the encoder: source tokens, states, recurrence in both directions
    enc = []
    for j, (x, token) in enumerate(zip(x_enc, source, strict=True)):
        tok = box(ax, (x, _Y_IN), _shown(token), kind="x", width=0.6, height=0.5)
        enc.append(node(ax, (x, _Y_STATE), f"$h_{{{j + 1}}}$", kind="h"))
        connect(ax, tok, enc[-1])
    for left, right in zip(enc, enc[1:], strict=False):  # read in both directions
        connect(ax, left, right, arrowstyle="<|-|>")
    ax.text(
        x_enc[0] - 0.45,
        _Y_STATE,
        "encoder",
        ha="right",
        va="center",
        rotation=90,
        fontsize=FONTSIZE - 2,
        color=_GREY,
    )

    # the decoder: inputs (previous target token), states, outputs
    inputs = ["<sos>", *target[:-1]]
    dec, outs = [], []
    for t, x in enumerate(x_dec):
        is_step = attention_at == t + 1
        tok = _decoder_token(ax, (x, _Y_IN), inputs[t], kind="x")
        dec.append(
            node(
                ax,
                (x, _Y_STATE),
                f"$s_{{{t + 1}}}$",
                kind="h",
                edgecolor=HIGHLIGHTS[0] if is_step else "black",
                linewidth=_BOLD if is_step else 1.0,
            )
        )
        outs.append(_decoder_token(ax, (x, _Y_OUT), target[t], kind="y"))
        connect(ax, tok, dec[-1])
        connect(ax, dec[-1], outs[-1])
        if t + 1 < T:  # teacher forcing: this step's target is the next step's input
            connect(
                ax,
                point((x + 0.4, _Y_OUT - 0.25)),
                point((x + _DX - 0.4, _Y_IN + 0.25)),
                color=_GREY,
                linestyle="--",
                linewidth=0.9,
            )
    for left, right in zip(dec, dec[1:], strict=False):
        connect(ax, left, right)
    # s_0 from the encoder's final states
    connect(ax, enc[-1], dec[0], label="$s_0$", label_offset=(-0.3, 0.22))
    ax.text(
        x_dec[-1] + 0.45,
        _Y_STATE,
        "decoder",
        ha="left",
        va="center",
        rotation=90,
        fontsize=FONTSIZE - 2,
        color=_GREY,
    )

    legend: list[LegendEntry] = [
        (_GREY, "--", 0.9, "teacher forcing: target token $y_t$ is the input of step $t+1$"),
    ]
    if attention_at is not None:
        t = attention_at
        r = 0.36  # the radius of the context
        context = node(
            ax,
            ((x_enc[0] + x_enc[-1]) / 2, _Y_CONTEXT),
            f"$c_{{{t}}}$",
            kind="attention",
            radius=r,
        )
        strongest = max(weights) if weights is not None else 1.0
        label: str | None
        color: str | tuple[float, float, float, float]
        for j, h in enumerate(enc):
            if weights is None:
                lw, color, label = 1.2, HIGHLIGHTS[1], f"$\\alpha_{{{t},{j + 1}}}$"
            else:
                share = weights[j] / strongest
                lw, label = 0.4 + 3.6 * share, f"{weights[j]:.2f}" if weights[j] >= 0.05 else None
                color = (0.07, 0.33, 0.8, 0.15 + 0.85 * share)
            start, end = connect(ax, h, context, color=color, linewidth=lw)
            if label:  # written a third of the way up, where the arrows are still apart
                xy = (start[0] + (end[0] - start[0]) / 3, start[1] + (end[1] - start[1]) / 3)
                ax.text(
                    xy[0] + 0.05,
                    xy[1],
                    label,
                    fontsize=FONTSIZE - 3,
                    color=HIGHLIGHTS[1],
                    ha="left",
                    va="center",
                    zorder=3,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
                )
        # c_t enters s_t, and the query s_{t-1} (s_0 for t = 1) scores the encoder states;
        # both run above the outputs and come down between them
        cx = context.center[0]
        x_in = x_dec[t - 1] - _DX / 2
        polyline(
            ax,
            [(cx + r, _Y_CONTEXT - 0.1), (x_in, _Y_CONTEXT - 0.1), (x_in, _Y_STATE + 0.5)],
            color=HIGHLIGHTS[0],
            linewidth=_BOLD,
            arrow=False,
        )
        connect(ax, point((x_in, _Y_STATE + 0.5)), dec[t - 1], color=HIGHLIGHTS[0], linewidth=_BOLD)
        x_q = x_dec[t - 2] - _DX / 2 if t > 1 else (x_enc[-1] + x_dec[0]) / 2
        query = dec[t - 2] if t > 1 else point((x_q + 0.15, _Y_STATE))
        if t > 1:
            connect(
                ax,
                query,
                point((x_q, _Y_STATE + 0.5)),
                color=HIGHLIGHTS[0],
                linestyle=":",
                linewidth=1.4,
                arrowstyle="-",
            )
        polyline(
            ax,
            [
                (x_q, _Y_STATE + (0.5 if t > 1 else 0.0)),
                (x_q, _Y_CONTEXT + 0.12),
                (cx + r * 0.95, _Y_CONTEXT + 0.12),
            ],
            color=HIGHLIGHTS[0],
            linestyle=":",
            linewidth=1.4,
        )
        what = "weights written" if weights is not None else "weights $\\alpha_{tj}$"
        legend += [
            (HIGHLIGHTS[1], "-", 2.0, f"attention ({what}) into the context $c_{{{t}}}$"),
            (HIGHLIGHTS[0], ":", 1.2, f"query $s_{{{t - 1}}}$"),
        ]
    legend_below(ax, legend, columns=len(legend), fontsize=FONTSIZE - 2)
    return ax


def _layout(tree: BeamTree, roots: list[int], shown: set[int]) -> dict[int, float]:
    """Rows: leaves one apart in depth-first order (roots and children by score, best on
    top), each parent on the row of its first child."""
    children: dict[int, list[int]] = {i: [] for i in shown}
    for i in sorted(shown):
        if tree.nodes[i].parent in children:
            children[tree.nodes[i].parent].append(i)
    row: dict[int, float] = {}

    def place(i: int) -> None:
        kids = sorted(children[i], key=lambda c: -tree.nodes[c].score)
        for kid in kids:
            place(kid)
        row[i] = row[kids[0]] if kids else float(len([r for r in row if not children[r]]))

    for root in sorted(roots, key=lambda r: -tree.nodes[r].score):
        place(root)
    return row


def draw_beam_tree(
    tree: BeamTree,
    *,
    tokens: Sequence[str] | None = None,
    steps: tuple[int, int] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The partial outputs a beam search scored, one column per output step.

    Each node is a token with the model's log-probability of the partial output it ends
    (the sum of the log-probabilities of its tokens). Kept partial outputs are filled and
    joined by black arrows; candidates the search pruned are grey, with dotted arrows; the
    path of the output the search returned is red.

    Args:
        tree: from ``Seq2Seq.beam_search(..., return_tree=True)``.
        tokens: the text of every token id (e.g. ``Seq2SeqVocab.tokens``); ``None`` writes
            the ids.
        steps: ``(first, last)``, the output steps to draw, ``1 <= first <= last``; the
            partial outputs kept at step ``first - 1`` are drawn on the left, each as its
            whole text. ``None`` draws every step from the start.
        ax: draw on these axes; ``None`` makes a new figure.
    """
    if not isinstance(tree, BeamTree):
        raise TypeError(
            "tree: expected a BeamTree from Seq2Seq.beam_search(..., return_tree=True), "
            f"got {type(tree).__name__}"
        )
    if tokens is not None:
        tokens = _check_tokens("tokens", tokens)
        largest = max(n.token for n in tree.nodes)
        if largest >= len(tokens):
            raise ValueError(
                f"tokens: expected the text of every id up to {largest}, got {len(tokens)} tokens"
            )
    depth = max(n.step for n in tree.nodes)
    if steps is None:
        steps = (1, depth)
    if (
        not isinstance(steps, tuple)
        or len(steps) != 2
        or not all(isinstance(s, int) and not isinstance(s, bool) for s in steps)
    ):
        raise TypeError(f"steps: expected a tuple (first, last) of two ints, got {steps!r}")
    first, last = steps
    if not 1 <= first <= last <= depth:
        raise ValueError(
            f"steps: expected 1 <= first <= last <= {depth} (the tree's last step), got {steps}"
        )

    def text(i: int) -> str:
        token = tree.nodes[i].token
        return _shown(tokens[token] if tokens is not None else str(token))

    def prefix(i: int) -> str:  # the whole partial output, specials left out
        parts = [text(j) for j in tree.path(i)[1:]]
        return "".join(p for p in parts if not p.startswith("‹")) or text(i)

    roots = [i for i, n in enumerate(tree.nodes) if n.step == first - 1 and n.kept]
    shown = set(roots) | {i for i, n in enumerate(tree.nodes) if first <= n.step <= last}
    shown = {i for i in shown if i in roots or tree.path(i)[first - 1] in roots}
    best_path = set(tree.path(tree.best))
    row = _layout(tree, roots, shown)
    rows = max(row.values()) + 1

    labels = [f"{text(i)}  {tree.nodes[i].score:.2f}" for i in shown if i not in roots]
    width = max(1.3, 0.16 * max(map(len, labels), default=0) + 0.35)
    dx, dy, root_width = width + 0.5, 0.55, max(1.45, 0.2 * max(len(prefix(r)) + 6 for r in roots))
    x0 = root_width / 2
    ax = canvas(x0 + root_width / 2 + 0.35 + dx * (last - first + 1), dy * rows + 0.55, ax=ax)
    top = dy * rows + 0.05

    def style(i: int) -> dict:
        kept, on_best = tree.nodes[i].kept, i in best_path
        return {
            "edgecolor": HIGHLIGHTS[0] if on_best else ("black" if kept else _GREY),
            "linewidth": _BOLD if on_best else 1.0,
            "kind": "y" if kept else "op",
            "fontsize": FONTSIZE - 2,
            "height": 0.46,
        }

    shapes: dict[int, Shape] = {}
    for i in sorted(shown):
        n = tree.nodes[i]
        score = f"{n.score:.2f}".replace("-", "\u2212")
        y = top - dy * row[i] - dy / 2
        if i in roots:
            label = prefix(i) if n.parent < 0 else f"{prefix(i)}  {score}"
            shapes[i] = box(ax, (x0, y), label, width=root_width, **style(i))
            continue
        x = x0 + root_width / 2 + 0.35 + dx * (n.step - first + 0.5)
        shapes[i] = box(ax, (x, y), f"{text(i)}  {score}", width=width, **style(i))
        if not n.kept:
            ax.texts[-1].set_color(_GREY)
        both = i in best_path and n.parent in best_path
        parent = shapes[n.parent]
        connect(  # from the parent's right side to the child's left side
            ax,
            point(parent.boundary_towards((parent.center[0] + 1.0, parent.center[1]))),
            point((x - width / 2, y)),
            color=HIGHLIGHTS[0] if both else ("black" if n.kept else _GREY),
            linewidth=_BOLD if both else 1.0,
            linestyle="-" if n.kept else ":",
        )
    for step in range(first, last + 1):
        x = x0 + root_width / 2 + 0.35 + dx * (step - first + 0.5)
        ax.text(x, top + 0.1, f"step {step}", ha="center", fontsize=FONTSIZE - 3, color=_GREY)
    entries: list[LegendEntry] = [
        (HIGHLIGHTS[0], "-", _BOLD, "the output returned"),
        ("black", "-", 1.0, "kept"),
        (_GREY, ":", 1.0, "pruned"),
    ]
    legend_below(ax, entries, columns=len(entries), fontsize=FONTSIZE - 2)
    return ax
