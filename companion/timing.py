"""Wall-clock timing for the pages that measure speed, robust to a busy machine.

A page that compares speeds times its candidates *in turns* (one call of each per round) and
takes medians, so that a burst of work from another program slows every candidate alike
instead of the one that happened to be running. On a GPU, work runs asynchronously: the
clock is read only after the device has finished (``torch.cuda.synchronize``).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Mapping

from companion._validate import check_int


def _wait_for_the_gpu() -> None:
    torch = sys.modules.get("torch")  # a NumPy page never imports torch for this
    if torch is not None and torch.cuda.is_available():
        torch.cuda.synchronize()


def _seconds(step: Callable[[], object]) -> float:
    _wait_for_the_gpu()
    start = time.perf_counter()
    step()
    _wait_for_the_gpu()
    return time.perf_counter() - start


def median_ms_in_turns(
    steps: Mapping[str, Callable[[], object]], repeats: int = 5, warmup: int = 1
) -> dict[str, float]:
    """Median wall time, in milliseconds, of each of ``steps`` (name -> function of no arguments).

    Each step is first called ``warmup`` times untimed; then ``repeats`` rounds call every
    step once, in the order given.
    """
    if not steps:
        raise ValueError("steps: expected at least one step to time, got none")
    check_int(repeats, "repeats", minimum=1)
    check_int(warmup, "warmup", minimum=0)
    for step in steps.values():
        for _ in range(warmup):
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            times[name].append(_seconds(step))
    return {name: 1e3 * statistics.median(seconds) for name, seconds in times.items()}


def median_ms(step: Callable[[], object], repeats: int = 3, warmup: int = 0) -> float:
    """Median wall time, in milliseconds, of ``repeats`` calls of ``step()``."""
    return median_ms_in_turns({"step": step}, repeats, warmup)["step"]
