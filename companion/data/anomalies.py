"""Synthetic series with anomalies of known kinds at known places, to measure detectors.

A detector flags the steps of a series that look unusual. To measure how well it does, you
need a series whose normal behaviour follows a stated process and whose anomalies are
known, kind and place. This module makes both (NumPy only):

    normal = seasonal_series(9600, period=24, seed=0)                  # (N,) no anomaly
    test = inject_anomalies(seasonal_series(8640, period=24, seed=1),
                            list(KINDS) * 15, period=24, size=1.0, length=72, seed=2)
    test.values, test.labels, test.anomalies    # (N,) values, (N,) kind ids, the anomalies
    threshold = false_alarm_threshold(scores_on_normal_data, rate=0.01)
    detection_summary(scores > threshold, test)  # false-alarm rate, share detected per kind

The normal process of :func:`seasonal_series` is a seasonal cycle plus AR(1) noise. The
kinds of anomaly (:data:`KINDS`) are a *spike* (one step off), a *level shift* (a stretch
of steps moved up or down) and a *pattern change* (the shape of the seasonal cycle changes
for a stretch while its values stay in their usual range).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from companion._validate import Seed, as_generator, check_int, check_number, check_probability

__all__ = [
    "KINDS",
    "Anomaly",
    "LabelledSeries",
    "Detection",
    "seasonal_series",
    "inject_anomalies",
    "false_alarm_threshold",
    "detection_summary",
]

KINDS = ("spike", "level shift", "pattern change")
"""The kinds of anomaly; in ``labels``, kind ``KINDS[i]`` is ``i + 1`` and normal steps 0."""


class Anomaly(NamedTuple):
    """One injected anomaly: its kind, the steps ``start:stop`` it covers, its signed size."""

    kind: str
    start: int
    stop: int
    size: float


class LabelledSeries(NamedTuple):
    """``values`` (N,) float64; ``labels`` (N,) int64, 0 normal and ``KINDS.index(kind) + 1``
    inside an anomaly; ``anomalies``, in time order."""

    values: np.ndarray
    labels: np.ndarray
    anomalies: tuple[Anomaly, ...]


class Detection(NamedTuple):
    """What a detector's flags found: ``false_alarm_rate``, the share of normal steps flagged;
    ``events[kind]``, the share of that kind's anomalies with at least one step flagged;
    ``steps[kind]``, the share of that kind's anomalous steps flagged."""

    false_alarm_rate: float
    events: dict[str, float]
    steps: dict[str, float]


def seasonal_series(
    n: int, *, period: int = 24, ar: float = 0.5, noise: float = 0.2, seed: Seed = 0
) -> np.ndarray:
    """A normal series: a seasonal cycle plus AR(1) noise.

    ``x_t = sin(2 pi t / P) + 0.5 sin(4 pi t / P) + e_t`` with ``e_t = ar e_{t-1} + noise eps_t``
    and ``eps_t`` standard normal; ``e_0`` is drawn from the stationary distribution, of
    standard deviation ``noise / sqrt(1 - ar**2)``, so the series is stationary from its
    first step. The best one-step forecast is ``s_t + ar (x_{t-1} - s_{t-1})`` (``s`` the
    cycle), with error of standard deviation ``noise``.

    Args:
        n: ``N``, the number of steps (>= 1).
        period: ``P``, the length of the cycle in steps (>= 2).
        ar: the AR(1) coefficient, in ``[0, 1)``.
        noise: the standard deviation of ``eps_t`` (> 0).
        seed: an int or a ``numpy.random.Generator``.

    Returns:
        (N,) float64.
    """
    n = check_int(n, "n", minimum=1)
    period = check_int(period, "period", minimum=2)
    ar = check_probability(ar, "ar", allow_one=False)
    noise = check_number(noise, "noise")
    if noise <= 0:
        raise ValueError(f"noise: expected a standard deviation > 0, got {noise!r}")
    eps = as_generator(seed).normal(0.0, noise, n)
    e = np.empty(n)
    e[0] = eps[0] / math.sqrt(1.0 - ar**2)
    for t in range(1, n):
        e[t] = ar * e[t - 1] + eps[t]
    phase = 2 * np.pi * np.arange(n) / period
    return np.sin(phase) + 0.5 * np.sin(2 * phase) + e


def _sizes(size: float | Mapping[str, float], kinds: Sequence[str]) -> dict[str, float]:
    """The size of each kind in ``kinds``: ``size`` itself, or ``size[kind]``."""
    if not isinstance(size, Mapping):
        return dict.fromkeys(kinds, check_number(size, "size"))
    missing = [kind for kind in dict.fromkeys(kinds) if kind not in size]
    if missing:
        raise ValueError(f"size: expected a size for every kind in kinds, got none for {missing}")
    return {kind: check_number(size[kind], f"size[{kind!r}]") for kind in kinds}


def inject_anomalies(
    values: np.ndarray,
    kinds: Sequence[str],
    *,
    period: int,
    size: float | Mapping[str, float] = 1.0,
    length: int = 72,
    seed: Seed = 0,
) -> LabelledSeries:
    """A copy of ``values`` with one anomaly of each of ``kinds`` added, and their labels.

    The series is cut into ``len(kinds)`` slots of equal length; anomaly ``i``, of kind
    ``kinds[i]``, starts at a step drawn uniformly inside slot ``i``, at least ``period``
    steps from either end of it, so that a detector's response to one anomaly ends before
    the next begins. Each kind adds to ``values``:

    * ``"spike"``: ``± size`` at one step (the sign drawn at random);
    * ``"level shift"``: ``± size`` at ``length`` steps in a row (the sign drawn at random);
    * ``"pattern change"``: ``-size sin(4 pi t / period)`` at ``length`` steps in a row, a
      change of the cycle's second harmonic. For :func:`seasonal_series` with ``size=1``, the
      cycle becomes ``sin(2 pi t / P) - 0.5 sin(4 pi t / P)``, the normal cycle run
      backwards in time: every value stays in the normal range, only the order changes.

    Args:
        values: (N,) the normal series.
        kinds: the kind of each anomaly, in time order, each one of :data:`KINDS`.
        period: ``P``, the length of the seasonal cycle in steps (>= 2).
        size: the size of every anomaly, or ``{kind: size}`` for each kind.
        length: the number of steps of a level shift or a pattern change (>= 1).
        seed: an int or a ``numpy.random.Generator``.

    Returns:
        :class:`LabelledSeries` ``(values, labels, anomalies)``.
    """
    array = np.array(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"values: expected shape (N,), got {array.shape}")
    if isinstance(kinds, str) or not isinstance(kinds, Sequence) or not kinds:
        raise TypeError(f"kinds: expected a non-empty list of kinds from {KINDS}, got {kinds!r}")
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"kinds: expected each kind to be one of {KINDS}, got {kind!r}")
    period = check_int(period, "period", minimum=2)
    length = check_int(length, "length", minimum=1)
    sizes = _sizes(size, kinds)
    slot = len(array) // len(kinds)
    if slot < length + 2 * period:
        raise ValueError(
            f"values: {len(array)} steps are too few for {len(kinds)} anomalies of length "
            f"{length} with period={period}; need at least "
            f"{len(kinds) * (length + 2 * period)}"
        )
    rng = as_generator(seed)
    labels = np.zeros(len(array), dtype=np.int64)
    anomalies = []
    for i, kind in enumerate(kinds):
        steps = 1 if kind == "spike" else length
        start = i * slot + int(rng.integers(period, slot - steps - period + 1))
        stop = start + steps
        if kind == "pattern change":
            signed = sizes[kind]
            array[start:stop] -= signed * np.sin(4 * np.pi * np.arange(start, stop) / period)
        else:
            signed = float(rng.choice([-1.0, 1.0])) * sizes[kind]
            array[start:stop] += signed
        labels[start:stop] = KINDS.index(kind) + 1
        anomalies.append(Anomaly(kind, start, stop, signed))
    return LabelledSeries(array, labels, tuple(anomalies))


def false_alarm_threshold(normal_scores: np.ndarray, rate: float) -> float:
    """The smallest threshold that flags at most a share ``rate`` of normal scores.

    A step is flagged when its score is *above* the threshold. The threshold is the
    ``(n - m)``-th smallest of the ``n`` scores that are not NaN, with
    ``m = floor(rate * n)`` the number of false alarms allowed: at most ``m`` scores lie
    above it, and any lower threshold would leave more than ``m`` above. (This is the
    quantile ``1 - rate`` of NumPy's ``method="inverted_cdf"``.)

    Args:
        normal_scores: (n,) scores of steps known to be normal; NaN (a step without a
            score, such as the first of a series) is left out.
        rate: the false-alarm rate allowed, in ``[0, 1)``.

    Returns:
        The threshold, one of the scores.
    """
    scores = np.asarray(normal_scores, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(f"normal_scores: expected shape (n,), got {scores.shape}")
    scores = scores[~np.isnan(scores)]
    if len(scores) == 0:
        raise ValueError("normal_scores: expected at least one score that is not NaN, got none")
    rate = check_probability(rate, "rate", allow_one=False)
    allowed = math.floor(rate * len(scores) + 1e-9)  # rounding: 0.29 * 100 is 28.999...
    return float(np.sort(scores)[len(scores) - 1 - allowed])


def detection_summary(flags: np.ndarray, series: LabelledSeries) -> Detection:
    """How many normal steps ``flags`` raises an alarm at, and how much of each kind it finds.

    Args:
        flags: (N,) bool, True where the detector flags a step.
        series: the :class:`LabelledSeries` the flags are for.

    Returns:
        :class:`Detection`, with ``events`` and ``steps`` for each kind present in
        ``series``.
    """
    if not isinstance(series, LabelledSeries):
        raise TypeError(f"series: expected a LabelledSeries, got {type(series).__name__}")
    flags = np.asarray(flags)
    if flags.dtype != bool:
        raise TypeError(f"flags: expected a bool array, got dtype {flags.dtype}")
    if flags.shape != series.labels.shape:
        raise ValueError(f"flags: expected shape {series.labels.shape}, got {flags.shape}")
    events, steps = {}, {}
    for kind in dict.fromkeys(anomaly.kind for anomaly in series.anomalies):
        found = [flags[a.start : a.stop].any() for a in series.anomalies if a.kind == kind]
        events[kind] = float(np.mean(found))
        steps[kind] = float(flags[series.labels == KINDS.index(kind) + 1].mean())
    normal = series.labels == 0
    return Detection(float(flags[normal].mean()) if normal.any() else 0.0, events, steps)
