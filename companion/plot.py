"""The figures the book draws again and again, with matplotlib only, and the course's style.

Every function takes ``ax=None`` (a new figure is made when it is ``None``), labels its
axes, and returns the ``matplotlib.axes.Axes`` it drew on, so that a page can add to it::

    ax = plot_history(history, ("train_loss", "val_loss"), smooth=20)
    ax.set_ylim(0, 3)

Colours are the eight of Okabe and Ito, which readers with the common colour-vision
deficiencies can tell apart; each line also gets its own marker (:func:`series_style`), and
each series of bars or shaded spans its own hatching (:func:`bar_style`), so that no figure
relies on colour alone. :func:`use_course_style` makes the same colours matplotlib's default
cycle for the figures a page draws itself (``import companion`` calls it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from companion._validate import check_int, check_positive_int
from companion.history import History
from companion.style import (  # noqa: F401 (COURSE_STYLE and use_course_style: re-exported)
    COLOURS,
    COURSE_STYLE,
    MARKERS,
    MARKS_PER_LINE,
    use_course_style,
)

DEFAULT_NAMES = ("train_loss", "val_loss")
HATCHES = ("", "//", "..", "xx", "\\\\", "oo", "++", "--")  # the first series is plain


def series_style(index: int, points: int) -> dict[str, Any]:
    """Line properties of the ``index``-th series (from 0) of a figure, a line of ``points`` points.

    The first eight series differ in colour and in marker, so a reader who cannot tell the
    colours apart still tells the lines apart. A long line carries about
    :data:`MARKS_PER_LINE` markers, a short one a marker at every point.
    """
    check_int(index, "index", minimum=0)
    return {
        "color": COLOURS[index % len(COLOURS)],
        "marker": MARKERS[index % len(MARKERS)],
        "markersize": 4,
        "markevery": max(1, int(points) // MARKS_PER_LINE),
    }


def bar_style(index: int) -> dict[str, Any]:
    """Patch properties of the ``index``-th series (from 0) of bars or shaded spans.

    The first eight series differ in colour and in hatching (:data:`HATCHES`, drawn in black;
    the first series is plain), so a reader who cannot tell the colours apart still tells the
    series apart. Pass them to ``ax.bar`` or ``ax.axvspan``::

        ax.bar(x, heights, **bar_style(i), label=name)
    """
    check_int(index, "index", minimum=0)
    return {
        "facecolor": COLOURS[index % len(COLOURS)],
        "hatch": HATCHES[index % len(HATCHES)],
        "edgecolor": "black",  # the colour of the hatching
        "linewidth": 0,  # no outline
    }


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _matrix(values: Any, name: str) -> np.ndarray:
    matrix = np.asarray(values, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array, got shape {matrix.shape}")
    return matrix


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Means of ``window`` consecutive values: ``len(values) - window + 1`` of them."""
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_history(
    history: History,
    names: Sequence[str] = DEFAULT_NAMES,
    *,
    ax: Axes | None = None,
    logy: bool = False,
    smooth: int | None = None,
    title: str | None = None,
) -> Axes:
    """Each metric in ``names`` against the steps it was logged at.

    Each metric has its own colour and marker (:func:`series_style`); validation metrics
    (names starting with ``val_``), logged less often, have a marker at every point. With
    the default names, a missing ``val_loss`` (a run without validation) is skipped.

    Args:
        history: a :class:`~companion.history.History`.
        names: the metrics to draw.
        logy: a logarithmic y axis.
        smooth: draw per-step metrics (not ``val_``) as a moving average over this many
            steps, over their raw values drawn faintly; the window shrinks to the length of
            a shorter series. Each average is plotted at the last step of its window.
        title: the axes' title.

    Raises:
        KeyError: a name is not in the history (the message lists the names it has).
    """
    if not isinstance(history, History):
        raise TypeError(f"history: expected a History, got {type(history).__name__}")
    if isinstance(names, str):
        names = (names,)
    if smooth is not None:
        check_positive_int(smooth, "smooth")
    present = []
    for name in names:
        if name in history:
            present.append(name)
        elif not (tuple(names) == DEFAULT_NAMES and name == "val_loss"):
            raise KeyError(f"{name!r}: not in the history; it holds {history.names}")
    ax = _axes(ax, (6, 3.5))
    for index, name in enumerate(present):
        steps, values = history[name]
        style = series_style(index, len(values))
        if not name.startswith("val_") and smooth is not None and smooth > 1 and len(values) > 1:
            window = min(int(smooth), len(values))
            raw = {"color": style["color"], "alpha": 0.3, "linewidth": 0.8}
            ax.plot(steps, values, **raw, label=f"_{name} (raw)")
            ax.plot(
                steps[window - 1 :],
                moving_average(values, window),
                **series_style(index, len(values) - window + 1),
                label=f"{name} (mean of {window} steps)",
            )
        else:
            ax.plot(steps, values, **style, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats)" if all("loss" in name for name in present) else "value")
    if logy:
        ax.set_yscale("log")
    if present:
        ax.legend()
    if title is not None:
        ax.set_title(title)
    return ax


def plot_confusion_matrix(
    matrix: Any,
    labels: Sequence[str],
    *,
    ax: Axes | None = None,
    normalize: bool = True,
    title: str | None = None,
) -> Axes:
    """A confusion matrix: rows are the true classes, columns the predicted ones.

    Args:
        matrix: ``(K, K)`` counts; ``matrix[i, j]`` examples of class ``i`` predicted as ``j``.
        labels: the ``K`` class names.
        normalize: colour each cell by the fraction of its row (a row of the image is then
            the distribution of predictions for that true class); otherwise by the count.
            Every cell is annotated with its count.
        title: the axes' title.
    """
    counts = _matrix(matrix, "matrix")
    k = counts.shape[0]
    if counts.shape != (k, k):
        raise ValueError(f"matrix: expected a square (K, K) array, got shape {counts.shape}")
    if len(labels) != k:
        raise ValueError(f"labels: expected {k} labels for a {k}x{k} matrix, got {len(labels)}")
    if (counts < 0).any():
        raise ValueError("matrix: expected counts (non-negative), got a negative entry")
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        shown = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        vmax = 1.0
    else:
        shown, vmax = counts, max(counts.max(), 1.0)
    ax = _axes(ax, (1.0 + 0.45 * k, 0.8 + 0.45 * k))
    image = ax.imshow(shown, cmap="Blues", vmin=0.0, vmax=vmax)
    ax.figure.colorbar(image, ax=ax, label="fraction of the row" if normalize else "count")
    for i in range(k):
        for j in range(k):
            if counts[i, j]:
                dark = shown[i, j] > 0.5 * vmax
                ax.text(
                    j,
                    i,
                    f"{counts[i, j]:g}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
    ax.set_xticks(range(k), labels, rotation=90)
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title is not None:
        ax.set_title(title)
    return ax


def _token_labels(tokens: Sequence[Any]) -> list[str]:
    """Tokens as tick labels; a space is shown as the visible '␣'."""
    return ["\u2423" if str(t) == " " else str(t) for t in tokens]


def plot_attention(
    weights: Any,
    source_tokens: Sequence[Any],
    target_tokens: Sequence[Any],
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Attention weights as a heatmap: one row per output token, one column per input token.

    Args:
        weights: ``(T_out, T_in)``; row ``t`` is the distribution over the input that output
            step ``t`` attended to.
        source_tokens: the ``T_in`` input tokens (x axis).
        target_tokens: the ``T_out`` output tokens (y axis).
    """
    matrix = _matrix(weights, "weights")
    expected = (len(target_tokens), len(source_tokens))
    if matrix.shape != expected:
        raise ValueError(
            f"weights: expected shape (T_out, T_in) = {expected} for {expected[0]} target and "
            f"{expected[1]} source tokens, got {matrix.shape}"
        )
    ax = _axes(ax, (1.5 + 0.25 * expected[1], 1.0 + 0.25 * expected[0]))
    image = ax.imshow(
        matrix, cmap="viridis", vmin=0.0, vmax=max(matrix.max(), 1e-12), aspect="auto"
    )
    ax.figure.colorbar(image, ax=ax, label="attention weight")
    ax.set_xticks(range(expected[1]), _token_labels(source_tokens), rotation=90)
    ax.set_yticks(range(expected[0]), _token_labels(target_tokens))
    ax.set_xlabel("input (source) token")
    ax.set_ylabel("output (target) token")
    if title is not None:
        ax.set_title(title)
    return ax


def plot_forecast(
    time: Any,
    observed: Any,
    forecasts: Mapping[str, tuple[Any, Any]],
    *,
    ax: Axes | None = None,
    split: Any = None,
    title: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """An observed series and one or more forecasts of it.

    Args:
        time: ``(N,)`` times (numbers or dates) of the observations.
        observed: ``(N,)`` observed values.
        forecasts: ``{label: (time_k, values_k)}``, each pair of equal length; each forecast
            has its own colour and marker (:func:`series_style`).
        split: the time where training data ends and the test data begins (a dashed
            vertical line), or ``None``.
        ylabel: the y axis label (default ``"value"``).
    """
    t, y = np.asarray(time), np.asarray(observed)
    if t.ndim != 1 or y.shape != t.shape:
        raise ValueError(
            f"time, observed: expected two 1-D arrays of the same length, got shapes "
            f"{t.shape} and {y.shape}"
        )
    if not isinstance(forecasts, Mapping):
        raise TypeError(
            f"forecasts: expected a dict {{label: (time, values)}}, got {type(forecasts).__name__}"
        )
    checked = {}
    for label, pair in forecasts.items():
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise ValueError(f"forecasts[{label!r}]: expected a pair (time, values)")
        tk, yk = np.asarray(pair[0]), np.asarray(pair[1])
        if tk.ndim != 1 or yk.shape != tk.shape:
            raise ValueError(
                f"forecasts[{label!r}]: expected time and values of the same length (1-D), "
                f"got shapes {tk.shape} and {yk.shape}"
            )
        checked[label] = (tk, yk)
    ax = _axes(ax, (7, 3.5))
    ax.plot(t, y, color="0.3", linewidth=1.0, label="observed")
    for index, (label, (tk, yk)) in enumerate(checked.items()):
        ax.plot(tk, yk, linewidth=1.5, **series_style(index, len(tk)), label=label)
    if split is not None:
        ax.axvline(split, color="0.5", linestyle="--", linewidth=1.0, label="train | test")
    ax.set_xlabel("time")
    ax.set_ylabel("value" if ylabel is None else ylabel)
    ax.legend()
    if title is not None:
        ax.set_title(title)
    return ax


def plot_heatmap(
    matrix: Any,
    *,
    ax: Axes | None = None,
    xlabel: str,
    ylabel: str,
    title: str | None = None,
    cmap: str = "RdBu_r",
    colorbar: bool = True,
) -> Axes:
    """A matrix as an image, e.g. hidden states ``(T, H)``: row ``i`` on the y axis.

    When the matrix has negative entries the colour scale is symmetric about zero (so that
    with a diverging ``cmap`` zero is the neutral colour).
    """
    values = _matrix(matrix, "matrix")
    limit = float(np.abs(values).max()) if values.size else 1.0
    vmin, vmax = (-limit, limit) if (values < 0).any() else (None, None)
    ax = _axes(ax, (6, 3.5))
    image = ax.imshow(
        values, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest"
    )
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    return ax
