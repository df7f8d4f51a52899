"""The exercises for nbgrader and otter-grader (companion.graders), tested end to end.

* The export marks every answer, checker and written-answer cell, stops with the file and
  line on a checker cell that holds two calls or a "Your answer" that shares its cell, and
  pins the grading environment to this version of the package.
* For chapters 2 and 3, with the real tools: nbgrader's release and otter's student notebook
  hold no solution text; a student copy filled in with the solutions scores full marks, one
  with a wrong answer to every exercise and an untouched one score zero, with nbgrader's
  autograder and with ``otter run`` (local, no Docker); and an answer cell that replaces the
  checkers gains nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import ROOT
from test_checks import WRONG

from companion import __version__
from companion.exercises import CODE_BEGIN, CODE_END, MarkerError, main
from companion.graders import (
    DISTRIBUTION,
    chapter_name,
    nbgrader_course,
    otter_config,
    otter_notebooks,
    read_chapter,
)

SOLUTIONS = ROOT / "solutions"
CHAPTERS = sorted(p.stem for p in SOLUTIONS.glob("0*.md"))
GRADED = ["02-concepts", "03-math"]  # the chapters graded end to end, both under 3 s to run
STUDENTS = ("correct", "wrong", "untouched", "cheat")
CHEAT = """
from companion import checks  # an answer cell that makes every checker print a pass

for _name in [n for n in dir(checks) if n.startswith("check_")]:
    setattr(checks, _name, lambda f, _n=_name[6:]: print(f"✓ {_n}: passed (1 cases)"))
"""
BIN = Path(sys.executable).parent
ENV = os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # nbgrader: alembic


def _run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


# ------------------------------------------------------------------ the export


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_exercise_cell_has_its_part(name):
    path = SOLUTIONS / f"{name}.md"
    text = path.read_text(encoding="utf-8")
    cells = read_chapter(path, ROOT)
    kinds = [c.kind for c in cells]
    assert kinds.count("check") == len(re.findall(r"^checks\.check_", text, re.M))
    assert kinds.count("written") == text.count("**Your answer:**")
    for each in cells:
        if each.kind == "written":
            assert each.node.source.startswith("**Your answer:**\n\n<!-- BEGIN SOLUTION -->")
        elif each.kind == "plain":
            assert "BEGIN SOLUTION" not in each.node.source, "notes must not reach the graders"
    numbers = sorted({c.exercise for c in cells if c.kind == "check"})
    assert numbers == list(range(1, len(numbers) + 1))


def _repository(tmp_path: Path, notebook: str) -> Path:
    """A repository with the course's converter and one solution notebook, ``bad``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name in ("_config.yml", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: solutions/bad\n", encoding="utf-8")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "_ext").symlink_to(ROOT / "book" / "_ext")
    (tmp_path / "solutions").mkdir()
    front = (SOLUTIONS / "01-background.md").read_text(encoding="utf-8").split("\n---\n")[0]
    (tmp_path / "solutions" / "bad.md").write_text(f"{front}\n---\n{notebook}", encoding="utf-8")
    return tmp_path / "solutions"


CODE = "```{code-cell} ipython3\n"
ANSWER = CODE + "def f(x):\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n```\n\n"


@pytest.mark.parametrize(
    "notebook, first, message",  # first: the line the error must name
    [
        (
            f"# T\n\n## Exercise 1: f\n\n{ANSWER}{CODE}checks.check_neuron(f)\n"
            "checks.check_neuron(f)\n```\n",
            "checks.check_neuron(f)",
            "a checker cell holds one call",
        ),
        (
            f"# T\n\n## Exercise 1: f\n\n{ANSWER}{CODE}checks.check_neuron(f)\n```\n\n"
            "Question.\n\n**Your answer:**\n\n## Exercise 2: g\n",
            "**Your answer:**",
            r"give \*\*Your answer:\*\* a Markdown cell of its own",
        ),
        (
            f"# T\n\n{CODE}# BEGIN SOLUTION\nx = 1\n```\n",
            "# BEGIN SOLUTION",
            "BEGIN SOLUTION without an END",
        ),
    ],
)
def test_a_notebook_graders_cannot_read_stops_with_file_and_line(
    tmp_path, notebook, first, message
):
    solutions = _repository(tmp_path, notebook)
    line = (solutions / "bad.md").read_text(encoding="utf-8").splitlines().index(first) + 1
    for write in (nbgrader_course, otter_notebooks):
        with pytest.raises(MarkerError, match=re.escape(f"bad.md:{line}: ") + message):
            write(solutions, tmp_path / "out")


def test_the_command_line_writes_both_and_reports_errors(tmp_path, capsys):
    assert main(["nbgrader", str(tmp_path / "course"), "02-concepts"]) == 0
    assert (tmp_path / "course" / "source" / "ch02" / "02-concepts.ipynb").is_file()
    assert "c.Execute.timeout" in (tmp_path / "course" / "nbgrader_config.py").read_text()
    assert main(["otter", str(tmp_path / "otter"), "02-concepts.md"]) == 0
    assert (tmp_path / "otter" / "ch02" / "02-concepts.ipynb").is_file()
    assert "otter assign" in capsys.readouterr().out
    assert main(["otter", str(tmp_path / "otter"), "99-nothing"]) == 2
    assert "no solution notebook 99-nothing" in capsys.readouterr().err
    bad = _repository(tmp_path / "repo", f"{CODE}checks.check_a(f); checks.check_b(f)\n```\n")
    assert main(["--solutions", str(bad), "nbgrader", str(tmp_path / "x")]) == 2
    assert re.search(r"error: .*bad\.md:\d+: a checker cell", capsys.readouterr().err)


def test_nbgrader_metadata_is_the_schema_of_the_installed_nbgrader(tmp_path):
    from nbgrader.nbgraderformat import SCHEMA_VERSION, MetadataValidator, ValidationError

    for path in nbgrader_course(SOLUTIONS, tmp_path):
        notebook = nbformat.read(path, as_version=4)
        ids = [
            c.metadata["nbgrader"]["grade_id"] for c in notebook.cells if "nbgrader" in c.metadata
        ]
        assert len(ids) == len(set(ids)), f"{path.name}: grade ids repeat"
        for cell in notebook.cells:
            if "nbgrader" in cell.metadata:
                assert cell.metadata["nbgrader"]["schema_version"] == SCHEMA_VERSION
        try:
            MetadataValidator().validate_nb(notebook)
        except ValidationError as err:
            pytest.fail(f"{path.name}: {err}")


def test_the_otter_environment_is_this_package_and_nothing_else():
    config = otter_config("ch05")
    assert "strip_solutions_from_all_cells: true" in config
    requirements = re.findall(r"^  - (.+)$", config, re.M)
    assert requirements == [f"{DISTRIBUTION}[data]=={__version__}"]


# ------------------------------------------------------------------ end to end


def _solution_lines(name: str) -> set[str]:
    """Lines of the solution notebook that its student version does not have (at least 16
    characters: shorter ones, ``return x``, may well appear elsewhere)."""
    student = set((ROOT / "exercises" / f"{name}.md").read_text(encoding="utf-8").splitlines())
    lines = (SOLUTIONS / f"{name}.md").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line not in student and len(line.strip()) >= 16}


def _assert_no_solution(notebook: nbformat.NotebookNode, name: str, where: str) -> None:
    text = "\n".join(c.source for c in notebook.cells)
    leaked = sorted(line for line in _solution_lines(name) if line in text)
    assert not leaked, f"{where}: solution text in the student notebook: {leaked[:5]}"


def _filled(name: str, student: str) -> list[str]:
    """The answer cells' sources for ``student``: the solutions without their markers, each
    mistake of WRONG (the first for each checker) written in, or the cheat added."""
    cells = read_chapter(SOLUTIONS / f"{name}.md", ROOT)
    exercises = [c.exercise for c in cells if c.kind == "answer"]
    answers = [c.node.source for c in cells if c.kind == "answer"]
    if student == "wrong":
        for check in (c for c in cells if c.kind == "check"):
            for old, new in next(r for k, _, r in WRONG if k == check.checker):
                mine = zip(exercises, answers, strict=True)
                index = next(i for i, (n, a) in enumerate(mine) if n == check.exercise and old in a)
                answers[index] = answers[index].replace(old, new)
    lines = [
        [line for line in a.splitlines() if not (CODE_BEGIN.match(line) or CODE_END.match(line))]
        for a in answers
    ]
    return ["\n".join(each) for each in lines]


@pytest.fixture(scope="module")
def nbgrader_scores(tmp_path_factory):
    """Per chapter and student, the autograded score and its maximum."""
    from nbgrader.api import Gradebook

    course = tmp_path_factory.mktemp("nbgrader") / "course"
    nbgrader_course(SOLUTIONS, course, GRADED)
    scores = {}
    for name in GRADED:
        assignment = chapter_name(SOLUTIONS / f"{name}.md")
        _run([str(BIN / "nbgrader"), "generate_assignment", assignment], course)
        release = nbformat.read(course / "release" / assignment / f"{name}.ipynb", as_version=4)
        _assert_no_solution(release, name, f"nbgrader release {assignment}")
        for student in STUDENTS:
            notebook = nbformat.from_dict(json.loads(json.dumps(release)))
            answers = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
            code = [c for c in answers if c.cell_type == "code"]
            if student == "cheat":
                code[0].source += "\n" + CHEAT
            elif student != "untouched":
                filled = _filled(name, student)
                assert len(filled) == len(code)
                for cell, source in zip(code, filled, strict=True):
                    cell.source = source
                for cell in answers:
                    if cell.cell_type == "markdown":
                        cell.source = "**Your answer:**\n\nA student's answer."
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True)
            nbformat.write(notebook, folder / f"{name}.ipynb")
        _run([str(BIN / "nbgrader"), "autograde", assignment], course)
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            for student in STUDENTS:
                found = gradebook.find_submission_notebook(name, assignment, student)
                auto = [g for g in found.grades if g.cell.cell_type == "code"]
                got = sum(g.auto_score or 0 for g in auto)
                scores[name, student] = (got, sum(g.max_score for g in auto))
    return scores


@pytest.fixture(scope="module")
def otter_scores(tmp_path_factory):
    """Per chapter and student, otter's score and its maximum."""
    folder = tmp_path_factory.mktemp("otter")
    scores = {}
    for path in otter_notebooks(SOLUTIONS, folder, GRADED):
        name, dist = path.stem, path.parent / "dist"
        _run([str(BIN / "otter"), "assign", "--no-run-tests", path.name, "dist"], path.parent)
        student = nbformat.read(dist / "student" / path.name, as_version=4)
        _assert_no_solution(student, name, f"otter student {path.parent.name}")
        autograder = next((dist / "autograder").glob("*.zip"))
        for who in STUDENTS:
            notebook = nbformat.from_dict(json.loads(json.dumps(student)))
            code = [
                c
                for c in notebook.cells
                if "otter_assign_solution_cell" in c.metadata.get("tags", [])
            ]
            if who == "cheat":
                code[0].source += "\n" + CHEAT
            elif who != "untouched":
                for cell, source in zip(code, _filled(name, who), strict=True):
                    cell.source = source
            submission = folder / who / path.name
            submission.parent.mkdir(exist_ok=True)
            nbformat.write(notebook, submission)
            out = folder / who / f"results-{name}"
            out.mkdir()
            _run(
                [
                    str(BIN / "otter"),
                    "run",
                    "--no-logo",
                    "-a",
                    str(autograder),
                    "-o",
                    str(out),
                    str(submission),
                ],
                folder,
            )
            tests = json.loads((out / "results.json").read_text())["tests"]
            graded = [t for t in tests if t.get("max_score")]
            scores[name, who] = (
                sum(t["score"] for t in graded),
                sum(t["max_score"] for t in graded),
            )
    return scores


EXPECTED = {"correct": "full", "wrong": "zero", "untouched": "zero", "cheat": "zero"}


@pytest.mark.slow
@pytest.mark.parametrize("tool", ["nbgrader", "otter"])
def test_graders_give_full_marks_to_the_solutions_and_none_to_the_rest(tool, request):
    scores = request.getfixturevalue(f"{tool}_scores")
    print(
        f"\n{tool} scores: "
        + "; ".join(f"{n} {s}: {g:g}/{m:g}" for (n, s), (g, m) in scores.items())
    )
    for (name, student), (got, most) in scores.items():
        assert most > 0, f"{tool} {name}: nothing to grade"
        want = most if EXPECTED[student] == "full" else 0
        assert got == want, f"{tool} {name} {student}: {got}/{most}, expected {want}"


def test_manual_grading_keeps_the_model_answers(tmp_path):
    """nbgrader's source notebook and otter's master hold each model answer, for the grader."""
    model = "Neither model responds before step $k$"  # chapter 2, exercise 4
    (course,) = nbgrader_course(SOLUTIONS, tmp_path / "course", ["02-concepts"])
    (master,) = otter_notebooks(SOLUTIONS, tmp_path / "otter", ["02-concepts"])
    for path in (course, master):
        assert model in path.read_text(encoding="utf-8"), path


def test_otter_needs_the_code_answers_before_the_checker(tmp_path):
    solutions = _repository(
        tmp_path, f"# T\n\n## Exercise 1: f\n\n{CODE}checks.check_neuron(f)\n```\n\n{ANSWER}"
    )
    line = (solutions / "bad.md").read_text(encoding="utf-8").splitlines().index("def f(x):") + 1
    nbgrader_course(solutions, tmp_path / "course")  # nbgrader does not mind the order
    with pytest.raises(MarkerError, match=rf"bad\.md:{line}: exercise 1: a code answer after"):
        otter_notebooks(solutions, tmp_path / "otter")
