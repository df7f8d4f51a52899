"""Drop repeated inline ``<script>`` blocks from every page.

With Jupyter Book 1.0.4 and Sphinx 7.4, the handlers that sphinx-thebe and
sphinx-togglebutton connect to ``env-before-read-docs`` run twice per build, and each run
adds the same inline script again. Files are deduplicated by Sphinx; inline bodies are not,
so every page declared ``const THEBE_JS_URL`` twice and the browser reported
"Identifier 'THEBE_JS_URL' has already been declared". This extension keeps the first copy
of each script and removes exact repeats; it changes nothing else.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def _drop_repeated_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = (
            script.filename or "",  # an inline script has None or "", depending on who added it
            script.priority,
            tuple(sorted((k, str(v)) for k, v in script.attributes.items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # in place: handlers that run later add their scripts to this list


def setup(app: Sphinx) -> dict:
    # Sphinx stops calling html-page-context handlers at the first one that returns a
    # template name, so run before the others (the default priority is 500); the repeated
    # scripts were all added earlier, when the documents were read.
    app.connect("html-page-context", _drop_repeated_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
