"""companion.records: the benchmark records, from the repository or from the installed package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from companion import records

ROOT = Path(__file__).resolve().parents[1]


def test_in_the_repository_the_records_are_benchmarks_results():
    on_disk = sorted(p.stem for p in (ROOT / "benchmarks" / "results").glob("*.json"))
    assert records.record_names() == on_disk and "charlm_long" in on_disk
    expected = json.loads((ROOT / "benchmarks" / "results" / "charlm_long.json").read_text())
    assert records.load_record("charlm_long") == expected


def test_an_installed_package_reads_its_own_copy(tmp_path, monkeypatch):
    package = tmp_path / "site-packages" / "companion"
    (package / "_records").mkdir(parents=True)
    (package / "_records" / "demo.json").write_text('{"command": "python bench_demo.py"}')
    monkeypatch.setattr(records, "PACKAGE", package)
    assert records.record_names() == ["demo"]
    assert records.load_record("demo") == {"command": "python bench_demo.py"}


def test_a_missing_record_names_the_ones_there_are():
    with pytest.raises(FileNotFoundError, match=r"no benchmark record 'nope'.*charlm_long"):
        records.load_record("nope")
