"""companion.plot: what each figure draws (artists, labels, ticks, image data) and its errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from cycler import cycler  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from companion.history import History  # noqa: E402
from companion.plot import (  # noqa: E402
    COLOURS,
    COURSE_STYLE,
    HATCHES,
    MARKERS,
    MARKS_PER_LINE,
    bar_style,
    moving_average,
    plot_attention,
    plot_confusion_matrix,
    plot_forecast,
    plot_heatmap,
    plot_history,
    series_style,
    use_course_style,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --- the course's style: colour-blind-safe colours, and markers ---------------------------------

# Okabe and Ito (2008), "Color Universal Design": the palette, in 0-255 RGB.
OKABE_ITO = {
    (0, 0, 0),
    (230, 159, 0),
    (86, 180, 233),
    (0, 158, 115),
    (240, 228, 66),
    (0, 114, 178),
    (213, 94, 0),
    (204, 121, 167),
}


def test_the_colours_are_okabe_itos_in_matplotlibs_hue_order():
    rgb = [tuple(round(255 * c) for c in matplotlib.colors.to_rgb(colour)) for colour in COLOURS]
    assert set(rgb) == OKABE_ITO
    blue, orange, green, red = rgb[:4]  # C0..C3 keep the hues a caption may name
    assert blue[2] > max(blue[:2]) and orange[0] > orange[1] > orange[2]
    assert green[1] > max(green[0], green[2]) and red[0] > 2 * max(red[1:])


def test_series_differ_in_colour_and_marker():
    styles = [series_style(i, 100) for i in range(len(COLOURS))]
    assert len({s["color"] for s in styles}) == len({s["marker"] for s in styles}) == 8
    assert series_style(8, 100) == series_style(0, 100)  # then the cycle repeats
    assert series_style(0, 5)["markevery"] == 1
    assert series_style(0, 1200)["markevery"] == 1200 // MARKS_PER_LINE


def test_bars_differ_in_colour_and_hatching():
    styles = [bar_style(i) for i in range(len(COLOURS))]
    assert len({s["facecolor"] for s in styles}) == len({s["hatch"] for s in styles}) == 8
    assert bar_style(8) == bar_style(0)  # then the cycle repeats
    _, ax = plt.subplots()
    plain, hatched = (ax.bar([0], [1.0], **bar_style(i))[0] for i in range(2))
    assert (plain.get_hatch(), hatched.get_hatch()) == ("", HATCHES[1]) and HATCHES[1]
    assert hatched.get_facecolor() == matplotlib.colors.to_rgba(COLOURS[1])
    assert hatched.get_edgecolor() == (0.0, 0.0, 0.0, 1.0)  # the hatching is black
    span = ax.axvspan(0, 1, alpha=0.3, **bar_style(1))
    assert span.get_hatch() == HATCHES[1]


@pytest.mark.parametrize("style", [lambda i: series_style(i, 10), bar_style])
@pytest.mark.parametrize(
    ("index", "error"), [(-1, ValueError), (1.0, TypeError), (True, TypeError), ("0", TypeError)]
)
def test_series_index_must_be_a_non_negative_int(style, index, error):
    with pytest.raises(error, match="index: expected a non-negative int"):
        style(index)


def test_the_course_style_sets_the_default_colour_cycle():
    with matplotlib.rc_context({"axes.prop_cycle": cycler(color=["red", "green"])}):
        use_course_style()
        assert plt.rcParams["axes.prop_cycle"] == COURSE_STYLE["axes.prop_cycle"]
        _, ax = plt.subplots()
        lines = [ax.plot([0, 1])[0] for _ in range(3)]
        assert [line.get_color() for line in lines] == list(COLOURS[:3])


def test_forecasts_differ_in_marker_not_only_colour():
    t = np.arange(30.0)
    ax = plot_forecast(t, t, {"a": (t[20:], t[20:]), "b": (t[20:], t[20:] + 1)})
    _, a, b = ax.get_lines()
    assert (a.get_marker(), b.get_marker()) == MARKERS[:2]
    assert (a.get_color(), b.get_color()) == COLOURS[:2]


def make_history(with_val=True):
    history = History()
    for step in range(1, 21):
        history.log(step, train_loss=3.0 / step, grad_norm=1.0)
        if with_val and step % 5 == 0:
            history.log(step, val_loss=3.5 / step, val_accuracy=step / 20)
    return history


def labels_of(ax):
    return [line.get_label() for line in ax.get_lines()]


# --- plot_history ----------------------------------------------------------------------------


def test_history_draws_each_series_against_its_steps():
    ax = plot_history(make_history(), title="run")
    train, val = ax.get_lines()
    assert labels_of(ax) == ["train_loss", "val_loss"]
    assert train.get_xdata().tolist() == list(range(1, 21))
    assert val.get_xdata().tolist() == [5, 10, 15, 20]
    assert val.get_marker() == "s" and val.get_linestyle() == "-"
    assert val.get_markevery() == 1  # 4 points: a marker at each
    assert train.get_marker() == "o" and train.get_markevery() == 20 // MARKS_PER_LINE
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "loss (nats)"
    assert ax.get_title() == "run"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train_loss", "val_loss"]


def test_history_without_validation_draws_the_training_loss_only():
    ax = plot_history(make_history(with_val=False))
    assert labels_of(ax) == ["train_loss"]


def test_a_missing_name_is_a_key_error_listing_the_names():
    with pytest.raises(KeyError, match=r"'val_bpc'.*\['train_loss', 'grad_norm'"):
        plot_history(make_history(), ("train_loss", "val_bpc"))
    with pytest.raises(KeyError, match="val_loss"):
        plot_history(make_history(with_val=False), ("val_loss",))


def test_other_metrics_get_a_generic_label_and_log_scale():
    ax = plot_history(make_history(), ("grad_norm", "val_accuracy"), logy=True)
    assert labels_of(ax) == ["grad_norm", "val_accuracy"]
    assert ax.get_ylabel() == "value" and ax.get_yscale() == "log"


def test_smoothing_draws_the_moving_average_over_the_faint_raw_series():
    history = make_history()
    ax = plot_history(history, smooth=4)
    raw, smooth, val = ax.get_lines()
    assert raw.get_alpha() == pytest.approx(0.3)
    assert smooth.get_color() == raw.get_color()
    assert smooth.get_xdata().tolist() == list(range(4, 21))
    steps, values = history["train_loss"]
    assert smooth.get_ydata()[0] == pytest.approx(values[:4].mean())
    assert val.get_xdata().tolist() == [5, 10, 15, 20]  # validation is never smoothed
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["train_loss (mean of 4 steps)", "val_loss"]


@pytest.mark.parametrize(
    ("smooth", "error"), [(0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError)]
)
def test_smooth_must_be_a_positive_int(smooth, error):
    with pytest.raises(error, match="smooth: expected a positive int"):
        plot_history(make_history(), smooth=smooth)


def test_history_must_be_a_history():
    with pytest.raises(TypeError, match="history"):
        plot_history({"train_loss": [1, 2]})


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30), st.integers(1, 30))
def test_moving_average_is_the_mean_of_each_window(values, window):
    values = np.array(values)
    window = min(window, len(values))
    averaged = moving_average(values, window)
    assert len(averaged) == len(values) - window + 1
    expected = [values[i : i + window].mean() for i in range(len(averaged))]
    np.testing.assert_allclose(averaged, expected, atol=1e-9)


def test_plots_go_on_the_given_axes():
    _, ax = plt.subplots()
    assert plot_history(make_history(), ax=ax) is ax
    assert plot_heatmap(np.ones((2, 3)), ax=ax, xlabel="x", ylabel="y", colorbar=False) is ax


# --- plot_confusion_matrix -------------------------------------------------------------------


def test_confusion_matrix_normalises_rows_and_annotates_counts():
    counts = np.array([[8, 2, 0], [1, 1, 0], [0, 0, 0]])
    ax = plot_confusion_matrix(counts, ["a", "b", "c"], title="names")
    image = ax.images[0].get_array()
    assert image.shape == (3, 3)
    np.testing.assert_allclose(image[0], [0.8, 0.2, 0.0])
    np.testing.assert_allclose(image[1], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(image[2], [0.0, 0.0, 0.0])  # an empty row stays zero, not NaN
    assert sorted(t.get_text() for t in ax.texts) == ["1", "1", "2", "8"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert ax.get_title() == "names"


def test_confusion_matrix_of_counts():
    ax = plot_confusion_matrix([[3, 1], [0, 4]], ["x", "y"], normalize=False)
    np.testing.assert_array_equal(ax.images[0].get_array(), [[3, 1], [0, 4]])


@pytest.mark.parametrize(
    ("matrix", "labels", "name"),
    [
        (np.ones((2, 3)), ["a", "b"], "matrix"),
        (np.ones(3), ["a", "b", "c"], "matrix"),
        (np.ones((2, 2)), ["a", "b", "c"], "labels"),
        (-np.ones((2, 2)), ["a", "b"], "matrix"),
    ],
)
def test_confusion_matrix_errors(matrix, labels, name):
    with pytest.raises(ValueError, match=name):
        plot_confusion_matrix(matrix, labels)


# --- plot_attention --------------------------------------------------------------------------


def test_attention_labels_tokens_and_shows_spaces():
    weights = np.full((2, 3), 1 / 3)
    ax = plot_attention(weights, ["1", " ", "J"], ["a", "b"], title="attention")
    assert ax.images[0].get_array().shape == (2, 3)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "\u2423", "J"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert "input" in ax.get_xlabel() and "output" in ax.get_ylabel()


@pytest.mark.parametrize("shape", [(3, 2), (2, 4), (6,)])
def test_attention_shape_must_match_the_tokens(shape):
    with pytest.raises(ValueError, match="weights"):
        plot_attention(np.ones(shape), ["1", "2", "3"], ["a", "b"])


# --- plot_forecast ---------------------------------------------------------------------------


def test_forecast_draws_observed_forecasts_and_the_split():
    t = np.arange(10.0)
    ax = plot_forecast(
        t,
        np.sin(t),
        {"naive": (t[7:], np.zeros(3)), "AR(2)": (t[7:], t[7:])},
        split=6.5,
        ylabel="sunspots",
        title="forecast",
    )
    assert labels_of(ax) == ["observed", "naive", "AR(2)", "train | test"]
    assert ax.get_lines()[-1].get_xdata() == [6.5, 6.5]
    assert ax.get_ylabel() == "sunspots" and ax.get_xlabel() == "time"


def test_forecast_accepts_dates():
    t = np.arange("2000-01", "2001-01", dtype="datetime64[M]")
    ax = plot_forecast(t, np.arange(12.0), {"f": (t[-3:], np.ones(3))})
    assert len(ax.get_lines()) == 2 and ax.get_ylabel() == "value"


@pytest.mark.parametrize(
    ("observed", "forecasts", "name"),
    [
        (np.ones(4), {}, "time, observed"),
        (np.ones(5), {"f": (np.arange(2), np.ones(3))}, r"forecasts\['f'\]"),
        (np.ones(5), {"f": np.ones(3)}, r"forecasts\['f'\]"),
    ],
)
def test_forecast_errors(observed, forecasts, name):
    with pytest.raises(ValueError, match=name):
        plot_forecast(np.arange(5), observed, forecasts)


# --- plot_heatmap ----------------------------------------------------------------------------


def test_heatmap_with_colorbar_and_a_symmetric_scale():
    matrix = np.array([[-0.5, 0.2], [0.1, 0.25], [0.0, 0.3]])
    ax = plot_heatmap(matrix, xlabel="hidden unit", ylabel="time step", title="h")
    image = ax.images[0]
    np.testing.assert_array_equal(image.get_array(), matrix)
    assert image.get_clim() == (-0.5, 0.5)
    assert len(ax.figure.axes) == 2  # the heatmap and its colorbar
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("hidden unit", "time step", "h")


def test_heatmap_without_colorbar_and_with_positive_values():
    ax = plot_heatmap(
        np.array([[1.0, 2.0]]), xlabel="x", ylabel="y", colorbar=False, cmap="viridis"
    )
    assert len(ax.figure.axes) == 1
    assert ax.images[0].get_clim() == (1.0, 2.0)


def test_heatmap_needs_a_matrix():
    with pytest.raises(ValueError, match=r"matrix: expected a 2-D array, got shape \(3,\)"):
        plot_heatmap(np.ones(3), xlabel="x", ylabel="y")
