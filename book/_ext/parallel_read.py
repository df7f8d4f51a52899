"""Let Sphinx read (and so execute) two pages at a time when the build asks for two jobs.

``make book`` builds with two jobs (``book/_ext/build_book.py``), so that the notebooks run
two at a time, one per core. Two things stood in the way:

- Sphinx reads in parallel only when every extension says it may, and two that Jupyter Book
  adds say nothing. Both may, as their code shows: sphinx-multitoc-numbering (the chapter
  numbers) only replaces the function that numbers the sections, which Sphinx calls in the
  main process once every page has been read; sphinx-jupyterbook-latex only changes the
  page being read (and the environment in a LaTeX build, before any page is read). This
  extension declares them parallel-safe.
- In a cold build, two processes that each open the jupyter-cache for the first time would
  both create its database. This extension creates it in the main process before the pages
  are read.
"""

from __future__ import annotations

from typing import Any

from jupyter_cache import get_cache
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

# Extensions that do not declare whether they are safe for parallel reading, and are.
READ_SAFE = ("sphinx_multitoc_numbering", "sphinx_jupyterbook_latex")


def prepare_parallel_read(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Before the pages are read: declare the extensions of ``READ_SAFE`` parallel-safe, and
    create the execution cache."""
    for name in READ_SAFE:
        if name in app.extensions:
            app.extensions[name].parallel_read_safe = True
    config = getattr(env, "mystnb_config", None)
    if config is not None and config.execution_mode == "cache" and docnames:
        get_cache(config.execution_cache_path or ".jupyter_cache").db  # noqa: B018 (creates it)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("env-before-read-docs", prepare_parallel_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
