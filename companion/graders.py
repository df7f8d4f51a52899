"""The exercises for nbgrader and otter-grader, from the single source in ``solutions/``.

Each solution notebook becomes a notebook that plain Jupyter renders (the course's standalone
converter, ``book/_ext/standalone_notebooks.py``: a first cell that installs the package when
it is missing, MyST turned into Markdown), with its cells marked for the grader:

* an *answer* cell, a code cell with a ``# BEGIN SOLUTION`` block, is where the student
  writes code;
* a *checker* cell, exactly one call ``checks.check_<name>(<function>)``, is a test worth one
  point; in the graded notebook it calls the checker from :func:`companion.checks.fresh`, a
  copy of the checkers loaded anew, so that an answer cell that replaced a checker cannot
  change the grade;
* a *written answer*, a Markdown cell of its own that starts with ``**Your answer:**`` and
  holds the model answer in a ``<!-- BEGIN SOLUTION -->`` block, is graded by hand.

Other Markdown solution blocks (notes on a solution) are left out. Solution notebooks that
break these rules, or whose markers are malformed, stop the export with a
:class:`~companion.exercises.MarkerError` naming the file and line.

:func:`nbgrader_course` writes a course folder (``source/chNN/NN-name.ipynb`` and
``nbgrader_config.py``); :func:`otter_notebooks` writes one Otter Assign notebook per chapter
(``chNN/NN-name.ipynb``). ``python -m companion.exercises nbgrader OUT`` and
``python -m companion.exercises otter OUT`` run them. Both need the book's toolchain
(jupytext, nbformat), so they run in the course's repository, not in a grading environment.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from companion import __version__
from companion.exercises import (
    CODE_BEGIN,
    HIDE_TAG,
    MD_BEGIN,
    MD_END,
    MarkerError,
    is_notebook,
    make_exercise,
)

if TYPE_CHECKING:  # nbformat is imported where a grader's notebooks are written
    from nbformat import NotebookNode

DISTRIBUTION = "rnn-course"  # the package's name on the package index (import name: companion)
CHECK_CALL = re.compile(r"^checks\.(check_\w+)\((\w+)\)$")
ANSWER_LABEL = "**Your answer:**"
EXERCISE_HEADING = re.compile(r"^## Exercise (\d+):", re.MULTILINE)
NBGRADER_SCHEMA = 3  # nbgrader's cell metadata version (nbgrader.nbgraderformat.SCHEMA_VERSION)
CELL_TIMEOUT = 300  # seconds a cell may run when a grader executes a notebook (budget: 120 s)
NBGRADER_CONFIG = f'''\
"""nbgrader's configuration for the course, written by `python -m companion.exercises nbgrader`.

Run every nbgrader command from this folder (the one that holds this file).
"""

c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.course_id = "rnn-course"
# A cell may run a small training experiment; no cell of the solutions takes 120 s.
c.Execute.timeout = {CELL_TIMEOUT}
# The same stub as the course's own student notebooks (exercises/).
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError"}}
'''


@dataclasses.dataclass
class Cell:
    """One cell of a solution notebook, with its part in grading.

    ``kind`` is ``"answer"`` (code the student writes), ``"check"`` (one checker call),
    ``"written"`` (a written answer, graded by hand) or ``"plain"``; ``exercise`` is the
    number of the exercise the cell belongs to (0 before the first).
    """

    kind: str
    exercise: int
    node: NotebookNode  # the nbformat cell
    checker: str = ""  # for a checker cell: ``check_gru_cell``
    argument: str = ""  # for a checker cell: the student's function, ``gru_cell``
    line: int = 0  # where the cell starts in the solution notebook, for error messages


def chapter_name(path: Path) -> str:
    """The assignment's name: ``ch05`` for ``05-code.md``; the name itself without a number."""
    number = re.match(r"\d+", path.stem)
    return f"ch{number.group(0)}" if number else path.stem


def graded_call(checker: str, argument: str) -> str:
    """The source of a grading cell: the checker from a fresh copy of the checkers."""
    return (
        "# A fresh copy of the checkers: an answer cell that replaced one cannot pass for it.\n"
        "from companion.checks import fresh\n\n"
        f"fresh().{checker}({argument})"
    )


def read_chapter(path: Path, root: Path) -> list[Cell]:
    """The cells of the solution notebook ``path`` (inside the repository ``root``), converted
    for plain Jupyter and classified; Markdown solution blocks are kept only in written answers.

    Raises:
        MarkerError: a malformed marker, a checker cell with anything but one checker call,
            or ``**Your answer:**`` in a cell that holds more than the answer.
    """
    text = path.read_text(encoding="utf-8")
    make_exercise(text, str(path))  # the markers are well formed, or this names the line
    standalone = _standalone_module(root)
    site = standalone.Site.from_repository(root)
    docname = path.resolve().relative_to(root.resolve()).with_suffix("").as_posix()
    notebook = standalone.standalone(site, docname, site.source(docname))
    cells, exercise = [], 0
    for node in notebook.cells:
        source = node.source
        line = _line_of(text, source)
        if node.cell_type == "markdown":
            if ANSWER_LABEL in source:
                if not source.startswith(ANSWER_LABEL) or _without_blocks(source).strip() != (
                    ANSWER_LABEL
                ):
                    raise MarkerError(
                        str(path),
                        _line_of(text, ANSWER_LABEL, after=line),
                        f"give {ANSWER_LABEL} a Markdown cell of its own, holding only the "
                        "label and the model answer's solution block (a line '+++' before "
                        "and after it)",
                    )
                cells.append(Cell("written", exercise, node, line=line))
                continue
            node.source = _without_blocks(source)
            headings = EXERCISE_HEADING.findall(node.source)
            exercise = int(headings[-1]) if headings else exercise
            cells.append(Cell("plain", exercise, node))
        elif any(CODE_BEGIN.match(each) for each in source.splitlines()):
            node.source = "\n".join(
                f"{m.group(1)}# BEGIN SOLUTION" if (m := CODE_BEGIN.match(each)) else each
                for each in source.splitlines()
            )  # nbgrader's '### BEGIN SOLUTION' as otter reads it too
            tags = [t for t in node.metadata.get("tags", []) if t != HIDE_TAG]
            node.metadata.pop("tags", None)
            node.metadata.update({"tags": tags} if tags else {})
            cells.append(Cell("answer", exercise, node, line=line))
        elif re.search(r"^checks\.check_", source, re.MULTILINE):
            call = CHECK_CALL.match(source.strip())
            if not call:
                raise MarkerError(
                    str(path),
                    line,
                    "a checker cell holds one call checks.check_<name>(<your function>) and "
                    f"nothing else, got:\n{source}",
                )
            checker, argument = call.groups()
            cells.append(Cell("check", exercise, node, checker, argument, line=line))
        else:
            cells.append(Cell("plain", exercise, node))
    return cells


def chapters(solutions: Path, names: Sequence[str] = ()) -> list[Path]:
    """The solution notebooks in ``solutions``, or those named (``05-code`` or ``05-code.md``)."""
    if not solutions.is_dir():
        raise FileNotFoundError(f"--solutions: no such folder {solutions}")
    found = [p for p in sorted(solutions.glob("*.md")) if is_notebook(p)]
    if not names:
        return found
    wanted = [name.removesuffix(".md") for name in names]
    unknown = sorted(set(wanted) - {p.stem for p in found})
    if unknown:
        raise FileNotFoundError(
            f"chapters: no solution notebook {', '.join(unknown)} in {solutions} "
            f"(there are: {', '.join(p.stem for p in found)})"
        )
    return [p for p in found if p.stem in wanted]


def nbgrader_course(solutions: Path, out: Path, names: Sequence[str] = ()) -> list[Path]:
    """Write an nbgrader course folder ``out``: ``source/chNN/NN-name.ipynb`` for each
    chapter and ``nbgrader_config.py``. Returns the notebooks written."""
    import nbformat

    root = _repository(solutions)
    written = []
    for path in chapters(solutions, names):
        cells = read_chapter(path, root)
        counts: dict[tuple[int, str], int] = {}
        for each in cells:
            if each.kind == "plain":
                continue
            key = (each.exercise, each.kind)
            counts[key] = counts.get(key, 0) + 1
            grade_id = f"ex{each.exercise}-{each.kind}{counts[key]}"
            roles: dict[str, dict[str, bool | int]] = {
                "answer": {"solution": True, "grade": False, "locked": False},
                "check": {"solution": False, "grade": True, "locked": True, "points": 1},
                "written": {"solution": True, "grade": True, "locked": False, "points": 1},
            }
            role = roles[each.kind]
            if each.kind == "check":
                each.node.source = graded_call(each.checker, each.argument)
                grade_id = f"ex{each.exercise}-{each.checker.removeprefix('check_')}"
            each.node.metadata["nbgrader"] = role | {
                "grade_id": grade_id,
                "schema_version": NBGRADER_SCHEMA,
            }
        target = out / "source" / chapter_name(path) / f"{path.stem}.ipynb"
        written.append(_write(nbformat, cells, target))
    (out / "nbgrader_config.py").write_text(NBGRADER_CONFIG, encoding="utf-8")
    return written


def otter_notebooks(solutions: Path, out: Path, names: Sequence[str] = ()) -> list[Path]:
    """Write one Otter Assign notebook per chapter, ``out/chNN/NN-name.ipynb``: the assignment
    configuration, a question per exercise (its answer cells as solutions, its checker cells
    as exception-based tests, one point each) and a manually graded question per written
    answer. Returns the notebooks written."""
    import nbformat

    root = _repository(solutions)
    written = []
    for path in chapters(solutions, names):
        target = out / chapter_name(path) / f"{path.stem}.ipynb"
        cells = _otter_cells(nbformat, path, read_chapter(path, root))
        written.append(_write(nbformat, cells, target))
    return written


def otter_config(name: str) -> str:
    """The ``# ASSIGNMENT CONFIG`` cell of chapter ``name``: solutions stripped from every
    cell, tests that pass when the checker raises nothing, and a grading environment with
    exactly this version of the package and nothing of the book's toolchain."""
    return (
        "# ASSIGNMENT CONFIG\n"
        f"name: {name}\n"
        "requirements:\n"
        f"  - {DISTRIBUTION}[data]=={__version__}\n"
        "strip_solutions_from_all_cells: true\n"
        "tests:\n"
        "  ok_format: false\n"
        "export_cell:\n"
        "  pdf: false\n"
        "  run_tests: true\n"
    )


# ---------------------------------------------------------------- private


def _otter_cells(nbformat: ModuleType, path: Path, cells: list[Cell]) -> list[Cell]:
    """``cells`` with otter's raw delimiter cells added (see :func:`otter_notebooks`)."""

    def raw(text: str) -> Cell:
        return Cell("raw", 0, nbformat.v4.new_raw_cell(text))

    result = [raw(otter_config(chapter_name(path)))]
    numbers = sorted({c.exercise for c in cells if c.kind == "check"})
    first = {n: min(i for i, c in enumerate(cells) if c.exercise == n) for n in numbers}
    last = {
        n: max(i for i, c in enumerate(cells) if c.kind == "check" and c.exercise == n)
        for n in numbers
    }
    written = 0
    for i, each in enumerate(cells):
        n = each.exercise
        if n in first and i == first[n]:
            points = sum(c.kind == "check" and c.exercise == n for c in cells)
            result.append(raw(f"# BEGIN QUESTION\nname: ex{n}\npoints: {points}"))
        inside = n in last and first[n] <= i <= last[n]  # within the exercise's question
        if each.kind in ("written", "answer") and inside == (each.kind == "written"):
            where = "before" if inside else "after"
            raise MarkerError(
                str(path),
                each.line,
                f"exercise {n}: a {'written answer' if inside else 'code answer'} {where} the "
                "exercise's last checker cell (otter-grader needs code answers before it, "
                "written answers after it)",
            )
        if each.kind == "written":
            written += 1
            prompt = result[-1] if result[-1].kind == "plain" else None
            if (
                prompt is not None
                and prompt.node.cell_type == "markdown"
                and i - 1 > last.get(n, -1)
            ):
                result.pop()
            else:
                prompt = None
            result.append(raw(f"# BEGIN QUESTION\nname: written{written}\nmanual: true\npoints: 1"))
            result += [prompt] if prompt else []
            each.node.source = _unmarked(each.node.source)
            result += [raw("# BEGIN SOLUTION"), each, raw("# END SOLUTION"), raw("# END QUESTION")]
            continue
        if each.kind == "answer" and (i == 0 or cells[i - 1].kind != "answer"):
            result.append(raw("# BEGIN SOLUTION"))
        if each.kind == "check":
            if cells[i - 1].kind != "check":
                result.append(raw("# BEGIN TESTS"))
            each.node.source = _otter_test(each.checker, each.argument)
        result.append(each)
        if each.kind == "answer" and (i + 1 == len(cells) or cells[i + 1].kind != "answer"):
            result.append(raw("# END SOLUTION"))
        if each.kind == "check" and (i + 1 == len(cells) or cells[i + 1].kind != "check"):
            result.append(raw("# END TESTS"))
        if n in last and i == last[n]:
            result.append(raw("# END QUESTION"))
    return result


def _otter_test(checker: str, argument: str) -> str:
    """An exception-based otter test: it passes when the checker raises nothing."""
    body = graded_call(checker, argument).replace("\n", "\n    ").replace("\n    \n", "\n\n")
    name = checker.removeprefix("check_")
    return f"def test_{name}({argument}):\n    {body}\n\n\ntest_{name}({argument})"


def _write(nbformat: ModuleType, cells: Iterable[Cell], target: Path) -> Path:
    notebook = nbformat.v4.new_notebook(
        cells=[c.node for c in cells],
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"  # deterministic: the same source gives the same file
    nbformat.validate(notebook)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return target


def _without_blocks(text: str) -> str:
    """``text`` without its Markdown solution blocks (markers included)."""
    kept, inside = [], False
    for line in text.splitlines():
        if MD_BEGIN.match(line):
            inside = True
        elif MD_END.match(line):
            inside = False
        elif not inside:
            kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")


def _unmarked(text: str) -> str:
    """``text`` with the lines of its Markdown solution markers removed."""
    lines = [line for line in text.splitlines() if not (MD_BEGIN.match(line) or MD_END.match(line))]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _line_of(text: str, snippet: str, after: int = 0) -> int:
    """The number of the line of ``text`` (after line ``after``) where ``snippet``'s first line
    is; ``after`` if it is not found (a Markdown line the converter changed)."""
    first = next((line for line in snippet.splitlines() if line.strip()), "")
    lines = text.splitlines()
    for number in range(after, len(lines)):
        if first and lines[number] == first:
            return number + 1
    return after


def _repository(solutions: Path) -> Path:
    """The repository that holds ``solutions`` (its ``_toc.yml`` and the converter)."""
    for folder in [solutions.resolve(), *solutions.resolve().parents]:
        if (folder / "_toc.yml").is_file() and (folder / "book" / "_ext").is_dir():
            return folder
    raise FileNotFoundError(
        f"--solutions: {solutions} is not inside the course's repository (no _toc.yml and "
        "book/_ext/ above it); the graders' notebooks are made there"
    )


def _standalone_module(root: Path) -> ModuleType:
    """The course's standalone-notebook converter, ``book/_ext/standalone_notebooks.py``."""
    name = "standalone_notebooks"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, root / "book" / "_ext" / "standalone_notebooks.py"
        )
        assert spec is not None and spec.loader is not None  # a .py file has a source loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
