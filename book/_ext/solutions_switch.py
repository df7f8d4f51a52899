"""One setting leaves the solutions out of the book: ``include_solutions: false``.

The table of contents has a part "Solutions (for instructors)" whose pages live under
``solutions/``. With ``include_solutions`` false (under ``sphinx: config:`` in
``_config.yml``), this extension removes every ``solutions/`` entry from the table of
contents that sphinx-external-toc has read, and adds ``solutions/**`` to
``exclude_patterns``, so those pages are neither read nor built, and nothing else changes.
A ``{doc}`` link to a solution page would then be broken (an error, since the book builds
with warnings as errors): link solutions from the table of contents only.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.config import Config

FOLDER = "solutions/"


def _drop_solutions(app: Sphinx, config: Config) -> None:
    if config.include_solutions:
        return
    site_map = config.external_site_map
    for docname in list(site_map):
        document = site_map[docname]
        if docname.startswith(FOLDER):
            del site_map[docname]
            continue
        for tree in document.subtrees:
            tree.items = [item for item in tree.items if not str(item).startswith(FOLDER)]
        document.subtrees = [tree for tree in document.subtrees if tree.items]
    config.exclude_patterns = [*config.exclude_patterns, FOLDER + "**"]


def setup(app: Sphinx) -> dict:
    app.add_config_value("include_solutions", True, "env", [bool])
    # After sphinx-external-toc has parsed _toc.yml into config.external_site_map (900).
    app.connect("config-inited", _drop_solutions, priority=950)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
