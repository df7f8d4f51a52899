"""The accessibility checks of tests/a11y.py, on small pages of their own, and the fixes of
book/_ext/accessible_pages.py. The same checks run over the whole book in test_book_html.py."""

from __future__ import annotations

import sys

import pytest
from a11y import (
    alt_text_problem,
    axe_script,
    blocking,
    count_by_rule,
    describe,
    images_without_alt_text,
    run_axe,
)
from bs4 import BeautifulSoup
from helpers import ROOT
from test_book_html import browser  # noqa: F401 (a fixture)

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from accessible_pages import name_summaries  # noqa: E402

# --- alt text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alt",
    [
        "Training loss against step; Adam falls faster than SGD.",
        "Norm of dL/dh against distance in time",  # a slash, but words: not a path
    ],
)
def test_alt_text_that_describes_passes(alt):
    assert alt_text_problem(alt) is None


@pytest.mark.parametrize(
    ("alt", "problem"),
    [
        (None, "no alt attribute"),
        ("", "empty"),
        ("   ", "empty"),
        ("../_images/14ce69f5a2c17.png", "file path"),  # what Sphinx writes without alt text
        ("figure.PNG", "file path"),
        ("_images/plot", "file path"),
    ],
)
def test_missing_empty_or_path_alt_text_fails(alt, problem):
    assert problem in alt_text_problem(alt)


def test_images_without_alt_text_names_each_image():
    html = """<p><img src="a.png" alt="A rising line of loss against step.">
              <img src="b.png"> <img src="c.png" alt="../_images/c.png"></p>"""
    assert images_without_alt_text(html) == [
        "b.png: no alt attribute",
        "c.png: alt text is a file path (../_images/c.png)",
    ]
    assert images_without_alt_text("<p>no images</p>") == []


# --- reporting violations -----------------------------------------------------------------------

VIOLATIONS = [
    {
        "id": "summary-name",
        "impact": "serious",
        "help": "Summary elements must have discernible text",
        "helpUrl": "https://example.org/summary-name",
        "nodes": [{"target": ["details > summary"]}, {"target": ["li > details > summary"]}],
    },
    {
        "id": "region",
        "impact": "moderate",
        "help": "All page content should be contained by landmarks",
        "nodes": [{"target": [".logo"]}],
    },
]


def test_only_serious_and_critical_violations_block():
    assert [v["id"] for v in blocking(VIOLATIONS)] == ["summary-name"]
    assert blocking([{**VIOLATIONS[0], "impact": "critical"}])
    assert not blocking([{**VIOLATIONS[1], "impact": "minor"}])


def test_violations_are_described_and_counted_per_rule():
    lines = describe(VIOLATIONS, "book/intro.html", examples=1)
    assert lines == [
        "book/intro.html: summary-name (serious, 2 element(s)): Summary elements must have "
        "discernible text [details > summary; ...] https://example.org/summary-name",
        "book/intro.html: region (moderate, 1 element(s)): All page content should be "
        "contained by landmarks [.logo]",
    ]
    assert count_by_rule(VIOLATIONS + VIOLATIONS[1:]) == {
        "region (moderate)": 2,
        "summary-name (serious)": 2,
    }


# --- the audit in a browser ---------------------------------------------------------------------

PAGE = """<!DOCTYPE html><html lang="en"><head><title>A page</title></head><body>
<nav aria-label="Main"><ul><li><a href="#">3. Mathematics</a>
  <details open><summary{summary}></summary><ul><li><a href="#">3.1 Forward</a></li></ul>
  </details></li></ul></nav>
<main><h1>A page</h1><p>Some text.</p>{image}</main></body></html>"""


def audit(browser, html):  # noqa: F811 (browser: the fixture)
    page = browser.new_page()
    try:
        page.set_content(html)
        return run_axe(page)
    finally:
        page.close()


def test_axe_core_is_bundled():
    assert axe_script().startswith("/*! axe v4.")


def test_the_audit_passes_a_clean_page(browser):  # noqa: F811
    html = PAGE.format(
        summary=' aria-label="Sections of 3. Mathematics"',
        image='<img src="data:," alt="A falling line of loss against step.">',
    )
    assert audit(browser, html) == []


def test_the_audit_finds_a_nameless_summary_and_an_image_without_alt(browser):  # noqa: F811
    violations = audit(browser, PAGE.format(summary="", image='<img src="data:,">'))
    assert {v["id"]: v["impact"] for v in blocking(violations)} == {
        "summary-name": "serious",
        "image-alt": "critical",
    }


# --- the fixes of book/_ext/accessible_pages.py ------------------------------------------------


def test_each_folding_summary_is_named_after_its_chapter():
    soup = BeautifulSoup(
        """<ul><li><a href="a.html">3. The mathematics</a><details><summary><span
           role="presentation"><i class="fa-chevron-down"></i></span></summary></details></li>
           <li><a href="b.html">4. Training</a><details><summary>Shown</summary></details></li>
           </ul>""",
        "html.parser",
    )
    first, second = name_summaries(soup).find_all("summary")
    assert first["aria-label"] == "Sections of 3. The mathematics"
    assert "aria-label" not in second.attrs  # it has text of its own: left alone
