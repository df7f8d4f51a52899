"""benchmarks/common.py: a rerun of some parts of a benchmark keeps the parts it did not run."""

from __future__ import annotations

import json
import sys

from helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import common  # noqa: E402


def test_kept_parts_returns_the_named_parts_already_written(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    (tmp_path / "demo.json").write_text(json.dumps({"a": [1], "b": {"x": 2}, "date": "today"}))
    assert common.kept_parts("demo", ["a", "b", "c"]) == {"a": [1], "b": {"x": 2}}
    assert common.kept_parts("demo", ["c"]) == {}


def test_kept_parts_of_a_benchmark_never_run_is_empty(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    assert common.kept_parts("absent", ["a"]) == {}
