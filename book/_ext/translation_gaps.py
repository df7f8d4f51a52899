"""Two places where Sphinx's translation stops short in this book, filled (the Chinese edition).

**Glued values inside translated paragraphs.** A page writes a number its code computed
with ``{glue:text}`key``` (myst-nb's glue). In a translated build, Sphinx's i18n transform
replaces each paragraph by its translation and parses that translation as a small document
of its own, after the page's notebook has been read and closed; myst-nb looks up glued keys
in the document being parsed, and that small document has no outputs, so every glued value
of a translated paragraph would fail with "No key ... found in glue data".

When myst-nb has read a page, it writes the page's glued values to ``<docname>.glue.json``
in its output folder. This extension lets a failed lookup fall back to that file, for the
page being read (``env.docname``). It serves ``{glue:text}``, the one glue role the book
uses. In the English build every lookup succeeds the first time, and nothing changes.

**The captions and titles of the table of contents** ("Exercises", "Appendices", the
``title:`` of each solutions page, ...). They come from ``_toc.yml``: sphinx-external-toc
inserts the root page's toctrees in a transform that runs after Sphinx's i18n transform, so
the translated build never applies their translations, and the sidebar of every Chinese page
would show them in English. The gettext builder extracts the captions (the extension records
them as ``rawcaption``) but not the titles: Sphinx records a toctree's titles as
``rawentries`` before the insertion. A transform that runs right after the insertion records
the titles, in every build, so that the gettext builder extracts them into the root page's
catalogue; in a translated build it then translates captions and titles from that catalogue.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docutils import nodes
from myst_nb.core.variables import RetrievalError, VariableOutput
from myst_nb.ext.glue import directives, roles, utils
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain
from sphinx_external_toc.events import InsertToctrees

_CACHE = "translated_glue_data"  # key in env.temp_data, which Sphinx clears for every page
_retrieve = utils.retrieve_glue_data


def page_glue_data(output_folder: str, docname: str) -> dict[str, Any]:
    """The values the page ``docname`` glued, as myst-nb saved them (empty if none)."""
    path = Path(output_folder).joinpath(*f"{docname}.glue.json".split("/"))
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def retrieve_glue_data(document: nodes.document, key: str) -> VariableOutput:
    """myst-nb's lookup of ``key``, retried in the values the page glued when ``document``
    is a translated message parsed on its own."""
    try:
        return _retrieve(document, key)
    except RetrievalError:
        env = getattr(document.settings, "env", None)
        config = getattr(env, "mystnb_config", None)
        if env is None or config is None:
            raise
        if _CACHE not in env.temp_data:
            env.temp_data[_CACHE] = page_glue_data(config.output_folder, env.docname)
        value = env.temp_data[_CACHE].get(key)
        if value is None:
            raise
        # A translated message is parsed as plain MyST, without a notebook renderer: enough
        # for {glue:text}, the only glue role of the book, which pastes the text/plain data.
        return VariableOutput(
            data=value["data"],
            metadata=value.get("metadata", {}),
            nb_renderer=document.get("nb_renderer"),
            vtype="glue",
        )


class TranslateTableOfContents(SphinxTransform):
    """Record, and in a translated build translate, the captions and titles of the toctrees
    that sphinx-external-toc has just inserted."""

    default_priority = InsertToctrees.default_priority + 1

    def apply(self, **kwargs: Any) -> None:
        toctrees = list(self.document.findall(addnodes.toctree))
        for toctree in toctrees:
            toctree["rawentries"] = [title for title, _ in toctree["entries"] if title]
        if not toctrees or not self.config.language or self.config.language == "en":
            return
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        folders = [str(Path(self.env.srcdir) / folder) for folder in self.config.locale_dirs]
        catalogue, found = init_locale(folders, self.config.language, domain)
        if not found:
            return
        for toctree in toctrees:
            if toctree.get("caption"):
                toctree["caption"] = catalogue.gettext(toctree["caption"])
            toctree["entries"] = [
                (catalogue.gettext(title) if title else title, ref)
                for title, ref in toctree["entries"]
            ]


def setup(app: Sphinx) -> dict:
    app.add_transform(TranslateTableOfContents)
    # The roles and directives imported the function by name: replace it where it is used.
    for module in (utils, roles, directives):
        module.retrieve_glue_data = retrieve_glue_data
    return {"parallel_read_safe": True, "parallel_write_safe": True}
