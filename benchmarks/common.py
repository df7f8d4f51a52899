"""What every benchmark shares: the machine it ran on, interleaved timing, the result file.

A result file is JSON under ``benchmarks/results/`` holding the command that made it, the
date, the machine and the benchmark's own table, so the book can cite it and say where
its numbers come from.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
)


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    """CPU, cores, load, library versions and thread settings of this process."""
    import numpy as np

    info = {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "environment": {name: os.environ.get(name) for name in THREAD_VARIABLES},
    }
    try:
        import torch
    except ImportError:
        pass
    else:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        info["blas"] = [
            {k: pool.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for pool in threadpool_info()
            if pool.get("user_api") == "blas"
        ]
    return info


def interleaved_medians(
    candidates: dict[str, Callable[[], object]], *, repeats: int = 7, min_time: float = 0.2
) -> dict[str, float]:
    """Median seconds per call of each candidate, timed in turn (A, B, C, A, B, C, ...).

    Interleaving spreads slow drifts of the machine (other jobs, frequency changes) over
    every candidate alike. Each candidate first runs once to warm up and to choose how many
    calls make up one measurement of at least ``min_time`` seconds.
    """
    numbers = {}
    for name, call in candidates.items():
        start = time.perf_counter()
        call()
        numbers[name] = max(1, round(min_time / max(time.perf_counter() - start, 1e-9)))
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, call in candidates.items():
            start = time.perf_counter()
            for _ in range(numbers[name]):
                call()
            samples[name].append((time.perf_counter() - start) / numbers[name])
    return {name: statistics.median(times) for name, times in samples.items()}


def kept_parts(name: str, parts: Sequence[str]) -> dict:
    """The ``parts`` already in ``results/<name>.json``, so that a rerun of some parts keeps
    the others (an empty dict when there is no such file yet)."""
    path = RESULTS / f"{name}.json"
    previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return {part: previous[part] for part in parts if part in previous}


def write_result(name: str, payload: dict, machine: dict | None = None) -> Path:
    """Write ``results/<name>.json`` (atomically) with the command, the date and the machine."""
    record = {
        "benchmark": name,
        "command": shlex.join(["python", *_relative_argv()]),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine if machine is not None else machine_info(),
        **payload,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    target = RESULTS / f"{name}.json"
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target


def _relative_argv() -> list[str]:
    script = Path(sys.argv[0]).resolve()
    try:
        script = script.relative_to(RESULTS.parent.parent)
    except ValueError:
        pass
    return [str(script), *sys.argv[1:]]
