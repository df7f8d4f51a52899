"""Checkers for the exercise notebooks: ``checks.check_<name>(your_function)``.

Each checker calls your function on test inputs of its own, edge cases included (a batch of
one, one time step, one hidden unit), and compares the results with a reference computed
independently. It prints ``✓ <name>: passed (N cases)``, or raises ``AssertionError`` that
names the failing case and says what was expected and what came back, with a hint; it
writes out the case's inputs when they are small, and ``checks.last_failure()`` returns
them, so that ``checks.last_failure().rerun(your_function)`` repeats the failing call.
The traceback shows your cell and your function, not the checker's code. Pass something
that is not a function of the expected arguments and you get a ``TypeError`` that says
so. Importing this package does not import torch: the checkers that compare with
PyTorch's autograd import it when they run, as do the checkers of chapters 5 to 7.

A grading cell calls its checker from :func:`fresh`, a copy of this package loaded anew, so
that an answer cell that replaced a checker (or a helper the checkers use) cannot change
the grade.

``CHAPTERS`` maps each chapter's exercise notebook to the module that holds its checkers;
every ``check_*`` function of those modules is exported here, and listed in ``CHECKERS``.
"""

import importlib
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from companion.checks import background, concepts, faq, future, mathematics, pytorch, training
from companion.checks._core import last_failure

# Each chapter's exercise notebook (solutions/<chapter>.md) and the module of its checkers.
CHAPTERS: dict[str, ModuleType] = {
    "01-background": background,
    "02-concepts": concepts,
    "03-math": mathematics,
    "04-training": training,
    "05-code": pytorch,
    "06-future": future,
    "07-faq": faq,
}

# Every check_* function that a chapter's module defines, by name, in the order of the table.
CHECKERS: dict[str, Callable[[Any], None]] = {
    name: function
    for module in CHAPTERS.values()
    for name, function in vars(module).items()
    if name.startswith("check_")
}
globals().update(CHECKERS)


def fresh() -> ModuleType:
    """A fresh copy of ``companion.checks``, loaded anew from its files.

    A grading cell calls ``fresh().check_<name>(your_function)``: the copy holds the
    checkers as the package defines them, even after an earlier cell replaced
    ``checks.check_<name>`` or a function of the modules behind it. The session keeps its
    own ``companion.checks``, and its ``checks.last_failure()`` reports the failures of the
    copy too. It protects against replaced checkers, not against code that sets
    out to change Python itself (NumPy, ``print``, the import system): read the answers too.
    """
    package = __name__
    ours = {n: m for n, m in sys.modules.items() if n == package or n.startswith(package + ".")}
    calls = getattr(ours.get(f"{package}._core"), "CALLS", None)
    parent = sys.modules[package.rpartition(".")[0]]
    attribute = parent.__dict__.get("checks")
    for name in ours:
        del sys.modules[name]
    try:
        copy = importlib.import_module(package)
        if calls is not None:
            copy._core.CALLS = calls
        return copy
    finally:
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]
        sys.modules.update(ours)
        if attribute is not None:
            parent.__dict__["checks"] = attribute


__all__ = ["CHAPTERS", "fresh", "last_failure", *CHECKERS]
