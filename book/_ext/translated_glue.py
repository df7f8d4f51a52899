"""Glued values inside translated paragraphs (the Chinese edition).

A page writes a number its code computed with ``{glue:text}`key``` (myst-nb's glue). In a
translated build, Sphinx's i18n transform replaces each paragraph by its translation and
parses that translation as a small document of its own; myst-nb looks up glued keys in the
document being parsed, and that small document has no notebook, so every glued value of a
translated paragraph would fail with "No key ... found in glue data".

This extension lets the lookup fall back to the page's own notebook: a transform that runs
just before the i18n one remembers the page's document, and a failed lookup is retried
there. In the English build every lookup succeeds the first time, and nothing changes.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from myst_nb.core.variables import RetrievalError, VariableOutput
from myst_nb.ext.glue import directives, roles, utils
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.transforms.i18n import Locale

_PAGE = "translated_glue_page"  # key in env.temp_data, which Sphinx clears for every page
_retrieve = utils.retrieve_glue_data


class RememberPage(SphinxTransform):
    """Keep the page's document (the one that holds its notebook) for translated messages."""

    default_priority = Locale.default_priority - 1

    def apply(self, **kwargs: Any) -> None:
        if "nb_renderer" in self.document:
            self.env.temp_data[_PAGE] = self.document


def retrieve_glue_data(document: nodes.document, key: str) -> VariableOutput:
    """myst-nb's lookup of ``key``, retried in the page's notebook when ``document`` is a
    translated message parsed on its own."""
    try:
        return _retrieve(document, key)
    except RetrievalError:
        env = getattr(document.settings, "env", None)
        page = env.temp_data.get(_PAGE) if env is not None else None
        if page is None or page is document:
            raise
        return _retrieve(page, key)


def setup(app: Sphinx) -> dict:
    app.add_transform(RememberPage)
    # The roles and directives imported the function by name: replace it where it is used.
    for module in (utils, roles, directives):
        module.retrieve_glue_data = retrieve_glue_data
    return {"parallel_read_safe": True, "parallel_write_safe": True}
