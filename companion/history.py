"""A record of training metrics, the same for the NumPy and the PyTorch training loops.

    history = History()
    history.log(step, train_loss=2.31, grad_norm=4.2)   # any metrics, any step
    history.log(step, val_bpc=1.9)                      # metrics may be logged at other steps
    steps, values = history["train_loss"]               # two NumPy arrays, ready to plot
    History.from_dict(json.loads(json.dumps(history.to_dict())))  # round-trips through JSON

Values are stored as Python floats (anything ``float()`` accepts: NumPy scalars, 0-d torch
tensors), so a history never holds on to arrays or devices.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from companion._validate import check_int


class Series(NamedTuple):
    """One metric: the steps it was logged at and its values, both 1-D arrays."""

    steps: np.ndarray
    values: np.ndarray


class History:
    """Per-step (or per-evaluation) metrics, each a series of ``(step, value)`` points."""

    def __init__(self) -> None:
        self._points: dict[str, tuple[list[int], list[float]]] = {}

    def log(self, step: int, **metrics: Any) -> None:
        """Record each ``name=value`` in ``metrics`` at ``step`` (an int)."""
        check_int(step, "step")
        for name, value in metrics.items():
            try:
                if isinstance(value, (str, bytes)):
                    raise TypeError
                number = float(value)
            except (TypeError, ValueError) as err:
                raise TypeError(f"{name}: expected a number, got {type(value).__name__}") from err
            steps, values = self._points.setdefault(name, ([], []))
            steps.append(int(step))
            values.append(number)

    @property
    def names(self) -> list[str]:
        """The metric names, in the order they were first logged."""
        return list(self._points)

    def __contains__(self, name: object) -> bool:
        return name in self._points

    def __getitem__(self, name: str) -> Series:
        if name not in self._points:
            raise KeyError(f"{name!r}: no such metric; logged metrics are {self.names}")
        steps, values = self._points[name]
        return Series(np.array(steps, dtype=np.int64), np.array(values, dtype=np.float64))

    def last(self, name: str) -> float:
        """The most recent value of metric ``name``."""
        return float(self[name].values[-1])

    def to_dict(self) -> dict[str, dict[str, list]]:
        """``{name: {"steps": [...], "values": [...]}}``: plain lists, JSON-ready."""
        return {
            name: {"steps": list(steps), "values": list(values)}
            for name, (steps, values) in self._points.items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, dict[str, list]]) -> History:
        """The inverse of :meth:`to_dict`."""
        history = cls()
        for name, series in data.items():
            steps, values = series["steps"], series["values"]
            if len(steps) != len(values):
                raise ValueError(
                    f"data[{name!r}]: expected as many steps as values, "
                    f"got {len(steps)} steps and {len(values)} values"
                )
            for step, value in zip(steps, values, strict=True):
                history.log(step, **{name: value})
        return history

    def __eq__(self, other: object) -> bool:
        return isinstance(other, History) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}: {len(steps)}" for name, (steps, _) in self._points.items())
        return f"History({sizes})"
