"""Every page and exercise as a notebook that runs on its own: Colab, Binder, a download.

The book's sources are MyST Markdown notebooks, read by Jupyter Book. Plain Jupyter and Colab
open only ``.ipynb`` files and show MyST markup as raw text, and they do not have the course's
package. This module turns a source into a standalone notebook:

- a first cell (tagged ``remove-cell``) installs the pinned release of the package when it is
  missing; ``RNN_COURSE_WHEEL=path/to/wheel`` installs a local wheel instead (offline tests);
- MyST markup becomes Markdown that Jupyter renders: admonitions become block quotes,
  ``{doc}``, ``{eq}``, ``{numref}`` and citations become links into the published book,
  labelled equations get a number (``\\tag``), figure captions become a line under the
  figure, ``{literalinclude}`` becomes the included code, and a ``{glue:text}`` value
  becomes its name (the cell that computes it prints it there, see ``companion.glue``).
  Math and code are not touched. Markup this module does not know stops it with an error.

``python book/_ext/standalone_notebooks.py OUT`` (``make notebooks``) writes every page of
the table of contents under ``book/``, ``exercises/`` and ``solutions/`` to ``OUT``,
mirroring the source paths. As a Sphinx extension, it points each page's Colab button at that page's
notebook on the branch the publishing workflow writes (``standalone_notebooks_branch``), and
gives the page's ``.ipynb`` download the same first cell and Markdown.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import jupytext
import nbformat
import tomllib
import yaml

FOLDERS = ("book/", "exercises/", "solutions/")
WHEEL_VARIABLE = "RNN_COURSE_WHEEL"
SETUP_CELL = """\
# Colab, Binder or a downloaded notebook: install the course's package if it is missing.
# (In the course's own environment, `make lab`, it is installed and this cell does nothing.)
import importlib.metadata
import os
import pathlib
import subprocess
import sys

try:
    importlib.metadata.version("{dist}")
except importlib.metadata.PackageNotFoundError:
    _wheel = os.environ.get("{variable}")  # a wheel on disk instead of the package index
    if _wheel:
        _wanted = f"{dist}[data] @ {{pathlib.Path(_wheel).resolve().as_uri()}}"
    else:
        _wanted = "{dist}[data]=={version}"
    _command = [sys.executable, "-m", "pip", "install", _wanted]
    _pip = subprocess.run(_command, capture_output=True, text=True)
    for _line in _pip.stdout.splitlines():
        if _line.startswith("Successfully"):
            print(_line)
    if _pip.returncode != 0:
        print(_pip.stdout, _pip.stderr, sep="\\n")
        raise RuntimeError(
            "Could not install the course's package (pip's message is above): connect to the "
            "internet and run this cell again, or run `pip install '{dist}[data]=={version}'` "
            "yourself (or set {variable} to the path of a wheel you downloaded)."
        )
"""
GLUE_NOTE = (
    "> In the text of this notebook, a name in code font such as `{name}` stands for a number "
    "that a code cell computes: run the cell and it prints the value under it. The book "
    "shows the numbers of its own run in their place: [{title}]({url})."
)
ADMONITIONS = {"admonition", "note", "tip", "hint", "important", "warning", "caution", "seealso"}
ROLE = re.compile(r"\{([a-z]+(?::[a-z]+)?)\}`([^`]*)`")
DIRECTIVE_START = re.compile(r"^(\s*)(:{3,}|`{3,})\{([a-z-]+)\}\s*(.*)$")
LABELLED_MATH = re.compile(r"\$\$\n((?:(?!\$\$).)*?)\n\$\$ *\(([\w:-]+)\)", re.DOTALL)
TARGET = re.compile(r"^\(([\w:-]+)\)=\s*$", re.MULTILINE)
EXPLICIT = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.DOTALL)
# A Markdown link to another page of the book by its source: [text](../03-math/01-forward.md)
PAGE_LINK = re.compile(r"\[([^\]]*)\]\(((?![a-z]+:)[^)\s#]+)\.md(#[^)\s]*)?\)")


@dataclass(frozen=True)
class Reference:
    """What a label points at: its page, its kind (``eq`` or ``fig``) and its number there."""

    docname: str
    kind: str
    number: int


@dataclass
class Site:
    """The repository's pages, labels and bibliography, and where the book is published.

    ``docnames`` are source paths without suffix, relative to ``root``: ``book/03-math/03-bptt``.
    """

    root: Path
    book_url: str
    docnames: list[str]
    dist: str
    version: str
    _sources: dict[str, nbformat.NotebookNode] = field(default_factory=dict)

    @classmethod
    def from_repository(cls, root: Path) -> Site:
        """Read ``_config.yml``, ``_toc.yml`` and ``pyproject.toml`` under ``root``."""
        config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
        book_url = config.get("html", {}).get("baseurl", "")
        if not book_url.startswith("https://"):
            raise ValueError(
                f"_config.yml: html.baseurl must be the book's https address, got {book_url!r}"
            )
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
        return cls(
            root, book_url.rstrip("/") + "/", _toc_files(toc), project["name"], project["version"]
        )

    def source(self, docname: str) -> nbformat.NotebookNode:
        """The page's source notebook, read by jupytext (cached)."""
        if docname not in self._sources:
            # A MyST notebook; or an executed copy, as the book's HTML test builds from.
            paths = [self.root / f"{docname}{suffix}" for suffix in (".md", ".ipynb")]
            path = next((p for p in paths if p.exists()), None)
            if path is None:
                raise ValueError(f"no page {docname!r}: {paths[0]} does not exist")
            self._sources[docname] = jupytext.read(path)
        return self._sources[docname]

    def notebooks(self) -> list[str]:
        """The pages to publish as notebooks: the book's, the exercises and their solutions."""
        return [name for name in self.docnames if name.startswith(FOLDERS)]

    def title(self, docname: str) -> str:
        """The page's first ``#`` heading."""
        for cell in self.source(docname).cells:
            if cell.cell_type == "markdown":
                match = re.search(r"^# (.+)$", cell.source, re.MULTILINE)
                if match:
                    return match.group(1).strip()
        raise ValueError(f"page {docname!r} has no '# title' heading")

    def url(self, docname: str, anchor: str = "") -> str:
        """The page's address in the published book."""
        return f"{self.book_url}{docname}.html" + (f"#{anchor}" if anchor else "")

    @cached_property
    def labels(self) -> dict[str, Reference]:
        """Every labelled equation and named figure of every page, numbered per page."""
        found: dict[str, Reference] = {}
        for docname in self.docnames:
            counts = {"eq": 0, "fig": 0}
            for cell in self.source(docname).cells:
                if cell.cell_type == "markdown":
                    names = [("eq", label) for _, label in LABELLED_MATH.findall(cell.source)]
                else:
                    figure = cell.metadata.get("mystnb", {}).get("figure", {})
                    names = [("fig", figure["name"])] if "name" in figure else []
                for kind, label in names:
                    counts[kind] += 1
                    found[label] = Reference(docname, kind, counts[kind])
        return found

    @cached_property
    def citations(self) -> dict[str, tuple[str, str]]:
        """``key -> (authors as the book cites them, year)`` from ``book/references.bib``."""
        from pybtex.database import parse_file
        from pybtex.richtext import Text

        bibliography = parse_file(str(self.root / "book" / "references.bib"))
        cited = {}
        for key, entry in bibliography.entries.items():
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            last = [str(Text.from_latex(" ".join(p.last_names))) for p in people]
            if len(last) > 2:
                names = f"{last[0]} et al."
            else:
                names = " and ".join(last) or entry.fields.get("organization", key)
            cited[key] = (names, entry.fields.get("year", "n.d."))
        return cited


def _toc_files(node: object) -> list[str]:
    """Every ``file:`` of a jb-book table of contents, in reading order."""
    if isinstance(node, dict):
        found = [node["root"]] if "root" in node else []
        found += [node["file"]] if "file" in node else []
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key, []):
                found += _toc_files(child)
        return found
    raise ValueError(f"_toc.yml: expected a mapping, got {node!r}")


class Converter:
    """Turns the Markdown of one page into Markdown that plain Jupyter renders."""

    def __init__(self, site: Site, docname: str) -> None:
        self.site = site
        self.docname = docname
        self.folder = Path(docname).parent

    def markdown(self, text: str) -> str:
        """Convert one Markdown cell (or a caption)."""
        text = self._directives(text.split("\n"))
        text = LABELLED_MATH.sub(self._labelled_math, text)
        text = TARGET.sub(lambda m: f'<a id="{m.group(1)}"></a>', text)
        text = ROLE.sub(self._role, text)
        text = PAGE_LINK.sub(self._page_link, text)
        return text

    def _page_link(self, match: re.Match) -> str:
        text, target, anchor = match.groups()
        docname = _normal(self.folder, target)
        url = self.site.url(docname, (anchor or "#")[1:])
        return f"[{text or self.site.title(docname)}]({url})"

    # -- directives ------------------------------------------------------------------------

    def _directives(self, lines: list[str]) -> str:
        out: list[str] = []
        i = 0
        while i < len(lines):
            directive = parse_directive(lines, i, self.docname)
            if directive is None:
                out.append(lines[i])
                i += 1
                continue
            converted = self._directive(
                directive.name, directive.argument, directive.options, directive.body
            )
            out.extend(directive.indent + line for line in converted)
            i = directive.end + 1
        return "\n".join(out)

    def _directive(self, name: str, argument: str, options: dict, body: list[str]) -> list[str]:
        if name in ADMONITIONS:
            title = argument or name.capitalize()
            inner = self._directives(body).split("\n")
            return [f"> **{title}**", ">", *[f"> {line}".rstrip() for line in inner]]
        if name == "rubric":
            return [f"**{argument}**"]
        if name == "literalinclude":
            # the book highlights Python by default; so does the fence of a .py file here
            language = options.get("language", "python" if argument.endswith(".py") else "")
            code = [f"```{language}", *self._include(argument, options), "```"]
            return ([f"*{options['caption']}*", ""] if "caption" in options else []) + code
        if name == "bibliography":
            return [
                f"The references are listed in the book: [{self.site.url(self.docname)}]"
                f"({self.site.url(self.docname)})."
            ]
        raise ValueError(f"{self.docname}: no plain-Jupyter form for the {{{name}}} directive")

    def _include(self, argument: str, options: dict) -> list[str]:
        path = (self.site.root / self.folder / argument).resolve()
        if not path.is_file():
            raise ValueError(f"{self.docname}: literalinclude of a missing file {argument!r}")
        source = path.read_text(encoding="utf-8")
        unknown = set(options) - {"language", "pyobject", "caption"}
        if unknown:
            raise ValueError(
                f"{self.docname}: literalinclude options {sorted(unknown)} not supported"
            )
        if "pyobject" not in options:
            return source.rstrip("\n").split("\n")
        node = _find(ast.parse(source), options["pyobject"].split("."), f"{argument}")
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        return source.split("\n")[first - 1 : node.end_lineno]

    # -- equations and roles ---------------------------------------------------------------

    def _labelled_math(self, match: re.Match) -> str:
        label = match.group(2)
        number = self.site.labels[label].number
        return f'<a id="equation-{label}"></a>\n\n$$\n{match.group(1)}\n\\tag{{{number}}}\n$$'

    def _role(self, match: re.Match) -> str:
        role, content = match.groups()
        if role == "doc":
            text, target = _explicit(content)
            docname = _normal(self.folder, target)
            return f"[{text or self.site.title(docname)}]({self.site.url(docname)})"
        if role in ("eq", "numref"):
            text, label = _explicit(content)
            return self._reference(label, text)
        if role in ("cite:p", "cite:t"):
            return self._cite(role, content)
        if role in ("glue:text", "glue"):
            return f"`{content.split(':')[0]}`"
        if role == "math":
            return f"${content}$"
        raise ValueError(f"{self.docname}: no plain-Jupyter form for the {{{role}}} role")

    def _reference(self, label: str, text: str | None) -> str:
        if label not in self.site.labels:
            raise ValueError(f"{self.docname}: reference to an unknown label {label!r}")
        ref = self.site.labels[label]
        anchor = f"equation-{label}" if ref.kind == "eq" else label
        name = f"Eq. ({ref.number})" if ref.kind == "eq" else f"Figure {ref.number}"
        if text:
            name = text.replace("%s", str(ref.number))
        if ref.docname == self.docname:
            return f"[{name}](#{anchor})"
        return f"[{name} of “{self.site.title(ref.docname)}”]({self.site.url(ref.docname, anchor)})"

    def _cite(self, role: str, content: str) -> str:
        links = []
        references = self.site.url(REFERENCES)
        for key in (k.strip() for k in content.split(",")):
            if key not in self.site.citations:
                raise ValueError(f"{self.docname}: citation of an unknown key {key!r}")
            names, year = self.site.citations[key]
            text = f"{names}, {year}" if role == "cite:p" else f"{names} ({year})"
            links.append(f"[{text}]({references})")
        return f"({'; '.join(links)})" if role == "cite:p" else ", ".join(links)


REFERENCES = "book/appendix/references"


@dataclass(frozen=True)
class Directive:
    """One MyST directive of a page: ``{name} argument``, its ``:key: value`` options, its body."""

    end: int  # the index of its closing fence in the page's lines
    indent: str
    name: str
    argument: str
    options: dict[str, str]
    body: list[str]


def parse_directive(lines: list[str], start: int, where: str) -> Directive | None:
    """The directive that opens at ``lines[start]``, or ``None`` if none opens there."""
    match = DIRECTIVE_START.match(lines[start])
    if not match:
        return None
    indent, fence, name, argument = match.groups()
    end = start + 1
    while end < len(lines) and lines[end].strip() != fence:
        end += 1
    if end == len(lines):
        raise ValueError(f"{where}: the {{{name}}} directive is never closed")
    body = lines[start + 1 : end]
    options = {}
    while body and re.match(r"^\s*:[\w-]+:", body[0]):
        key, _, value = body.pop(0).strip()[1:].partition(":")
        options[key] = value.strip()
    return Directive(end, indent, name, argument.strip(), options, body)


def _explicit(content: str) -> tuple[str | None, str]:
    """``"text <target>"`` -> ``("text", "target")``; ``"target"`` -> ``(None, "target")``."""
    match = EXPLICIT.match(content)
    return (match.group(1), match.group(2)) if match else (None, content)


def _normal(folder: Path, target: str) -> str:
    """A ``{doc}`` target relative to ``folder`` as a docname relative to the root."""
    parts: list[str] = [] if target.startswith("/") else list(folder.parts)
    for part in target.strip("/").split("/"):
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _find(tree: ast.Module, path: list[str], where: str) -> ast.AST:
    """The class or function ``path`` (``["RNN", "forward"]``) defined in ``tree``."""
    body = tree.body
    node: ast.AST | None = None
    for name in path:
        node = next(
            (
                n
                for n in body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and n.name == name
            ),
            None,
        )
        if node is None:
            raise ValueError(f"literalinclude: {where} defines no {'.'.join(path)}")
        body = getattr(node, "body", [])
    return node


def _uses_a_device(notebook: nbformat.NotebookNode) -> bool:
    """Whether the page puts work on ``companion.get_device()`` (a GPU when there is one)."""
    return any(c.cell_type == "code" and "get_device(" in c.source for c in notebook.cells)


def standalone(site: Site, docname: str, notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``notebook`` (the page ``docname``, with or without outputs) as a standalone notebook.

    Markdown cells are converted (see :class:`Converter`), a figure's caption becomes a
    Markdown cell under it, and the setup cell goes first. Code cells are not changed.
    """
    convert = Converter(site, docname)
    setup = nbformat.v4.new_code_cell(
        SETUP_CELL.format(dist=site.dist, version=site.version, variable=WHEEL_VARIABLE),
        metadata={"tags": ["remove-cell"]},
    )
    cells = [setup]
    glued = []
    for cell in notebook.cells:
        cell = nbformat.from_dict(dict(cell))
        if cell.cell_type == "markdown":
            glued += [
                m.group(2).split(":")[0]
                for m in ROLE.finditer(cell.source)
                if m.group(1).startswith("glue")
            ]
            cell.source = convert.markdown(cell.source)
            cells.append(cell)
            continue
        cells.append(cell)
        # The caption moves into a Markdown cell under the figure, converted.
        figure = cell.metadata.get("mystnb", {}).pop("figure", {})
        if "caption" in figure:
            name = figure.get("name")
            number = site.labels[name].number if name else None
            anchor = f'<a id="{name}"></a>\n\n' if name else ""
            lead = f"**Figure {number}.** " if number else ""
            cells.append(
                nbformat.v4.new_markdown_cell(
                    anchor + lead + convert.markdown(figure["caption"].strip())
                )
            )
    if glued:
        note = GLUE_NOTE.format(name=glued[0], title=site.title(docname), url=site.url(docname))
        cells.insert(
            2 if len(cells) > 1 and cells[1].cell_type == "markdown" else 1,
            nbformat.v4.new_markdown_cell(note),
        )
    metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    if _uses_a_device(notebook):
        # Colab opens a notebook with this metadata on a GPU runtime when one is available.
        metadata.update({"accelerator": "GPU", "colab": {"gpuType": "T4"}})
    result = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    for number, cell in enumerate(result.cells):
        cell.id = f"cell-{number}"  # deterministic: the same source gives the same file
    nbformat.validate(result)
    return result


def write_notebooks(root: Path, out: Path) -> list[Path]:
    """Write each page of ``root`` listed in :data:`FOLDERS` as ``out/<docname>.ipynb``."""
    site = Site.from_repository(root)
    written = []
    for docname in site.notebooks():
        notebook = standalone(site, docname, site.source(docname))
        path = out / f"{docname}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, path)
        written.append(path)
    return written


# -- Sphinx: the Colab button and the .ipynb download ----------------------------------------


def _launch_and_download(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    if not pagename.startswith(FOLDERS) or "header_buttons" not in context:
        return
    site = app.env.standalone_site if hasattr(app.env, "standalone_site") else None
    if site is None:
        site = Site.from_repository(Path(app.srcdir))
        app.env.standalone_site = site
    repository = app.config.html_theme_options.get("repository_url", "").rstrip("/")
    owner_repo = repository.split("github.com/")[-1]
    colab = app.config.html_theme_options.get("launch_buttons", {}).get("colab_url", "").rstrip("/")
    branch = app.config.standalone_notebooks_branch
    for group in context["header_buttons"]:
        for button in group.get("buttons", []):
            if button.get("text") == "Colab":
                button["url"] = f"{colab}/github/{owner_repo}/blob/{branch}/{pagename}.ipynb"
            if button.get("text") == "Binder":
                # The page's MyST source in the repository (the theme writes "tree/./book/...",
                # and ".ipynb" when the book is built from executed copies, as the tests do).
                start = button["url"].split("/tree/")[0]
                button["url"] = f"{start}/tree/{pagename}.md"
    download = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    if context.get("ipynb_source") and download.exists():
        notebook = nbformat.read(download, as_version=4)
        nbformat.write(standalone(site, pagename, notebook), download)


def setup(app) -> dict:
    app.add_config_value("standalone_notebooks_branch", "notebooks", "html", [str])
    # After sphinx-book-theme's launch buttons (priority 500) have been added.
    app.connect("html-page-context", _launch_and_download, priority=600)
    # Safe to write pages in parallel: each page rewrites only its own download, and the Site
    # kept on the environment is a cache that a process may build again.
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python book/_ext/standalone_notebooks.py OUT_FOLDER")
    repository = Path(__file__).resolve().parents[2]
    paths = write_notebooks(repository, Path(sys.argv[1]))
    print(f"{len(paths)} standalone notebooks written under {sys.argv[1]}")
