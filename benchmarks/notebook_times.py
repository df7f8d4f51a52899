"""Per-notebook run times from the last ``make test``, against the 120 s notebook budget.

``make test`` writes a JUnit report (``_build/test-report.xml``) in which every notebook
cell is a test case. This script adds up the cells of each notebook and prints the
notebooks by time, marking those over the budget, and the total::

    python benchmarks/notebook_times.py [_build/test-report.xml] [--budget 120]

The times are those of that run, on that machine, under whatever else it was doing.
"""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path


def notebook_times(report: Path) -> dict[str, float]:
    """Seconds per notebook (the sum of its cells' times) in a pytest JUnit report."""
    totals: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("classname", "")  # "book.03-math.01-forward.md" for a notebook cell
        if name.endswith(".md") and case.get("name", "").startswith("Cell "):
            totals[name[: -len(".md")].replace(".", "/") + ".md"] += float(case.get("time", 0.0))
    return dict(totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", default="_build/test-report.xml", type=Path)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per notebook")
    args = parser.parse_args()
    if not args.report.is_file():
        raise SystemExit(f"no report at {args.report}: run `make test` first")
    times = notebook_times(args.report)
    if not times:
        raise SystemExit(f"{args.report} has no notebook cells")
    for name, seconds in sorted(times.items(), key=lambda item: -item[1]):
        flag = "  OVER BUDGET" if seconds > args.budget else ""
        print(f"{seconds:7.1f} s  {name}{flag}")
    print(f"{sum(times.values()):7.1f} s  in {len(times)} notebooks (sum of cell times)")


if __name__ == "__main__":
    main()
