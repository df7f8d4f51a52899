"""Irregular sampling and missing values: what a recurrent network is given, step by step.

:func:`draw_sampling` draws a signal sampled at irregular times ``s_t``, some samples missing,
and below it, one column per time step ``t``, the inputs a recurrent network reads instead
of the gaps (those built by :mod:`companion.data.missing`)::

    ax = draw_sampling(times, values, observed, signal=np.sin)

The sample times are spread out along a time axis; the table below is spread out by step:
the lines between them show that the network counts steps, and is told the time only
through the inputs in the table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from companion.data.missing import fill_missing, time_gaps, time_since_observed
from companion.diagrams._draw import FONTSIZE, HIGHLIGHTS, box, canvas, time_arrow

__all__ = ["ROWS", "draw_sampling"]

#: The rows the table can show, in the notation of chapter 7, and what each holds.
ROWS: dict[str, str] = {
    "filled": r"$\tilde x_t$",  # the value, with the gaps filled
    "observed": r"$m_t$",  # 1 where the value was measured, 0 where it is missing
    "since": r"$\delta_t$",  # time since the last measured value (Che et al., 2018)
    "gap": r"$s_t - s_{t-1}$",  # time since the previous sample, measured or not
}
_ROW_NOTES = {
    "filled": "value, 0 in gaps",
    "observed": "1 if measured",
    "since": "time since measured",
    "gap": "time since last sample",
}
MAX_STEPS = 16


def _check_inputs(
    times: object, values: object, observed: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times ``(T,)`` strictly increasing, values ``(T,)``, observed ``(T,)`` bool."""
    s = np.asarray(times)
    if s.dtype.kind not in "iuf":
        raise TypeError(f"times: expected a numeric array (T,), got dtype {s.dtype}")
    s = s.astype(np.float64)
    if s.ndim != 1 or not 2 <= len(s) <= MAX_STEPS:
        raise ValueError(
            f"times: expected shape (T,) with 2 <= T <= {MAX_STEPS} (one labelled column per "
            f"step), got {s.shape}"
        )
    if not np.isfinite(s).all() or (np.diff(s) <= 0).any():
        raise ValueError("times: expected finite, strictly increasing sample times")
    x = np.asarray(values)
    if x.dtype.kind not in "iuf":
        raise TypeError(f"values: expected a numeric array (T,), got dtype {x.dtype}")
    x = x.astype(np.float64)
    if x.shape != s.shape:
        raise ValueError(f"values: expected shape (T,) = {s.shape} like times, got {x.shape}")
    m = np.asarray(observed)
    if m.dtype != bool:
        raise TypeError(f"observed: expected a bool array (T,), got dtype {m.dtype}")
    if m.shape != s.shape:
        raise ValueError(f"observed: expected shape (T,) = {s.shape} like times, got {m.shape}")
    if not np.isfinite(x[m]).all():
        raise ValueError("values: expected finite values where observed is True")
    if np.isinf(x).any():
        raise ValueError("values: expected finite values or NaN (not measured), got inf")
    return s, x, m


def _check_rows(rows: object) -> tuple[str, ...]:
    if isinstance(rows, str) or not isinstance(rows, Sequence):
        raise TypeError(f"rows: expected a sequence of row names, got {type(rows).__name__}")
    rows = tuple(rows)
    unknown = [r for r in rows if r not in ROWS]
    if not rows or unknown or len(set(rows)) != len(rows):
        raise ValueError(f"rows: expected distinct names among {', '.join(ROWS)}, got {list(rows)}")
    return rows


def _number(value: float) -> str:
    """A short label for a table cell: a minus sign, not a hyphen."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text.replace("-", "\u2212")


def draw_sampling(
    times: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    observed: Sequence[bool] | np.ndarray,
    *,
    signal: Callable[[np.ndarray], np.ndarray] | None = None,
    fill: str = "zero",
    rows: Sequence[str] = ("filled", "observed", "since"),
    ax: Axes | None = None,
) -> Axes:
    """A signal sampled at irregular times, with gaps, and the inputs a network reads for it.

    Top: the signal against time (the curve ``signal`` if given), the measured samples as
    filled dots and the missing ones as hollow red circles at their true value (or a cross
    on the time axis where ``values`` holds NaN). Bottom: one column per step ``t``, joined
    to its sample time ``s_t``, and one row per input named in ``rows``:

    * ``"filled"``: ``x~_t``, the value with the gaps filled (:func:`fill_missing`);
    * ``"observed"``: ``m_t``, 1 where the value was measured, 0 where it is missing;
    * ``"since"``: ``delta_t``, the time since the last measured value before step ``t``
      (:func:`time_since_observed`, the input of Che et al., 2018);
    * ``"gap"``: ``s_t - s_{t-1}``, the time since the previous sample (:func:`time_gaps`).

    Args:
        times: ``(T,)`` sample times ``s_t``, strictly increasing, ``2 <= T <= 16``.
        values: ``(T,)`` the signal at those times; NaN allowed where not observed.
        observed: ``(T,)`` bool, True where the value was measured.
        signal: a function of time (NumPy array in, array out) drawn as the curve.
        fill: ``"zero"`` or ``"forward"`` (carry the last measured value forward).
        rows: which inputs to show, in this order.
        ax: the ``Axes`` to draw on; ``None`` makes a new figure.

    Returns:
        The ``Axes``.
    """
    s, x, m = _check_inputs(times, values, observed)
    if fill not in ("zero", "forward"):
        raise ValueError(f"fill: expected 'zero' or 'forward', got {fill!r}")
    rows = _check_rows(rows)
    if signal is not None and not callable(signal):
        raise TypeError(f"signal: expected a function of time or None, got {type(signal).__name__}")

    steps = len(s)
    cell, row_height = 0.78, 0.5
    label_width = 3.9 if "gap" in rows else 3.3  # the symbol and a note before each row
    width = label_width + steps * cell
    table_top = len(rows) * row_height
    plot_low, plot_high = table_top + 1.2, table_top + 3.2
    ax = canvas(width, plot_high + 0.35, ax=ax, scale=0.75)
    column = label_width + (np.arange(steps) + 0.5) * cell  # x of each step's column

    # --- top: the signal against time, mapped onto the width of the table -------------------
    dense = np.linspace(s[0], s[-1], 400)
    curve = None
    if signal is not None:
        curve = np.asarray(signal(dense), dtype=np.float64)
        if curve.shape != dense.shape or not np.isfinite(curve).all():
            raise ValueError(
                f"signal: expected finite values of shape {dense.shape} for times of that "
                f"shape, got shape {curve.shape}"
            )
    known = np.concatenate([x[np.isfinite(x)], [] if curve is None else curve])
    low, high = known.min(), known.max()
    span = high - low if high > low else 1.0

    def at_x(t: np.ndarray) -> np.ndarray:
        return column[0] + (t - s[0]) / (s[-1] - s[0]) * (column[-1] - column[0])

    def at_y(v: np.ndarray) -> np.ndarray:
        return plot_low + 0.15 + (v - low) / span * (plot_high - plot_low - 0.3)

    ax.plot([column[0] - 0.3, column[-1] + 0.3], [plot_low] * 2, color="grey", lw=0.8)
    if curve is not None:
        ax.plot(at_x(dense), at_y(curve), color="grey", lw=1.2, zorder=1)
    ax.plot(at_x(s[m]), at_y(x[m]), "o", color="black", ms=6, zorder=4)
    lost = ~m & np.isfinite(x)
    ax.plot(
        at_x(s[lost]), at_y(x[lost]), "o", mfc="white", mec=HIGHLIGHTS[0], mew=1.5, ms=7, zorder=4
    )
    unknown = ~m & ~np.isfinite(x)
    ax.plot(at_x(s[unknown]), [plot_low] * unknown.sum(), "x", color=HIGHLIGHTS[0], ms=7, zorder=4)
    for t in range(steps):  # a tick at every sample time, joined to the step's column
        colour = "black" if m[t] else HIGHLIGHTS[0]
        ax.plot([at_x(s[t])] * 2, [plot_low - 0.08, plot_low + 0.08], color=colour, lw=1)
        ax.plot(
            [at_x(s[t]), column[t]],
            [plot_low - 0.08, table_top + 0.42],
            color="grey",
            lw=0.7,
            ls=":" if m[t] else "--",
        )
        ax.text(column[t], table_top + 0.2, f"{t + 1}", ha="center", va="center", fontsize=9)
    time_arrow(ax, 0.2, label_width - 0.3, plot_low, label="time $s$")
    ax.text(0.2, table_top + 0.2, "step $t$", va="center", fontsize=FONTSIZE - 2, color="grey")
    handles = [
        Line2D([], [], marker="o", ls="", color="black", label="measured"),
        Line2D([], [], marker="o", ls="", mfc="white", mec=HIGHLIGHTS[0], mew=1.5, label="missing"),
    ]
    if curve is not None:
        handles.insert(0, Line2D([], [], color="grey", label="signal"))
    ax.legend(handles=handles, loc="upper left", fontsize=9, frameon=False)

    # --- bottom: the table of inputs, one column per step -----------------------------------
    contents = {
        "filled": [
            _number(v) for v in fill_missing(np.where(m, x, np.nan)[None, :, None], fill)[0, :, 0]
        ],
        "observed": [str(int(v)) for v in m],
        "since": [_number(v) for v in time_since_observed(m[None, :, None], s)[0, :, 0]],
        "gap": [_number(v) for v in time_gaps(s)],
    }
    for r, name in enumerate(rows):
        y = table_top - (r + 0.5) * row_height
        ax.text(0.1, y, ROWS[name], va="center", fontsize=FONTSIZE)
        note = "last value carried" if name == "filled" and fill == "forward" else _ROW_NOTES[name]
        ax.text(
            label_width - 0.12,
            y,
            note,
            ha="right",
            va="center",
            fontsize=FONTSIZE - 4,
            color="grey",
        )
        for t in range(steps):
            kind = "x" if m[t] else "given"
            box(
                ax,
                (column[t], y),
                contents[name][t],
                width=cell,
                height=row_height,
                kind=kind,
                fontsize=FONTSIZE - 3,
                edgecolor="black" if m[t] else HIGHLIGHTS[0],
            )
    return ax
