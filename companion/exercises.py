"""Generate the student exercise notebooks from the solution notebooks.

Each exercise notebook is written once, as a MyST-Markdown notebook with its solutions, and
the student version is generated from it. Two kinds of marker, each on a line of its own:

* In a code cell, ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` (nbgrader's ``###`` form is
  accepted too): the block, markers included, becomes two lines indented like the BEGIN
  marker, ``# YOUR CODE HERE`` and ``raise NotImplementedError``. A cell that gets such a
  stub also loses the ``hide-input`` tag, which collapses solution cells in the built book.
* In Markdown, ``<!-- BEGIN SOLUTION -->`` ... ``<!-- END SOLUTION -->``: the block, markers
  included, is dropped (prose meant only for the solution version).

Everything else passes through unchanged, and a comment line after the title (the first
``# `` heading; after the front matter if there is none) says that the file is generated and
from which source (before the title, JupyterLab would show the title twice). A block must
be closed in the cell where it opens and cannot contain another block; anything else stops
the generator with a :class:`MarkerError` naming the file and line.

Command line (from the repository root; ``make exercises`` runs it)::

    python -m companion.exercises                 # solutions/*.md -> exercises/*.md
    python -m companion.exercises --check         # list stale files, write nothing
    python -m companion.exercises --solutions my-solutions --out my-exercises
    python -m companion.exercises nbgrader course        # an nbgrader course folder
    python -m companion.exercises otter otter 05-code    # Otter Assign notebooks, chapter 5

The last two are in :mod:`companion.graders`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

STUB = ("# YOUR CODE HERE", "raise NotImplementedError")
HIDE_TAG = "hide-input"
CODE_BEGIN = re.compile(r"^(\s*)#+ *BEGIN SOLUTION\s*$")
CODE_END = re.compile(r"^\s*#+ *END SOLUTION\s*$")
MD_BEGIN = re.compile(r"^\s*<!--\s*BEGIN SOLUTION\s*-->\s*$")
MD_END = re.compile(r"^\s*<!--\s*END SOLUTION\s*-->\s*$")
CELL_OPEN = re.compile(r"^(`{3,})\{code-cell\}")
TAGS = re.compile(r"^:tags:\s*\[(.*)\]\s*$")
GENERATED = "by `python -m companion.exercises`"  # in the header: marks a file as ours
ORPHAN = "generated, but its solution notebook no longer exists"


class MarkerError(ValueError):
    """A malformed solution marker, at ``path:line``."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line = path, line


def header(source: str) -> str:
    """The comment line that marks a generated file (``source`` as the reader should see it)."""
    return (
        f"<!-- Generated from {source} {GENERATED} (make exercises). "
        "Do not edit: edit the solution notebook and regenerate. -->"
    )


def make_exercise(text: str, path: str = "<text>", source: str | None = None) -> str:
    """The student version of the solution notebook ``text``.

    Args:
        text: the solution notebook (MyST Markdown; front matter optional).
        path: the file's name in error messages.
        source: how the header names the source file; ``path`` if ``None``.

    Raises:
        MarkerError: a marker without its partner, nested markers, or a block that
            crosses a cell boundary.
    """
    lines = text.splitlines()
    out: list[str] = []
    number = 0  # 1-based number of the line last read
    if lines and lines[0] == "---":  # front matter passes through; the header follows it
        end = next((i for i in range(1, len(lines)) if lines[i] == "---"), None)
        if end is None:
            raise MarkerError(path, 1, "front matter opened with '---' is never closed")
        out, number = lines[: end + 1], end + 1
    top = len(out)  # where the header goes when there is no title
    title: int | None = None  # the index in ``out`` of the first "# " line before any code
    code_seen = False
    while number < len(lines):
        line = lines[number]
        number += 1
        opening = CELL_OPEN.match(line)
        if opening:
            fence = opening.group(1)
            start = number
            cell = [line]
            while number < len(lines) and lines[number].strip() != fence:
                cell.append(lines[number])
                number += 1
            if number == len(lines):
                raise MarkerError(path, start, "code cell never closed")
            number += 1
            out += _stub_cell(cell, path, start)
            out.append(fence)
            code_seen = True
        elif MD_BEGIN.match(line):
            number = _skip_markdown_block(lines, number, path)
            if out and not out[-1].strip() and number < len(lines) and not lines[number].strip():
                number += 1  # the block stood between blank lines: keep only one
        elif MD_END.match(line):
            raise MarkerError(path, number, "END SOLUTION without a BEGIN SOLUTION before it")
        elif CODE_BEGIN.match(line) or CODE_END.match(line):
            raise MarkerError(
                path,
                number,
                "'# ... SOLUTION' marker outside a code cell (in Markdown, use "
                "<!-- BEGIN SOLUTION --> and <!-- END SOLUTION -->)",
            )
        else:
            if title is None and not code_seen and line.startswith("# "):
                title = len(out)
            out.append(line)
    if title is None:
        out.insert(top, header(source or path))
    else:
        out[title + 1 : title + 1] = ["", header(source or path)]
    return "\n".join(out) + "\n"


def _stub_cell(cell: list[str], path: str, start: int) -> list[str]:
    """A code cell's lines (opening fence first, closing fence excluded), blocks stubbed."""
    out: list[str] = []
    begin: int | None = None  # line number of the open block's BEGIN marker
    stubbed = False
    for offset, line in enumerate(cell):
        number = start + offset
        if MD_BEGIN.match(line) or MD_END.match(line):
            raise MarkerError(
                path,
                number,
                "Markdown solution marker inside a code cell (use '# BEGIN "
                "SOLUTION' and '# END SOLUTION' in code)",
            )
        opening = CODE_BEGIN.match(line)
        if opening:
            if begin is not None:
                raise MarkerError(
                    path,
                    number,
                    f"nested BEGIN SOLUTION: the block opened at line {begin} is still open",
                )
            begin, stubbed = number, True
            out += [opening.group(1) + part for part in STUB]
        elif CODE_END.match(line):
            if begin is None:
                raise MarkerError(path, number, "END SOLUTION without a BEGIN SOLUTION before it")
            begin = None
        elif begin is None:
            out.append(line)
    if begin is not None:
        raise MarkerError(
            path,
            begin,
            f"BEGIN SOLUTION without an END SOLUTION before the code cell that "
            f"opens at line {start} closes",
        )
    return _without_hide_tag(out) if stubbed else out


def _without_hide_tag(cell: list[str]) -> list[str]:
    """The cell without the ``hide-input`` tag in its ``:tags: [...]`` option, if any."""
    for i, line in enumerate(cell[1:], start=1):
        if not line.startswith(":"):
            break  # the options are the lines starting with ':' right after the fence
        tags = TAGS.match(line)
        if tags:
            kept = [t.strip() for t in tags.group(1).split(",") if t.strip() not in ("", HIDE_TAG)]
            return cell[:i] + ([f":tags: [{', '.join(kept)}]"] if kept else []) + cell[i + 1 :]
    return cell


def _skip_markdown_block(lines: list[str], number: int, path: str) -> int:
    """The number of the END line of the Markdown block whose BEGIN is line ``number``."""
    begin = number
    while number < len(lines):
        line = lines[number]
        number += 1
        if MD_END.match(line):
            return number
        if MD_BEGIN.match(line):
            raise MarkerError(
                path,
                number,
                f"nested BEGIN SOLUTION: the block opened at line {begin} is still open",
            )
        if CELL_OPEN.match(line):
            raise MarkerError(
                path,
                number,
                f"a code cell inside the Markdown solution block opened at line "
                f"{begin}; close the block before the cell",
            )
    raise MarkerError(path, begin, "BEGIN SOLUTION without an END SOLUTION")


def is_notebook(path: Path) -> bool:
    """A MyST-Markdown notebook: a ``.md`` file whose front matter has a jupytext header."""
    if path.suffix != ".md":
        return False
    with path.open(encoding="utf-8") as handle:
        head = handle.read(600)
    return head.startswith("---") and "jupytext:" in head


def generate(solutions: Path, out: Path, *, check: bool = False) -> list[tuple[Path, str]]:
    """Write (or with ``check``, only compare) the student version of every solution notebook.

    Returns:
        The stale files, each with the reason: ``"missing"``, ``"out of date"``, or
        :data:`ORPHAN` (a generated file whose solution notebook no longer exists). Without
        ``check`` the first two are written and orphans removed.
    """
    if not solutions.is_dir():
        raise FileNotFoundError(f"--solutions: no such folder {solutions}")
    expected = {}
    for src in sorted(solutions.glob("*.md")):
        if is_notebook(src):
            source = Path(os.path.relpath(src, out)).as_posix()
            text = src.read_text(encoding="utf-8")
            expected[out / src.name] = make_exercise(text, str(src), source)
    stale = []
    for target, text in expected.items():
        if not target.is_file():
            stale.append((target, "missing"))
        elif target.read_text(encoding="utf-8") != text:
            stale.append((target, "out of date"))
    for target in sorted(out.glob("*.md")) if out.is_dir() else []:
        if target not in expected and GENERATED in target.read_text(encoding="utf-8"):
            stale.append((target, ORPHAN))
    if not check:
        out.mkdir(parents=True, exist_ok=True)
        for target, reason in stale:
            if reason == ORPHAN:
                target.unlink()
            else:
                target.write_text(expected[target], encoding="utf-8")
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m companion.exercises",
        description="Generate student exercise notebooks from solution notebooks.",
    )
    parser.add_argument("--solutions", type=Path, default=Path("solutions"), help="source folder")
    parser.add_argument("--out", type=Path, default=Path("exercises"), help="output folder")
    parser.add_argument(
        "--check", action="store_true", help="list stale files and exit with 1; write nothing"
    )
    graders = parser.add_subparsers(dest="grader", metavar="{nbgrader,otter}")
    for grader, what in GRADERS.items():
        command = graders.add_parser(grader, help=what, description=what)
        command.add_argument("folder", type=Path, help="where to write them")
        command.add_argument(
            "chapters", nargs="*", help="only these notebooks (05-code, ...); default: all"
        )
    args = parser.parse_args(argv)
    if args.grader:
        return _export(args.grader, args.solutions, args.folder, args.chapters)
    try:
        stale = generate(args.solutions, args.out, check=args.check)
    except (MarkerError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for target, reason in stale:
        if args.check:
            print(f"stale: {target} ({reason})", file=sys.stderr)
        else:
            print(f"{'removed' if reason == ORPHAN else 'wrote'} {target} ({reason})")
    if args.check and stale:
        print("run `make exercises` to regenerate them", file=sys.stderr)
        return 1
    print(f"{args.out}/ is up to date with {args.solutions}/")
    return 0


GRADERS = {
    "nbgrader": "write an nbgrader course folder: source/chNN/*.ipynb and nbgrader_config.py",
    "otter": "write Otter Assign notebooks: chNN/*.ipynb, for `otter assign`",
}


def _export(grader: str, solutions: Path, folder: Path, names: Sequence[str]) -> int:
    """``python -m companion.exercises nbgrader|otter FOLDER [CHAPTER ...]``."""
    from companion import graders

    write = graders.nbgrader_course if grader == "nbgrader" else graders.otter_notebooks
    try:
        written = write(solutions, folder, names)
    except (MarkerError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    if grader == "nbgrader":
        first = written[0].parent.name
        print(
            f"next, from inside {folder}/: `nbgrader generate_assignment {first}` writes the "
            f"student version to release/{first}/ (see the instructor guide)"
        )
    else:
        print(
            f"next: `otter assign {written[0]} {written[0].parent / 'dist'}` writes the "
            "student and autograder versions (see the instructor guide)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
