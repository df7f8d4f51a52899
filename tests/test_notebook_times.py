"""The per-notebook timing report adds up each notebook's cells and ignores other tests."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from notebook_times import notebook_times  # noqa: E402

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
  <testcase classname="book.03-math.01-forward.md" name="Cell 0" time="1.5" />
  <testcase classname="book.03-math.01-forward.md" name="Cell 1" time="2.25" />
  <testcase classname="solutions.07-faq.md" name="Cell 3" time="130.0" />
  <testcase classname="tests.test_seeding" name="test_same_seed" time="9.0" />
</testsuite></testsuites>
"""


def test_sums_cells_per_notebook(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text(REPORT, encoding="utf-8")
    assert notebook_times(report) == pytest.approx(
        {"book/03-math/01-forward.md": 3.75, "solutions/07-faq.md": 130.0}
    )


def test_command_line_flags_the_notebooks_over_budget(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text(REPORT, encoding="utf-8")
    script = ROOT / "benchmarks" / "notebook_times.py"
    out = subprocess.run(
        [sys.executable, str(script), str(report)], capture_output=True, text=True, check=True
    ).stdout
    assert "solutions/07-faq.md  OVER BUDGET" in out
    assert "01-forward.md  OVER" not in out
    assert "in 2 notebooks" in out
