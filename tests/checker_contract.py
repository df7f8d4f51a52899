"""The contract every checker of companion.checks keeps, written once for all of them.

A checker passes the solution notebook's own code, fails plausible wrong answers with an
AssertionError that names the case, lets an unfinished exercise's NotImplementedError
through, and refuses the wrong kind of argument plainly. ``tests/test_checks.py`` (chapters 1
to 4) and ``tests/test_checks_torch.py`` (chapters 5 to 7) each describe their checkers as a
:class:`Suite` and subclass :class:`CheckerContract` with it: every test of the class then runs
for every checker of the suite, and every wrong answer of the suite is tried.

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

from companion import checks

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


class CheckerContract:
    """The contract tests; a subclass sets ``suite``, and each test runs for its checkers."""

    suite: Suite

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "mistake" in metafunc.fixturenames:
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
        assert message.startswith(checker.removeprefix("check_") + self.suite.failure_start), (
            message
        )
        assert "passed" not in capsys.readouterr().out

    def test_not_a_function_is_a_type_error(self, checker):
        with pytest.raises(TypeError, match="expected your function .*got int 42"):
            getattr(checks, checker)(42)
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

        with pytest.raises(NotImplementedError):
            getattr(checks, checker)(stub)

    def test_an_error_in_the_candidate_names_the_case(self, checker):
        def broken(*args, **kwargs):
            raise IndexError("index 3 is out of bounds")

        with pytest.raises(
            AssertionError, match=r"case.*your function raised IndexError: index 3"
        ) as failure:
            getattr(checks, checker)(broken)
        assert isinstance(failure.value.__cause__, IndexError)

    def test_returning_nothing_is_reported(self, checker):
        def forgets_return(*args, **kwargs):
            return None

        if checker in self.suite.may_return_nothing:
            pytest.skip(self.suite.may_return_nothing[checker])
        with pytest.raises(AssertionError, match="None|got NoneType"):
            getattr(checks, checker)(forgets_return)
