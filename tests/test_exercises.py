"""The exercise system: the generator (companion.exercises), the solution notebooks it reads,
and the student notebooks it writes.

* The generator turns marked solution blocks into stubs, keeps everything else, and stops
  with the file and line on a malformed marker.
* ``exercises/`` is what the generator makes of ``solutions/`` today (``--check`` passes).
* Every exercise states its objective, difficulty and time, and ends with a checker.
* Run top to bottom, a student notebook fails only with ``NotImplementedError`` raised in
  its stubs, every stub is reached, and no cell before the first stub fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest
from helpers import NOTEBOOK_DIRS, ROOT
from hypothesis import given
from hypothesis import strategies as st

from companion import checks
from companion.exercises import (
    ORPHAN,
    STUB,
    MarkerError,
    generate,
    header,
    is_notebook,
    main,
    make_exercise,
)

SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
NOTEBOOKS = sorted(p.name for p in SOLUTIONS.glob("*.md") if p.name != "README.md")
CHAPTERS = {
    "01-background.md": 2,
    "02-concepts.md": 4,
    "03-math.md": 5,
    "04-training.md": 5,
    "05-code.md": 4,
    "06-future.md": 4,
    "07-faq.md": 4,
}  # the least number of exercises each notebook must have
FRONT = "---\njupytext:\n  text_representation:\n    extension: .md\n---\n"


def cell(body: str, options: str = "") -> str:
    return "```{code-cell} ipython3\n" + (options + "\n" if options else "") + body + "```\n"


# ------------------------------------------------------------------ the generator


def test_a_code_block_becomes_a_stub_and_the_rest_is_kept():
    source = (
        FRONT
        + "\n# Title\n\nSome prose.\n\n"
        + cell(
            'import numpy as np\n\n\ndef f(x):\n    """Doc."""\n    # BEGIN SOLUTION\n'
            "    y = 2 * x\n    return y\n    # END SOLUTION\n"
        )
        + "\n"
        + cell("check(f)\n")
    )
    expected = (
        FRONT
        + "\n# Title\n\n"
        + header("s.md")
        + "\n\nSome prose.\n\n"
        + cell(
            'import numpy as np\n\n\ndef f(x):\n    """Doc."""\n    # YOUR CODE HERE\n'
            "    raise NotImplementedError\n"
        )
        + "\n"
        + cell("check(f)\n")
    )
    assert make_exercise(source, "s.md") == expected


def test_the_stub_takes_the_indentation_of_the_begin_marker():
    source = cell(
        "# BEGIN SOLUTION\nx = 1\n# END SOLUTION\nclass A:\n    def f(self):\n"
        "        if True:\n            # BEGIN SOLUTION\n            return 1\n"
        "            # END SOLUTION\n"
    )
    body = make_exercise(source, "s.md").splitlines()
    assert body[2:4] == list(STUB)
    assert body[7:9] == ["            " + STUB[0], "            " + STUB[1]]


def test_nbgrader_style_markers_are_accepted():
    out = make_exercise(cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n"), "s.md")
    assert "x = 1" not in out and STUB[1] in out


def test_markdown_solution_blocks_are_dropped():
    source = (
        "Intro.\n\n<!-- BEGIN SOLUTION -->\nOnly for instructors.\n<!-- END SOLUTION -->\n\nMore.\n"
    )
    assert make_exercise(source, "s.md") == header("s.md") + "\nIntro.\n\nMore.\n"


def test_hide_input_is_dropped_only_from_stubbed_cells():
    stubbed = cell("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", ":tags: [hide-input, keep]")
    alone = cell("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", ":tags: [hide-input]")
    untouched = cell("y = 2\n", ":tags: [hide-input]")
    out = make_exercise(stubbed + alone + untouched, "s.md")
    assert out.count(":tags: [keep]") == 1
    assert out.count(":tags: [hide-input]") == 1  # only the cell without a solution keeps it
    assert ":tags: []" not in out


@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=40
        ).filter(
            lambda line: "SOLUTION" not in line and not line.startswith("```") and line != "---"
        ),
        max_size=20,
    )
)
def test_text_without_markers_passes_through(lines):
    text = "\n".join(lines) + "\n"
    title = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
    if title is None:
        expected = header("s.md") + "\n" + text
    else:  # the header follows the title, after a blank line
        expected = "\n".join([*lines[: title + 1], "", header("s.md"), *lines[title + 1 :]]) + "\n"
    assert make_exercise(text, "s.md") == expected


def test_the_header_follows_the_title_so_that_jupyterlab_shows_the_title_once():
    source = FRONT + "# Exercises: a title\n\nText.\n"
    assert make_exercise(source, "s.md") == (
        FRONT + "# Exercises: a title\n\n" + header("s.md") + "\n\nText.\n"
    )
    commented = cell("# a comment, not a title\nx = 1\n") + "\n# Late heading\n"
    assert make_exercise(commented, "s.md").startswith(header("s.md") + "\n```{code-cell}")
    for name in NOTEBOOKS:
        first = jupytext.read(EXERCISES / name).cells[0]
        assert first.cell_type == "markdown" and first.source.startswith("# "), name


@pytest.mark.parametrize(
    "text, line, message",
    [
        (cell("x = 0\n# BEGIN SOLUTION\nx = 1\n"), 3, "BEGIN SOLUTION without an END SOLUTION"),
        (cell("x = 1\n# END SOLUTION\n"), 3, "END SOLUTION without a BEGIN SOLUTION"),
        (cell("# BEGIN SOLUTION\n# BEGIN SOLUTION\nx\n# END SOLUTION\n"), 3, "nested"),
        ("a\n<!-- BEGIN SOLUTION -->\nb\n", 2, "BEGIN SOLUTION without an END SOLUTION"),
        ("a\n<!-- END SOLUTION -->\n", 2, "END SOLUTION without a BEGIN SOLUTION"),
        ("<!-- BEGIN SOLUTION -->\n<!-- BEGIN SOLUTION -->\n<!-- END SOLUTION -->\n", 2, "nested"),
        ("text\n# BEGIN SOLUTION\n", 2, "outside a code cell"),
        (cell("<!-- BEGIN SOLUTION -->\nx\n<!-- END SOLUTION -->\n"), 2, "inside a code cell"),
        (
            "<!-- BEGIN SOLUTION -->\n" + cell("x\n") + "<!-- END SOLUTION -->\n",
            2,
            "code cell inside",
        ),
        ("---\njupytext: {}\n", 1, "front matter"),
        ("a\n" + cell("x\n")[:-4], 2, "code cell never closed"),
    ],
)
def test_a_malformed_marker_stops_with_file_and_line(text, line, message):
    with pytest.raises(MarkerError, match=re.escape(f"solutions/bad.md:{line}: ") + ".*" + message):
        make_exercise(text, "solutions/bad.md")


def _write(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(FRONT + body, encoding="utf-8")
    return path


def test_the_command_line_writes_checks_and_removes_orphans(tmp_path, capsys):
    sol, out = tmp_path / "solutions", tmp_path / "exercises"
    _write(sol, "a.md", cell("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n"))
    (sol / "README.md").write_text("# Not a notebook\n", encoding="utf-8")
    args = ["--solutions", str(sol), "--out", str(out)]

    assert main(["--check", *args]) == 1
    assert "stale: " in capsys.readouterr().err and not out.exists()  # --check writes nothing
    assert main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.md"]  # the README is not a notebook
    assert "Generated from ../solutions/a.md" in (out / "a.md").read_text(encoding="utf-8")
    assert main(["--check", *args]) == 0

    (out / "a.md").write_text("edited by hand\n", encoding="utf-8")
    _write(out, "gone.md", header("../solutions/gone.md") + "\n")
    assert main(["--check", *args]) == 1
    err = capsys.readouterr().err
    assert "a.md (out of date)" in err and "gone.md (generated, but its solution" in err
    (out / "mine.md").write_text("a student's own notes\n", encoding="utf-8")
    assert generate(sol, out) == [(out / "a.md", "out of date"), (out / "gone.md", ORPHAN)]
    assert sorted(p.name for p in out.iterdir()) == ["a.md", "mine.md"]  # not ours: kept
    assert main(["--check", *args]) == 0


def test_the_command_line_reports_a_malformed_marker(tmp_path, capsys):
    sol = tmp_path / "solutions"
    _write(sol, "bad.md", cell("# BEGIN SOLUTION\nx = 1\n"))
    assert main(["--solutions", str(sol), "--out", str(tmp_path / "out")]) == 2
    assert re.search(r"error: .*bad\.md:7: BEGIN SOLUTION without", capsys.readouterr().err)
    assert main(["--solutions", str(tmp_path / "nowhere")]) == 2


# ------------------------------------------------------------------ the notebooks


def test_exercises_are_up_to_date():
    """`make exercises` has been run after the last change to solutions/."""
    assert generate(SOLUTIONS, EXERCISES, check=True) == [], "run `make exercises`"


def test_every_chapter_has_its_notebook():
    assert set(CHAPTERS) <= set(NOTEBOOKS)


def _sections(path: Path) -> list[str]:
    return re.split(r"^## ", path.read_text(encoding="utf-8"), flags=re.M)[1:]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_exercise_states_objective_difficulty_and_time(name):
    exercises = [s for s in _sections(SOLUTIONS / name) if s.startswith("Exercise ")]
    assert len(exercises) >= CHAPTERS.get(name, 1), f"{name}: too few exercises"
    difficulties = []
    for number, section in enumerate(exercises, start=1):
        title = section.splitlines()[0]
        assert title.startswith(f"Exercise {number}: "), f"{name}: {title!r} out of order"
        assert "**Learning objective:**" in section, f"{name}: {title} has no objective"
        found = re.search(r"\*\*Difficulty:\*\* (warm-up|core|stretch)\.", section)
        assert found, f"{name}: {title} has no difficulty (warm-up, core or stretch)"
        difficulties.append(found.group(1))
        assert re.search(r"\*\*Time:\*\* about \d+ minutes\.", section), f"{name}: {title}: time"
        assert "# BEGIN SOLUTION" in section, f"{name}: {title} has nothing for the student to do"
        called = re.findall(r"^checks\.(check_\w+)\(", section, re.M)
        assert called, f"{name}: {title} has no checker cell"
        assert set(called) <= set(checks.__all__), f"{name}: {title} calls an unknown checker"
    assert difficulties[0] == "warm-up" and "core" in difficulties, f"{name}: {difficulties}"


SKIPPING_TAGS = {"nbval-skip", "skip-execution", "raises-exception", "nbval-raises-exception"}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_make_test_runs_every_cell_of_the_solution_notebook(name, pytestconfig):
    """`make test` runs each solution notebook top to bottom, as a student with every answer
    filled in would, experiments included: nbval collects it (it lies on pytest's testpaths,
    in a folder the conftest reads notebooks from), and no cell is tagged to be skipped or
    allowed to fail."""
    assert "solutions" in pytestconfig.getini("testpaths")
    assert "solutions" in NOTEBOOK_DIRS and is_notebook(SOLUTIONS / name)
    for number, each in enumerate(jupytext.read(SOLUTIONS / name).cells):
        tags = set(each.metadata.get("tags", []))
        assert not tags & SKIPPING_TAGS, f"{name}, cell {number}: tagged {tags & SKIPPING_TAGS}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_notebooks_have_the_book_front_matter(name):
    notebook = jupytext.read(SOLUTIONS / name)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert notebook.metadata["jupytext"]["text_representation"]["format_name"] == "myst"
    first = next(c for c in notebook.cells if c.cell_type == "code").source
    if "plt." in (SOLUTIONS / name).read_text(encoding="utf-8"):
        assert first.startswith("%matplotlib inline"), f"{name}: first cell lacks %matplotlib"


ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_student_notebook_fails_only_in_its_stubs(name):
    from nbclient import NotebookClient

    student = jupytext.read(EXERCISES / name)
    solution = jupytext.read(SOLUTIONS / name)
    code = [c for c in student.cells if c.cell_type == "code"]
    marked = [c for c in solution.cells if c.cell_type == "code"]
    assert len(code) == len(marked), "the generator must keep every code cell"
    stubs = {i for i, c in enumerate(marked) if "BEGIN SOLUTION" in c.source}
    assert all(STUB[0] in code[i].source for i in stubs)

    client = NotebookClient(
        student,
        kernel_name="python3",
        allow_errors=True,
        timeout=300,
        resources={"metadata": {"path": str(EXERCISES)}},
    )
    client.execute()
    cell_of_count = {c.execution_count: i for i, c in enumerate(code)}
    reached = set()
    for i, c in enumerate(code):
        for out in c.outputs:
            if out.output_type != "error":
                continue
            where = f"{name}, code cell {i}: {out.ename}: {out.evalue}"
            assert i >= min(stubs), f"{where} (before the first exercise)"
            assert out.ename == "NotImplementedError", where
            frames = [ANSI.sub("", line) for line in out.traceback]
            frames = [f for f in frames if f.startswith(("Cell In[", "File "))]
            origin = re.match(r"Cell In\[(\d+)\]", frames[-1])
            assert origin, f"{where}: raised outside the notebook: {frames[-1][:200]}"
            source = cell_of_count[int(origin.group(1))]
            assert source in stubs, f"{where}: raised in code cell {source}, not a stub"
            reached.add(source)
    assert reached == stubs, f"{name}: stubs never run by a checker: {sorted(stubs - reached)}"
