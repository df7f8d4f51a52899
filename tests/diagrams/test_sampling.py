"""companion.diagrams.sampling: the table holds the inputs of companion.data.missing."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.diagrams.sampling import ROWS, draw_sampling  # noqa: E402

TIMES = np.array([0.0, 0.5, 2.0, 2.5, 4.0])
VALUES = np.array([0.3, -0.4, 1.2, 0.8, -1.0])
OBSERVED = np.array([True, False, False, True, True])


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_draws_the_rows_and_one_column_per_step():
    ax = draw_sampling(TIMES, VALUES, OBSERVED, signal=np.sin)
    labels = texts(ax)
    assert {ROWS["filled"], ROWS["observed"], ROWS["since"], "time $s$", "step $t$"} <= set(labels)
    assert {"1", "2", "3", "4", "5"} <= set(labels)
    assert len(ax.patches) >= 3 * len(TIMES)  # one box per row and step
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["signal", "measured", "missing"]


def test_the_cells_hold_zero_fill_indicator_and_time_since_measured():
    labels = texts(ax := draw_sampling(TIMES, VALUES, OBSERVED))
    # filled: 0.3, 0, 0, 0.8, -1.0; indicator 1 0 0 1 1; delta: 0, 0.5, 2.0, 2.5, 1.5
    row = labels.index(ROWS["filled"])
    assert labels[row + 2 : row + 2 + 5] == ["0.3", "0.0", "0.0", "0.8", "\u22121.0"]
    row = labels.index(ROWS["observed"])
    assert labels[row + 2 : row + 2 + 5] == ["1", "0", "0", "1", "1"]
    row = labels.index(ROWS["since"])
    assert labels[row + 2 : row + 2 + 5] == ["0.0", "0.5", "2.0", "2.5", "1.5"]
    assert ax.get_legend() is not None


def test_forward_fill_and_the_gap_row():
    _, ax = plt.subplots()
    out = draw_sampling(TIMES, VALUES, OBSERVED, fill="forward", rows=("filled", "gap"), ax=ax)
    assert out is ax
    labels = texts(ax)
    row = labels.index(ROWS["filled"])
    assert labels[row + 1] == "last value carried"
    assert labels[row + 2 : row + 2 + 5] == ["0.3", "0.3", "0.3", "0.8", "\u22121.0"]
    row = labels.index(ROWS["gap"])
    assert labels[row + 2 : row + 2 + 5] == ["0.0", "0.5", "1.5", "0.5", "1.5"]
    assert ROWS["observed"] not in labels


def test_missing_values_may_be_unknown():
    values = np.where(OBSERVED, VALUES, np.nan)
    ax = draw_sampling(TIMES, values, OBSERVED)
    assert "0.0" in texts(ax)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"times": [[0.0, 1.0]]}, ValueError, r"times: expected shape \(T,\)"),
        ({"times": np.arange(17.0)}, ValueError, "times: expected shape"),
        ({"times": [0.0, 1.0, 1.0, 2.0, 3.0]}, ValueError, "times: expected finite, strictly"),
        ({"times": ["a"] * 5}, TypeError, "times: expected a numeric array"),
        ({"values": VALUES[:4]}, ValueError, r"values: expected shape \(T,\) = \(5,\)"),
        ({"values": [np.nan, 0, 0, 0, 0]}, ValueError, "values: expected finite values where"),
        ({"values": [0, np.inf, 0, 0, 0]}, ValueError, "values: expected finite values or NaN"),
        ({"observed": [1, 0, 0, 1, 1]}, TypeError, "observed: expected a bool array"),
        ({"observed": OBSERVED[:3]}, ValueError, r"observed: expected shape \(T,\)"),
        ({"fill": "mean"}, ValueError, "fill: expected 'zero' or 'forward', got 'mean'"),
        ({"rows": ("filled", "filled")}, ValueError, "rows: expected distinct names"),
        ({"rows": ("mask",)}, ValueError, "rows: expected distinct names among"),
        ({"rows": ()}, ValueError, "rows: expected distinct names"),
        ({"rows": "filled"}, TypeError, "rows: expected a sequence of row names"),
        ({"signal": 3.0}, TypeError, "signal: expected a function of time"),
        ({"signal": lambda t: t[:10]}, ValueError, "signal: expected finite values of shape"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, message):
    arguments = {"times": TIMES, "values": VALUES, "observed": OBSERVED} | kwargs
    with pytest.raises(error, match=message):
        draw_sampling(
            arguments.pop("times"), arguments.pop("values"), arguments.pop("observed"), **arguments
        )
