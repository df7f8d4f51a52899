"""The benchmark records that pages plot: JSON written by the scripts under ``benchmarks/``.

In the repository they live in ``benchmarks/results/``; the package's wheel carries a copy
as ``companion/_records/``, so a page run outside the repository (Colab, a download) reads
the same records.
"""

from __future__ import annotations

import json
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def _folder() -> Path:
    """``benchmarks/results/`` of the repository this package sits in, else the installed copy."""
    repository = PACKAGE.parent
    if (repository / "pyproject.toml").is_file() and (repository / "benchmarks").is_dir():
        return repository / "benchmarks" / "results"
    return PACKAGE / "_records"


def record_names() -> list[str]:
    """The names of every record, sorted: ``["charlm_long", "long_memory", ...]``."""
    return sorted(path.stem for path in _folder().glob("*.json"))


def load_record(name: str) -> dict:
    """The record ``name`` (``"charlm_long"``): command, machine, date, configuration, results."""
    path = _folder() / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"no benchmark record {name!r} in {path.parent}: the records are "
            f"{', '.join(record_names()) or 'missing'} (a script under benchmarks/ writes each)"
        )
    return json.loads(path.read_text(encoding="utf-8"))
