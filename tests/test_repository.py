"""The repository keeps its own rules: notebooks as MyST only, every page in the TOC, and
every page laid out the way CONTRIBUTING.md describes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, toc_files

from companion.exercises import is_notebook

BOOK = ROOT / "book"


def _tracked(pattern: str) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", pattern], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def _pages() -> list[Path]:
    return sorted(p for p in BOOK.rglob("*.md") if "_build" not in p.parts)


def _chapter_pages() -> list[Path]:
    return [p for p in _pages() if re.match(r"\d\d-", p.relative_to(BOOK).parts[0])]


def test_no_ipynb_is_tracked():
    assert _tracked("*.ipynb") == [], "notebooks live as MyST Markdown (.md); found tracked .ipynb"


def test_every_book_page_is_in_the_toc():
    toc = toc_files()
    missing = [
        str(p.relative_to(ROOT)) for p in _pages() if str(p.relative_to(ROOT))[:-3] not in toc
    ]
    assert not missing, f"pages not listed in _toc.yml: {missing}"


def test_every_toc_entry_exists():
    absent = [f for f in toc_files() if not (ROOT / f"{f}.md").is_file()]
    assert not absent, f"_toc.yml lists files that do not exist: {absent}"


def test_every_exercise_and_solution_notebook_is_in_the_toc():
    toc = toc_files()
    for folder in ("exercises", "solutions"):
        notebooks = sorted((ROOT / folder).glob("[0-9][0-9]-*.md"))
        assert notebooks, f"no notebooks in {folder}/"
        missing = [str(p.relative_to(ROOT)) for p in notebooks if f"{folder}/{p.stem}" not in toc]
        assert not missing, f"not listed in _toc.yml: {missing}"


def test_chapter_index_links_its_exercises():
    """A chapter that has an exercise notebook says so at the end of its index page."""
    for notebook in sorted((ROOT / "exercises").glob("[0-9][0-9]-*.md")):
        index = BOOK / notebook.stem / "index.md"
        assert index.is_file(), f"{notebook.name} matches no chapter folder book/{notebook.stem}"
        link = f"[](../../exercises/{notebook.stem}.md)"
        assert link in index.read_text(encoding="utf-8"), f"{index}: no link {link}"


def test_pages_link_pages_with_markdown_links():
    """`[](page.md)` renders in the book and opens the page in JupyterLab; `{doc}` only in the
    book."""
    pages = sorted([*BOOK.rglob("*.md"), *(ROOT / "solutions").glob("*.md")])
    with_doc = [str(p.relative_to(ROOT)) for p in pages if "{doc}`" in p.read_text("utf-8")]
    assert not with_doc, f"{{doc}} roles left (write [](page.md) instead): {with_doc}"


def test_glossary_is_one_sorted_table():
    """Readers look terms up alphabetically; three columns: term, Chinese, definition."""
    text = (BOOK / "appendix" / "glossary.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ")][1:]
    assert len(rows) > 100, "the glossary table is missing or short"
    terms = [row.strip("| ").split(" | ")[0] for row in rows]
    assert all(len(row.strip().strip("|").split(" | ")) == 3 for row in rows)

    def key(term: str) -> str:
        return re.sub(r"[^a-z0-9 ]", "", term.lower())

    assert [key(t) for t in terms] == sorted(key(t) for t in terms), "glossary rows not sorted"
    assert len(set(map(key, terms))) == len(terms), "a term appears twice in the glossary"


def test_every_chapter_has_an_index():
    for number, name in enumerate(
        ["background", "concepts", "math", "training", "code", "future", "faq"], start=1
    ):
        assert (BOOK / f"{number:02d}-{name}" / "index.md").is_file()


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(BOOK)))
def test_page_is_a_myst_notebook_with_front_matter(page):
    assert is_notebook(page), f"{page}: missing the jupytext + kernelspec front matter"
    text = page.read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---")[1])
    assert front["jupytext"]["text_representation"]["format_name"] == "myst"
    assert front["kernelspec"]["name"] == "python3"
    assert re.search(r"^# \S", text, re.M), f"{page}: no '# Title' line"
    assert not re.search(r"\bTODO\b|coming soon", text, re.I), f"{page}: placeholder text"


@pytest.mark.parametrize(
    "page", [BOOK / "intro.md", *_chapter_pages()], ids=lambda p: str(p.relative_to(BOOK))
)
def test_chapter_page_anatomy(page):
    """Objectives, prerequisites and time at the top; a summary at the end; a runnable cell."""
    text = page.read_text(encoding="utf-8")
    admonition = re.search(r":::\{admonition\} In this (section|chapter)\n(.*?)\n:::", text, re.S)
    assert admonition, f"{page}: no 'In this section/chapter' admonition after the title"
    for field in ("**You will**", "**You need**", "**Time**"):
        assert field in admonition.group(2), f"{page}: the admonition lacks {field}"
    if _has_sections(page):
        # Sphinx numbers a chapter page's own headings before its sections (3.1-3.6 for the
        # headings, then 3.7 for the first section), so an index page with sections uses
        # rubrics, which are not numbered, instead of headings.
        heading = re.search(r"^##+ .*", text, re.M)
        assert not heading, f"{page}: use a rubric, not {heading.group(0)!r}, on a chapter index"
        assert "```{rubric} Summary" in text, f"{page}: no Summary rubric"
    else:
        assert "## Summary" in text, f"{page}: no '## Summary' section"
    assert "```{code-cell}" in text, f"{page}: no runnable code cell"


def _has_sections(page: Path) -> bool:
    """Whether _toc.yml lists sections under this page."""
    prefix = str(page.relative_to(ROOT).parent) + "/"
    return page.name == "index.md" and any(
        f.startswith(prefix) and not f.endswith("/index") for f in toc_files()
    )


def test_figures_are_made_inline():
    """Pages that plot ask for inline figures themselves (MPLBACKEND must not decide)."""
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        if re.search(r"\bplt\.|matplotlib", text):
            first_cell = text.split("```{code-cell} ipython3", 1)[1].split("```", 1)[0]
            assert "%matplotlib inline" in first_cell, (
                f"{page}: first code cell lacks %matplotlib inline"
            )
