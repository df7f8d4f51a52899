"""Every ``literalinclude`` in the book, checked in seconds instead of by the HTML build.

* its ``:pyobject:`` (a class, a function or ``Class.method``) exists in the file it names;
* it shows that file as its ``:caption:``, relative to the repository root;
* the code names the page back (as d2l's "Defined in" does): the docstring of the included
  object has the line ``Taught in the book's section 5.2,
  book/05-code/02-recurrent-layers.md.`` (``Taught in the book's appendix, ...`` for an
  appendix page). A private object (``RNN._step``) has no docstring a reader looks up, nor
  has a method that only overrides its base's (``forward``): then the nearest public,
  documented object above it holds the line (its class, else its module).
"""

from __future__ import annotations

import ast
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from standalone_notebooks import _find, parse_directive  # noqa: E402

BOOK = ROOT / "book"


@dataclass(frozen=True)
class Include:
    """One ``literalinclude`` directive: where it is, what it includes, and its options."""

    page: Path
    line: int
    argument: str
    options: dict[str, str]

    @property
    def file(self) -> Path:
        return (self.page.parent / self.argument).resolve()

    @property
    def where(self) -> str:
        return f"{_shown(self.page)}:{self.line}"


def _shown(path: Path) -> str:
    """``path`` relative to the repository root when it lies inside it."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def includes(page: Path) -> list[Include]:
    """The ``literalinclude`` directives of the MyST page ``page``, in order."""
    lines = page.read_text(encoding="utf-8").split("\n")
    found = []
    for number in range(len(lines)):
        directive = parse_directive(lines, number, _shown(page))
        if directive is not None and directive.name == "literalinclude":
            found.append(Include(page, number + 1, directive.argument, directive.options))
    return found


def _book_includes() -> list[Include]:
    pages = sorted(p for p in BOOK.rglob("*.md") if "_build" not in p.parts)
    return [include for page in pages for include in includes(page)]


def resolve(include: Include) -> tuple[ast.Module, ast.AST]:
    """The parsed file and the node that ``include`` shows.

    Raises:
        LookupError: the file is missing, or defines no such object; the message names the
            page, the line, the file and the object.
    """
    name = include.options.get("pyobject", "")
    if not include.file.is_file():
        raise LookupError(f"{include.where}: includes {include.argument}, which does not exist")
    tree = ast.parse(include.file.read_text(encoding="utf-8"))
    try:
        return tree, _find(tree, name.split("."), _shown(include.file))
    except ValueError as err:
        raise LookupError(f"{include.where}: {err}") from None


def taught_line(page: Path) -> str:
    """The docstring line that names ``page``: its section number comes from its path."""
    chapter, section = page.relative_to(BOOK).parts
    if chapter == "appendix":
        return f"Taught in the book's appendix, {_shown(page)}."
    return f"Taught in the book's section {int(chapter[:2])}.{int(section[:2])}, {_shown(page)}."


def documented_owner(tree: ast.Module, path: list[str]) -> tuple[list[str], ast.AST]:
    """The nearest public object on ``path`` that has a docstring, else the module."""
    for end in range(len(path), 0, -1):
        if path[end - 1].startswith("_"):
            continue
        node = _find(tree, path[:end], "the included file")
        if ast.get_docstring(node) is not None:
            return path[:end], node
    return [], tree


def missing_page_line(include: Include) -> str | None:
    """What is wrong with the docstring that should name ``include``'s page, or ``None``."""
    tree, _ = resolve(include)
    public, owner = documented_owner(tree, include.options["pyobject"].split("."))
    expected = taught_line(include.page)
    docstring = inspect.cleandoc(ast.get_docstring(owner, clean=False) or "")
    if expected in docstring.split("\n"):
        return None
    named = ".".join(public) or "the module"
    return f"{include.where}: the docstring of {named} in {_shown(include.file)} lacks {expected!r}"


INCLUDES = _book_includes()


def test_the_book_has_includes():
    assert len(INCLUDES) > 20
    assert all("pyobject" in include.options for include in INCLUDES)


def test_every_pyobject_exists():
    problems = []
    for include in INCLUDES:
        try:
            resolve(include)
        except LookupError as err:
            problems.append(str(err))
    assert not problems, "\n".join(problems)


def test_every_include_shows_its_file_as_caption():
    wrong = [
        f"{i.where}: caption {i.options.get('caption')!r}, expected {_shown(i.file)!r}"
        for i in INCLUDES
        if i.options.get("caption") != _shown(i.file)
    ]
    assert not wrong, "\n".join(wrong)


def test_included_code_names_its_page():
    problems = [problem for include in INCLUDES if (problem := missing_page_line(include))]
    assert not problems, "\n".join(problems)


# --- the checks themselves fail when they should ------------------------------------------


def _page(tmp_path: Path, pyobject: str, target: str = "module.py") -> Include:
    page = tmp_path / "book" / "05-code" / "02-demo.md"
    page.parent.mkdir(parents=True)
    page.write_text(
        "# Demo\n\n"
        f"```{{literalinclude}} ../../{target}\n:language: python\n:pyobject: {pyobject}\n```\n",
        encoding="utf-8",
    )
    (found,) = includes(page)
    return found


def test_a_missing_pyobject_names_page_line_file_and_object(tmp_path):
    (tmp_path / "module.py").write_text("class Layer:\n    def forward(self):\n        pass\n")
    include = _page(tmp_path, "Layer.backward")
    assert include.line == 3 and include.options["pyobject"] == "Layer.backward"
    with pytest.raises(LookupError) as caught:
        resolve(include)
    message = str(caught.value)
    assert "02-demo.md:3" in message
    assert "module.py" in message and "Layer.backward" in message


def test_a_missing_file_is_reported(tmp_path):
    include = _page(tmp_path, "forward", target="gone.py")
    with pytest.raises(LookupError, match=r"02-demo\.md:3: includes \.\./\.\./gone\.py"):
        resolve(include)


def test_a_private_method_needs_the_line_in_its_class(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "BOOK", tmp_path / "book")
    line = "Taught in the book's section 5.2, {page}."
    source = (
        'class Layer:\n    """A layer.\n\n    {line}\n    """\n\n'
        "    def _step(self):\n        pass\n"
    )
    include = _page(tmp_path, "Layer._step")
    page = _shown(include.page)
    assert taught_line(include.page) == line.format(page=page)
    (tmp_path / "module.py").write_text(source.format(line="No page named here."))
    assert "the docstring of Layer" in missing_page_line(include)
    (tmp_path / "module.py").write_text(source.format(line=line.format(page=page)))
    assert missing_page_line(include) is None
