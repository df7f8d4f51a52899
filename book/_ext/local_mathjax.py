"""Serve MathJax from the built book itself, so formulas typeset with no network.

`make mathjax` unpacks MathJax 3 (from the npm registry) into ``.mathjax/_static/mathjax``.
That folder is added to ``html_extra_path``: its files are copied into the HTML output as
they are, and (unlike files under ``_static/`` of the source) are not each added to every
page as a ``<script>``. Without it, the book falls back to the CDN and says so.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
EXTRA = ROOT / ".mathjax"
ENTRY = "mathjax/tex-mml-chtml.js"  # relative to _static/ of the built book


def _use_local_mathjax(app: Sphinx, config) -> None:
    if (EXTRA / "_static" / ENTRY).is_file():
        config.mathjax_path = ENTRY
        config.html_extra_path = [*config.html_extra_path, str(EXTRA)]
        logger.info("MathJax: served locally from %s", EXTRA)
    else:
        logger.info(
            "MathJax: %s not found, so pages load MathJax from %s and need a network to "
            "typeset formulas. Run `make mathjax` (needs npm) to serve it locally.",
            EXTRA / "_static" / ENTRY,
            config.mathjax_path,
        )


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _use_local_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
