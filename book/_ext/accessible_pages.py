"""Fix the accessibility faults that the theme and docutils put on every page.

An axe-core audit of the built book (``tests/test_book_html.py``) found three, none of them
in the course's own pages:

* ``summary-name`` (serious): each chapter of the navigation folds open with a
  ``<summary>`` that holds only a chevron icon, so a screen reader announces a nameless
  button. Each one is named after its chapter ("Sections of 3. The mathematics ...").
* ``region`` (moderate): the book's title at the top of the navigation sits outside any
  landmark, so a reader who moves between landmarks never reaches it. It is wrapped in a
  ``<nav aria-label="Home">`` (template ``templates/navbar-logo-landmark.html``).
* ``aria-required-children`` (critical) on the references page: docutils gives each
  bibliography entry the deprecated role ``doc-biblioentry`` inside a ``role="list"``,
  whose children must be list items. The entries get ``role="listitem"``.
"""

from __future__ import annotations

from functools import wraps
from pathlib import Path

from bs4 import BeautifulSoup
from sphinx.application import Sphinx

TEMPLATES = Path(__file__).resolve().parent / "templates"
THEME_LOGO = "navbar-logo.html"
LOGO_IN_LANDMARK = "navbar-logo-landmark.html"
DEPRECATED_ENTRY_ROLE = 'role="doc-biblioentry"'


def name_summaries(soup: BeautifulSoup) -> BeautifulSoup:
    """Give each ``<summary>`` without text in the navigation ``soup`` an ``aria-label``.

    The name is that of the chapter (or part) whose sections the ``<summary>`` folds open.
    Changes ``soup`` in place and returns it.
    """
    for summary in soup.find_all("summary"):
        if summary.get_text(strip=True) or summary.get("aria-label"):
            continue
        item = summary.find_parent("li")
        title = item.find(["a", "p"], recursive=False) if item else None
        if title is not None and title.get_text(strip=True):
            summary["aria-label"] = f"Sections of {title.get_text(' ', strip=True)}"
    return soup


def _add_templates(app: Sphinx, config) -> None:
    config.templates_path = [*config.templates_path, str(TEMPLATES)]


def _fix_page(app: Sphinx, pagename, templatename, context, doctree) -> None:
    sidebars = context.get("sidebars")
    if sidebars and THEME_LOGO in sidebars:
        context["sidebars"] = [LOGO_IN_LANDMARK if s == THEME_LOGO else s for s in sidebars]
    toctree = context.get("generate_toctree_html")
    if toctree is not None:

        @wraps(toctree)
        def named(*args, **kwargs):
            # the theme returns a BeautifulSoup object, though its docstring says a string
            toc = toctree(*args, **kwargs)
            return name_summaries(toc) if isinstance(toc, BeautifulSoup) else toc

        context["generate_toctree_html"] = named
    if "body" in context:
        context["body"] = context["body"].replace(DEPRECATED_ENTRY_ROLE, 'role="listitem"')


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _add_templates)
    # After the theme (priority 500) has put generate_toctree_html into the context.
    app.connect("html-page-context", _fix_page, priority=800)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
