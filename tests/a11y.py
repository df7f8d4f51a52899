"""Accessibility checks for the built book: the alt text of images, and an axe-core audit.

``tests/test_book_html.py`` runs both over every page of the book; ``tests/test_a11y.py``
tests them on small pages of its own. axe-core (the engine most accessibility tools use)
comes bundled in the PyPI package ``axe-playwright-python`` (pinned in requirements.txt),
so the audit needs no network: its ``axe.min.js`` is injected into the page and run there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib.resources import files
from typing import Any

from bs4 import BeautifulSoup

# Violations of these impacts fail the audit; the others (moderate, minor) are reported.
BLOCKING_IMPACTS = ("critical", "serious")
IMAGE_FILE = re.compile(r"\.(png|jpe?g|gif|svg|webp)(\?.*)?$", re.IGNORECASE)


def axe_script() -> str:
    """The source of axe-core (``axe.min.js``) bundled with ``axe-playwright-python``."""
    return files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def alt_text_problem(alt: str | None) -> str | None:
    """Why ``alt`` (an ``<img>``'s alt attribute, ``None`` when absent) fails a reader, or ``None``.

    Alt text fails when it is missing, empty, or a file name or path: what Sphinx writes
    when a figure has none of its own (``alt="../_images/14ce69f5.png"``), which a screen
    reader reads out as a hash.
    """
    if alt is None:
        return "no alt attribute"
    text = alt.strip()
    if not text:
        return "empty alt text"
    if IMAGE_FILE.search(text) or ("/" in text and " " not in text):
        return f"alt text is a file path ({text[:60]})"
    return None


def images_without_alt_text(html: str) -> list[str]:
    """``"src: problem"`` for each ``<img>`` of the page ``html`` whose alt text fails a reader."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for image in soup.find_all("img"):
        problem = alt_text_problem(image.get("alt"))
        if problem:
            found.append(f"{image.get('src', '(no src)')}: {problem}")
    return found


def run_axe(page: Any) -> list[dict]:
    """Audit the page loaded in ``page`` (a Playwright ``Page``) with axe-core.

    Returns axe's violations, each a dict with ``id`` (the rule), ``impact``, ``help``,
    ``helpUrl`` and ``nodes`` (the elements, each with its CSS ``target`` and ``html``).
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_script())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return results["violations"]


def blocking(violations: Iterable[dict]) -> list[dict]:
    """The violations of impact serious or critical: those that fail the audit."""
    return [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: Iterable[dict], page_name: str, examples: int = 2) -> list[str]:
    """One line per violation: the page, rule, impact, element count, help and examples."""
    lines = []
    for v in violations:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"]]
        shown = "; ".join(targets[:examples]) + ("; ..." if len(targets) > examples else "")
        lines.append(
            f"{page_name}: {v['id']} ({v.get('impact')}, {len(targets)} element(s)): "
            f"{v['help']} [{shown}] {v.get('helpUrl', '')}".rstrip()
        )
    return lines


def count_by_rule(violations: Iterable[dict]) -> dict[str, int]:
    """``{"rule (impact)": number of elements}`` over ``violations``, sorted by rule."""
    counts: dict[str, int] = {}
    for v in violations:
        key = f"{v['id']} ({v.get('impact')})"
        counts[key] = counts.get(key, 0) + len(v["nodes"])
    return dict(sorted(counts.items()))
