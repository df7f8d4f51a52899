"""The contract every checker of companion.checks keeps, written once for all of them.

A checker passes the solution notebook's own code, fails plausible wrong answers with an
AssertionError that names the case, keeps the solution out of its message, says how to
rerun the case (``checks.last_failure()``), lets an unfinished exercise's NotImplementedError
through, refuses the wrong kind of argument plainly, and shows none of its own frames in
the traceback of any of these. ``tests/test_checks.py`` (chapters 1 to 4) and
``tests/test_checks_torch.py`` (chapters 5 to 7) each describe their checkers as a
:class:`Suite` and subclass :class:`CheckerContract` with it: every test of the class then runs
for every checker of the suite, and every wrong answer of the suite is tried. Some wrong
answers have their whole message pinned, word for word, so that no change to the wording of
the checkers goes unseen.

The correct answers are the functions defined in the solution cells of ``solutions/*.md`` (so
the tests and the notebooks cannot drift apart); each wrong answer is that code with one
mistake written in, as a replacement of its exact text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import numpy as np
import pytest

import companion.checks
from companion import checks

CHECKS = Path(companion.checks.__file__).resolve().parent
SOLUTION_TEXT = 12  # replaced solution text at least this long must not appear in a message
# The last line of every failure in which the student's function was called.
RERUN = (
    "To rerun it: checks.last_failure().rerun({}); checks.last_failure().inputs holds its inputs."
)

# (checker, mistake, [(text of the solution, replaced by)])
Wrong = tuple[str, str, list[tuple[str, str]]]


def solution_loader(notebooks: Iterable[Path], namespace: dict) -> Callable[..., Callable]:
    """``solution(name, replacements=())``: the function ``name`` that a solution cell of one of
    ``notebooks`` defines, run in a copy of ``namespace``, with each ``old`` text replaced by
    ``new`` first."""
    notebooks = tuple(notebooks)

    @functools.cache
    def sources() -> dict[str, str]:
        """The source of every solution cell that defines a function, by function name."""
        found = {}
        for path in notebooks:
            for cell in jupytext.read(path).cells:
                if cell.cell_type == "code" and "BEGIN SOLUTION" in cell.source:
                    for function in re.findall(r"^def (\w+)\(", cell.source, re.M):
                        found[function] = cell.source
        return found

    def solution(name: str, replacements: Iterable[tuple[str, str]] = ()) -> Callable:
        source = sources()[name]
        for old, new in replacements:
            assert source.count(old) == 1, f"the solution of {name} no longer contains {old!r} once"
            source = source.replace(old, new)
        scope = dict(namespace)
        exec(compile(source, f"<solution of {name}>", "exec"), scope)
        return scope[name]

    return solution


@dataclass(frozen=True)
class Suite:
    """The checkers of some chapters, and what their contract tests need to know of them."""

    checked: dict[str, str]  # checker -> the solution function it checks
    wrong: list[Wrong]  # the wrong answers to try, at least one per checker
    solution: Callable[..., Callable]  # from solution_loader
    failure_start: str  # what a failure message starts with after "<name>"
    not_a_function: object  # what a student passes who calls their function: an array
    # checker -> why a candidate that returns None is not a failure there
    may_return_nothing: dict[str, str] = field(default_factory=dict)
    # (checker, mistake of ``wrong``) -> the whole message of its failure, line by line
    messages: dict[tuple[str, str], list[str]] = field(default_factory=dict)


class CheckerContract:
    """The contract tests; a subclass sets ``suite``, and each test runs for its checkers."""

    suite: Suite

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "pinned" in metafunc.fixturenames:
            pinned = list(self.suite.messages)
            metafunc.parametrize("pinned", pinned, ids=[f"{c}-{m}" for c, m in pinned])
        elif "mistake" in metafunc.fixturenames:
            wrong = self.suite.wrong
            metafunc.parametrize(
                "checker, mistake, replacements", wrong, ids=[f"{c}-{m}" for c, m, _ in wrong]
            )
        elif "checker" in metafunc.fixturenames:
            metafunc.parametrize("checker", sorted(self.suite.checked))

    def test_the_solution_passes(self, checker, capsys):
        getattr(checks, checker)(self.suite.solution(self.suite.checked[checker]))
        line = capsys.readouterr().out.strip()
        name = checker.removeprefix("check_")
        assert re.fullmatch(rf"✓ {name}: passed \(\d+ cases\)", line), line

    def test_a_wrong_answer_fails(self, checker, mistake, replacements, capsys):
        wrong = self.suite.solution(self.suite.checked[checker], replacements)
        with np.errstate(all="ignore"), pytest.raises(AssertionError) as failure:
            getattr(checks, checker)(wrong)
        message = str(failure.value)
        name = checker.removeprefix("check_")
        assert message.startswith(name + self.suite.failure_start), message
        assert "passed" not in capsys.readouterr().out
        for old, _ in replacements:
            if len(old.strip()) >= SOLUTION_TEXT:
                assert old.strip() not in message, f"the message shows the solution: {old!r}"
        case = checks.last_failure()
        assert case is not None and case.checker == name and case.case in message
        assert message.endswith(RERUN.format(self.suite.checked[checker])), message
        assert_no_frames_of_the_checkers(failure)

    def test_a_pinned_message_is_unchanged(self, pinned):
        checker, _ = pinned
        (replacements,) = [r for c, m, r in self.suite.wrong if (c, m) == pinned]
        wrong = self.suite.solution(self.suite.checked[checker], replacements)
        with np.errstate(all="ignore"), pytest.raises(AssertionError) as failure:
            getattr(checks, checker)(wrong)
        assert str(failure.value).split("\n") == self.suite.messages[pinned]

    def test_the_failing_case_can_be_rerun(self, checker, mistake, replacements):
        """Rerun on the inputs it failed on, a wrong answer that returned something returns
        something again (it does not fail for want of an input or on a changed one)."""
        wrong = self.suite.solution(self.suite.checked[checker], replacements)
        with np.errstate(all="ignore"), pytest.raises(AssertionError) as failure:
            getattr(checks, checker)(wrong)
        if "your function raised" in str(failure.value):
            return
        case = checks.last_failure()
        assert list(case.inputs)[: len(case.names)] == list(case.names)[: len(case.inputs)]
        with np.errstate(all="ignore"):
            case.rerun(wrong)

    def test_the_solution_leaves_no_failure_behind(self, checker, capsys):
        def broken(*args, **kwargs):
            raise IndexError("index 3 is out of bounds")

        with pytest.raises(AssertionError):
            getattr(checks, checker)(broken)
        assert checks.last_failure() is not None
        getattr(checks, checker)(self.suite.solution(self.suite.checked[checker]))
        assert checks.last_failure() is None

    def test_not_a_function_is_a_type_error(self, checker):
        with pytest.raises(TypeError, match="expected your function .*got int 42") as failure:
            getattr(checks, checker)(42)
        assert_no_frames_of_the_checkers(failure)
        with pytest.raises(TypeError, match="without calling it"):
            getattr(checks, checker)(self.suite.not_a_function)

    def test_wrong_number_of_arguments_is_a_type_error(self, checker):
        def takes_seven(a, b, c, d, e, f, g):
            return None

        with pytest.raises(
            TypeError, match=r"expected a function called as \w+\(.*\), got one with"
        ):
            getattr(checks, checker)(takes_seven)

    def test_an_unfinished_exercise_raises_not_implemented(self, checker):
        def stub(*args, **kwargs):
            raise NotImplementedError

        with pytest.raises(NotImplementedError) as failure:
            getattr(checks, checker)(stub)
        frames = assert_no_frames_of_the_checkers(failure)
        assert frames[-1].name == "stub"  # where it was raised, right after the test's own

    def test_an_error_in_the_candidate_names_the_case(self, checker):
        def broken(*args, **kwargs):
            raise IndexError("index 3 is out of bounds")

        with pytest.raises(
            AssertionError, match=r"case.*your function raised IndexError: index 3"
        ) as failure:
            getattr(checks, checker)(broken)
        assert isinstance(failure.value.__cause__, IndexError)
        assert_no_frames_of_the_checkers(failure)
        cause = failure.value.__cause__.__traceback__
        assert cause.tb_frame.f_code.co_name == "broken" and cause.tb_next is None

    def test_returning_nothing_is_reported(self, checker):
        def forgets_return(*args, **kwargs):
            return None

        if checker in self.suite.may_return_nothing:
            pytest.skip(self.suite.may_return_nothing[checker])
        with pytest.raises(AssertionError, match="None|got NoneType"):
            getattr(checks, checker)(forgets_return)


def assert_no_frames_of_the_checkers(failure: pytest.ExceptionInfo) -> list:
    """The traceback of ``failure``, which must hold no frame of ``companion/checks``."""
    frames = list(failure.traceback)
    inside = [entry for entry in frames if Path(entry.path).resolve().is_relative_to(CHECKS)]
    assert not inside, f"frames of the checkers in the traceback: {inside}"
    return frames
