"""What every checker shares: calling the candidate, comparing its results, the messages.

Every checker follows one pattern. It refuses a candidate of the wrong kind with a plain
``TypeError``, calls it on inputs of its own, compares each result with a reference
computed independently, and then either prints one line, ``✓ <name>: passed (N cases)``,
or raises ``AssertionError`` naming the case that failed and what was expected and what
came back. A ``NotImplementedError`` from an exercise not yet done passes through as it is.
:class:`Case` holds the checker's name and the case's label, so that a checker gives them
once per case; its docstring shows a whole checker.

A failure also lets the student rerun the case: :meth:`Case.run` keeps a copy of the inputs
of every call, the message writes them out when they are small, and :func:`last_failure`
returns them. A public checker is wrapped in :func:`checker`, which cuts the frames of
this package from the traceback the student sees: what is left is their cell and, when
their function raised, their function.

The helpers for torch tensors at the end import torch only when they run, so that importing
:mod:`companion.checks` stays NumPy-only.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import os
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

SHOWN_ENTRIES = 24  # the most entries an array may have to be written out in a message
SHOWN_CHARACTERS = 1200  # the most characters the inputs of a case may take in a message
_PACKAGE = str(Path(__file__).resolve().parent) + os.sep  # its frames are cut from tracebacks
# The exercise's parameter names, by checker name (set by require_function).
_PARAMETERS: dict[str, tuple[str, ...]] = {}


@dataclasses.dataclass(frozen=True)
class FailedCase:
    """The inputs of one call of the student's function, kept so that it can be rerun.

    ``checks.last_failure()`` returns the one of the case that failed last.
    """

    checker: str  # the checker's name, ``beam_search``
    case: str  # the case, as the failure names it
    function: str  # the student's function, as the rerun line calls it
    names: tuple[str, ...]  # the exercise's parameter names, for the positional inputs
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)

    @property
    def inputs(self) -> dict[str, Any]:
        """Fresh copies of the inputs, by parameter name."""
        args, kwargs = _copied((self.args, self.kwargs))
        names = [_name(self.names, i) for i in range(len(args))]
        return dict(zip(names, args, strict=True)) | kwargs

    def rerun(self, function: Callable[..., Any]) -> Any:
        """``function`` called on fresh copies of the inputs; what it returns."""
        args, kwargs = _copied((self.args, self.kwargs))
        return function(*args, **kwargs)

    def describe(self) -> str:
        """What a failure adds: the inputs written out when they are small, and how to rerun."""
        lines = []
        shown = [(_name(self.names, i), _shown(v)) for i, v in enumerate(self.args)]
        shown += [(key, _shown(value)) for key, value in self.kwargs.items()]
        text = "\n".join(f"  {key} = {value}" for key, value in shown)
        if all(value is not None for _, value in shown) and len(text) <= SHOWN_CHARACTERS:
            lines.append("The inputs of this case:\n" + text if shown else "It takes no inputs.")
        lines.append(
            f"To rerun it: checks.last_failure().rerun({self.function}); "
            "checks.last_failure().inputs holds its inputs."
        )
        return "\n" + "\n".join(lines)


@dataclasses.dataclass
class Calls:
    """What the checkers remember between calls. A fresh copy of the checkers
    (``checks.fresh()``) shares the session's, so that ``checks.last_failure()`` reports its
    failures too."""

    last_call: FailedCase | None = None  # the inputs of the latest call that Case.run() made
    last_failure: FailedCase | None = None


CALLS = Calls()


def last_failure() -> FailedCase | None:
    """The inputs of the case on which the last checker you ran failed (``None`` if it passed).

    ``checks.last_failure().inputs`` holds them by parameter name, and
    ``checks.last_failure().rerun(your_function)`` calls your function on a fresh copy of
    them, so that you can look at what it returns, step through it, or print inside it.
    """
    return CALLS.last_failure


def checker(function: Callable[[Any], None]) -> Callable[[Any], None]:
    """Make ``function`` a checker as the student calls it.

    It forgets the last failure when it starts, and its failures (``AssertionError``, the
    ``TypeError`` of a wrong argument, an unfinished exercise's ``NotImplementedError``)
    reach the student without the frames of this package in their traceback, or in that of
    the exception the student's function raised.
    """

    @functools.wraps(function)
    def check(candidate: Any) -> None:
        CALLS.last_call = CALLS.last_failure = None
        try:
            function(candidate)
        except (AssertionError, TypeError, NotImplementedError) as err:
            for exception in (err, err.__cause__):
                if exception is not None:
                    exception.__traceback__ = _outside_package(exception.__traceback__)
            raise  # a bare raise adds no frame of its own

    return check


def require_function(candidate: object, name: str, params: tuple[str, ...]) -> None:
    """Raise ``TypeError`` unless ``candidate`` can be called as ``name(*params)``."""
    _PARAMETERS[name] = params
    call = f"{name}({', '.join(params)})"
    if not callable(candidate):
        raise TypeError(
            f"{name}: expected your function {call}, got {type(candidate).__name__} "
            f"{_short(candidate)}: pass the function itself, without calling it"
        )
    try:
        signature = inspect.signature(candidate)
    except (TypeError, ValueError):  # no signature to read (a builtin): calling it will tell
        return
    try:
        signature.bind(*params)
    except TypeError:
        raise TypeError(
            f"{name}: expected a function called as {call}, got one with the signature {signature}"
        ) from None


def type_name(value: object) -> str:
    """How a failure shows what came back: its type, ``list``."""
    return type(value).__name__


def type_and_start(value: object) -> str:
    """How a failure shows what came back: its type and the start of its repr."""
    return f"{type(value).__name__} {value!r:.60}"


def _type_and_length(value: object) -> str:
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of length {len(value)}"
    return type_and_start(value)


@dataclasses.dataclass(frozen=True)
class Case:
    """One case of a checker: the checker's name and the case's label, given once.

    A checker makes one ``Case`` per case. It calls the student's function through
    :meth:`run`, which keeps the inputs for :func:`last_failure`, and checks what came back
    with the other methods; every failure reads ``<name>: <label>: <message>``, with the
    hint on a line of its own. :meth:`fail` returns the error rather than raising it, so that
    the checker's own ``raise`` shows where a case can fail. A checker written with it::

        @checker
        def check_min_max(min_max: Callable) -> None:
            '''Check ``min_max(x)``: the smallest and the largest entry of ``x``.'''
            name = "min_max"
            require_function(min_max, name, ("x",))
            rng = np.random.default_rng(0)
            cases = [("N=5", rng.normal(size=5)), ("N=1", np.array([1.5]))]
            for description, x in cases:
                case = Case(name, f"case '{description}' (x.shape={x.shape})")
                got = case.run(min_max, x.copy())
                low, high = case.as_tuple(got, 2, "a pair (smallest, largest)")
                if np.ndim(low) != 0:
                    raise case.fail(f"expected one number, got {type_and_start(low)}")
                case.close("the smallest", low, x.min(), hint="the smallest entry of x")
                case.close("the largest", high, x.max())
            passed(name, len(cases))

    A new checker goes into its chapter's module (``CHAPTERS`` in ``__init__.py``), which
    exports every ``check_*`` function it defines. The tests then expect a checker cell that
    calls it in the chapter's exercise notebook, and its solution function and at least one
    wrong answer in ``CHECKED`` and ``WRONG`` of ``tests/test_checks.py`` (chapters 1 to 4) or
    ``tests/test_checks_torch.py`` (5 to 7).
    """

    name: str  # the checker's name, as the student's messages give it: ``beam_search``
    label: str  # the case, as failures name it: ``case 'B=1, T=1'``

    def fail(self, message: str, hint: str = "") -> AssertionError:
        """The error to raise: ``name: label: message``, a hint on a line of its own and, when
        :meth:`run` called the student's function in this case, its inputs and how to rerun it
        (which :func:`last_failure` then returns)."""
        text = f"{self.name}: {self.label}: {message}" + (f"\nHint: {hint}" if hint else "")
        call = CALLS.last_call  # the student's function was last called in this case
        failure = (
            dataclasses.replace(call, case=self.label)
            if call and call.checker == self.name
            else None
        )
        CALLS.last_failure = failure
        return AssertionError(text + (failure.describe() if failure else ""))

    def run(self, candidate: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """``candidate(*args, **kwargs)``; an exception becomes a failure of this case.

        A copy of the inputs is kept first, for :func:`last_failure`. ``NotImplementedError``
        (an exercise still to do) is not caught.
        """
        function = getattr(candidate, "__name__", "")
        CALLS.last_call = FailedCase(
            self.name,
            self.label,
            function if function.isidentifier() else self.name,
            _PARAMETERS.get(self.name, ()),
            _copied(args),
            _copied(kwargs),
        )
        try:
            return candidate(*args, **kwargs)
        except NotImplementedError:
            raise
        except Exception as err:
            raise self.fail(f"your function raised {type(err).__name__}: {err}") from err

    def as_numbers(self, got: object, what: str) -> np.ndarray:
        """``got`` (an array, a number, a torch tensor) as a NumPy array of numbers."""
        if got is None:
            raise self.fail(f"{what} is None", "did your function forget to `return` it?")
        if hasattr(got, "detach"):  # a torch tensor
            got = got.detach().cpu().numpy()
        try:
            array = np.asarray(got)
        except (TypeError, ValueError) as err:
            raise self.fail(f"{what} is not an array of numbers: {err}") from None
        if array.dtype.kind not in "biuf":
            raise self.fail(f"{what} should be numbers, got {type(got).__name__} {_short(got)}")
        return array

    def as_tuple(
        self,
        got: object,
        size: int,
        what: str,
        *,
        shown: Callable[[object], str] = _type_and_length,
    ) -> tuple:
        """``got`` as a tuple of ``size`` items, or a failure: ``expected <what>, got
        <shown(got)>``.

        By default ``shown`` gives the type and the length of a tuple or list, or the type and
        the start of anything else.
        """
        if not isinstance(got, (tuple, list)) or len(got) != size:
            raise self.fail(f"expected {what}, got {shown(got)}")
        return tuple(got)

    def as_dict(
        self,
        got: object,
        keys: list[str],
        what: str,
        *,
        shown: Callable[[object], str] = type_and_start,
    ) -> dict:
        """``got`` if it is a dict with exactly ``keys``, or a failure naming the difference."""
        if not isinstance(got, dict):
            raise self.fail(f"{what} should be a dict, got {shown(got)}")
        if set(got) != set(keys):
            raise self.fail(f"{what} should have the keys {sorted(keys)}, got {sorted(got)}")
        return got

    def close(
        self,
        what: str,
        got: object,
        expected: object,
        *,
        rtol: float = 1e-7,
        atol: float = 1e-10,
        hint: str = "",
    ) -> None:
        """Fail unless ``got`` has the shape of ``expected`` and equals it within tolerance.

        The message gives the shapes, or the worst entry (index, expected, got), the number of
        wrong entries, and says so when every entry is off by the same factor.
        """
        expected = np.asarray(expected, dtype=np.float64)
        array = self.as_numbers(got, what)
        if array.shape != expected.shape:
            shapes = f"{what} has shape {_shape(array.shape)}, expected {_shape(expected.shape)}"
            raise self.fail(shapes, hint)
        array = array.astype(np.float64)
        with np.errstate(invalid="ignore"):
            wrong = ~np.isclose(array, expected, rtol=rtol, atol=atol)
        if not wrong.any():
            return
        broken = wrong & ~np.isfinite(array)
        if broken.any():
            index = _index(broken)
            where = f" at {int(broken.sum())} of {array.size} entries, e.g." if array.ndim else ""
            raise self.fail(
                f"{what} holds NaN or inf{where} at index {index} (expected {expected[index]:.6g})"
                if array.ndim
                else f"{what} is {array[()]} (expected {expected[()]:.6g})",
                hint or "an overflow, or a division by zero?",
            )
        excess = np.where(wrong, np.abs(array - expected) - rtol * np.abs(expected), -np.inf)
        index = _index(excess == excess.max())
        pair = _expected_got(float(expected[index]), float(array[index]))
        if array.ndim == 0:
            raise self.fail(f"{what}: {pair}", hint)
        message = (
            f"{what}: {int(wrong.sum())} of {array.size} entries are wrong; the worst is at "
            f"index {index}: {pair}"
        )
        factor = _common_factor(array, expected)
        if factor is not None:
            message += f". Every entry is {factor:.6g} times the expected one: a constant factor?"
        raise self.fail(message, hint)

    def all_close(
        self,
        what: str,
        got: Mapping[str, object],
        expected: Mapping[str, object],
        *,
        rtol: float = 1e-7,
        atol: float = 1e-10,
        hint: str | Mapping[str, str] = "",
    ) -> None:
        """:meth:`close` for every key of ``expected``, in its order: ``got[key]`` against
        ``expected[key]``, named ``what.format(key=key)`` (``"grads[{key!r}]"``), with ``hint``
        for every key or ``hint[key]``."""
        for key, want in expected.items():
            self.close(
                what.format(key=key),
                got[key],
                want,
                rtol=rtol,
                atol=atol,
                hint=hint if isinstance(hint, str) else hint[key],
            )

    def unchanged(
        self,
        what: str,
        before: np.ndarray,
        after: object,
        hint: str = "work on a copy (or put every value back exactly as it was)",
    ) -> None:
        """Fail if an input array was modified by the candidate."""
        if not np.array_equal(before, np.asarray(after)):
            raise self.fail(f"your function changed {what}, which was passed in", hint)

    def tensors_unchanged(self, before: dict[str, np.ndarray], tensors: dict[str, Any]) -> None:
        """Fail if the candidate modified any of the input ``tensors`` in place; ``before`` holds
        their :func:`numpy_copies` from before the call."""
        for key, value in before.items():
            self.unchanged(key, value, tensors[key].detach().cpu().numpy())


def passed(name: str, cases: int) -> None:
    """Print the pass line."""
    print(f"✓ {name}: passed ({cases} cases)")


# ---------------------------------------------------------------- torch tensors (chapters 5-7)


def torch_module() -> Any:
    """``torch``, imported on first use."""
    import torch

    return torch


def tensor_argument(value: ArrayLike, dtype: str = "float64") -> Any:
    """A fresh torch tensor holding ``value``."""
    torch = torch_module()
    return torch.tensor(value, dtype=getattr(torch, dtype))


def numpy_copies(tensors: dict[str, Any]) -> dict[str, np.ndarray]:
    """Snapshots of input tensors, to tell afterwards whether the candidate changed them."""
    return {key: value.detach().cpu().numpy().copy() for key, value in tensors.items()}


# ---------------------------------------------------------------- private


def _copied(value: Any) -> Any:
    """A deep copy of ``value``, or ``value`` itself when it cannot be copied."""
    try:
        return copy.deepcopy(value)
    except Exception:  # anything that cannot be copied is kept as it is
        return value


def _name(names: tuple[str, ...], index: int) -> str:
    return names[index] if index < len(names) else f"argument {index + 1}"


def _shown(value: object) -> str | None:
    """``value`` written out in full, if it is small enough to read; ``None`` if not."""
    if value is None or isinstance(value, (bool, int, float, str, np.generic)):
        text = repr(value.item() if isinstance(value, np.generic) else value)
        return text if len(text) <= 80 else None
    if isinstance(value, np.ndarray) or hasattr(value, "detach"):
        array = value if isinstance(value, np.ndarray) else value.detach().cpu().numpy()
        if array.size > SHOWN_ENTRIES or array.dtype.kind not in "biuf":
            return None
        body = np.array2string(array, separator=", ", precision=4, max_line_width=10**6)
        body = " ".join(line.strip() for line in body.splitlines())
        written = "array" if isinstance(value, np.ndarray) else "tensor"
        # a tensor's dtype is that of its NumPy copy, without the "torch." prefix
        return f"{written}({body}, dtype={array.dtype})"
    if isinstance(value, (list, tuple)):
        shown = [_shown(item) for item in value]
        if len(shown) > 12 or None in shown:
            return None
        items = [text for text in shown if text is not None]
        if isinstance(value, list):
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, dict):
        entries = {key: _shown(item) for key, item in value.items()}
        if len(entries) > 8 or None in entries.values():
            return None
        return "{" + ", ".join(f"{key!r}: {item}" for key, item in entries.items()) + "}"
    kind = type(value)
    if kind.__module__.startswith("companion.checks") and kind.__repr__ is not object.__repr__:
        return repr(value)  # the checkers' own models say what they compute
    return None


def _outside_package(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The traceback ``tb`` without its frames from this package."""
    kept = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_PACKAGE):
            kept.append(tb)
        tb = tb.tb_next
    trimmed = None
    for entry in reversed(kept):
        trimmed = types.TracebackType(trimmed, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return trimmed


def _expected_got(expected: float, got: float) -> str:
    """``expected 0.7426, got 0.7431``, with as many digits as it takes to tell them apart."""
    for digits in range(6, 18):
        a, b = f"{expected:.{digits}g}", f"{got:.{digits}g}"
        if a != b:
            break
    return f"expected {a}, got {b}"


def _common_factor(got: np.ndarray, expected: np.ndarray) -> float | None:
    """``c`` if ``got == c * expected`` entrywise for one ``c`` other than 1, else ``None``."""
    nonzero = np.abs(expected) > 1e-12
    if nonzero.sum() < 2 or not np.isfinite(got).all():
        return None
    ratios = got[nonzero] / expected[nonzero]
    factor = float(np.median(ratios))
    if factor == 0 or np.isclose(factor, 1.0) or not np.allclose(got, factor * expected):
        return None
    return factor


def _index(mask: np.ndarray) -> tuple[int, ...]:
    """The first index where ``mask`` is true."""
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(mask)), mask.shape))


def _shape(shape: tuple[int, ...]) -> str:
    return str(tuple(int(n) for n in shape))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
