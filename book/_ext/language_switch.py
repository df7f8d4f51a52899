"""A button on every page that opens the same page in the other edition: English or 中文.

The English book is built into ``<html>/`` and the Chinese edition, from the same sources
and the catalogues under ``locales/``, into ``<html>/zh_CN/`` (``make book`` builds both).
So the same page in the other edition is one folder down (English to Chinese) or up
(Chinese to English): this extension adds that link to the page's header buttons, beside
the download and full-screen buttons of the theme.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

CHINESE = "zh_CN"  # the language code of the Chinese edition, and the folder it lives in


def other_edition(pagename: str, language: str) -> tuple[str, str, str]:
    """``(relative URL, label, tooltip)`` of ``pagename`` in the other edition."""
    up = "../" * pagename.count("/")
    if language == CHINESE:
        return f"../{up}{pagename}.html", "English", "Read this page in English"
    return f"{up}{CHINESE}/{pagename}.html", "中文", "阅读本页的中文版"


def _add_switch(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: object
) -> None:
    buttons = context.get("header_buttons")
    if buttons is None:  # a page without the theme's header (none in this book)
        return
    url, label, tooltip = other_edition(pagename, app.config.language)
    buttons.append(
        {
            "type": "link",
            "url": url,
            "text": label,
            "tooltip": tooltip,
            "icon": "fas fa-language",
            "label": "language-switch-button",
        }
    )


def setup(app: Sphinx) -> dict:
    # After sphinx-book-theme has prepared and filled the header buttons (priority 501).
    app.connect("html-page-context", _add_switch, priority=510)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
