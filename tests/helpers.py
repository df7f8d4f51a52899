"""Paths and small helpers that the tests and the root ``conftest.py`` share.

Import them with ``from helpers import ROOT`` (pytest puts ``tests/`` on the path, as it does
for ``a11y`` and ``checker_contract``); ``conftest.py`` keeps only hooks and fixtures.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "executed"
NOTEBOOK_DIRS = ("book", "solutions")


def toc_files() -> set[str]:
    """The files listed in _toc.yml, as paths without extension relative to the root."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = {toc["root"]}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                found.add(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(toc.get("parts", []))
    return found


def executed_path(path: Path) -> Path:
    """Where the executed copy of the notebook at ``path`` is written (``.ipynb``)."""
    return (EXECUTED / path.resolve().relative_to(ROOT)).with_suffix(".ipynb")
