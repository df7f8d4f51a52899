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

Sphinx hands each process a run of consecutive pages (a chunk of about twenty), and the
pages that take longest sit together (chapters 5 and 6), so one process could still be
executing them long after the other ran out of work. This extension deals the pages out to
the chunks in turn, so that every chunk gets a share of every chapter.
"""

from __future__ import annotations

from typing import Any

from jupyter_cache import get_cache
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.parallel import make_chunks

# Extensions that do not declare whether they are safe for parallel reading, and are.
READ_SAFE = ("sphinx_multitoc_numbering", "sphinx_jupyterbook_latex")


def dealt(docnames: list[str], processes: int) -> list[str]:
    """``docnames`` reordered so that each chunk Sphinx cuts for ``processes`` processes holds
    every so-many-th page (the chunks keep the sizes Sphinx gives them)."""
    sizes = [len(chunk) for chunk in make_chunks(docnames, processes)]
    chunks: list[list[str]] = [[] for _ in sizes]
    turn = 0
    for docname in docnames:
        while len(chunks[turn % len(chunks)]) == sizes[turn % len(chunks)]:
            turn += 1
        chunks[turn % len(chunks)].append(docname)
        turn += 1
    return [docname for chunk in chunks for docname in chunk]


def prepare_parallel_read(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Before the pages are read: declare the extensions of ``READ_SAFE`` parallel-safe,
    create the execution cache, and deal the pages out to the chunks."""
    for name in READ_SAFE:
        if name in app.extensions:
            app.extensions[name].parallel_read_safe = True
    config = getattr(env, "mystnb_config", None)
    if config is not None and config.execution_mode == "cache" and docnames:
        get_cache(config.execution_cache_path or ".jupyter_cache").db  # noqa: B018 (creates it)
    if app.parallel > 1 and docnames:
        docnames[:] = dealt(docnames, app.parallel)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("env-before-read-docs", prepare_parallel_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
