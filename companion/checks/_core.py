"""What every checker shares: calling the candidate, comparing its results, the messages.

Every checker follows one pattern. It refuses a candidate of the wrong kind with a plain
``TypeError``, calls it on inputs of its own, compares each result with a reference
computed independently, and then either prints one line, ``✓ <name>: passed (N cases)``,
or raises ``AssertionError`` naming the case that failed and what was expected and what
came back. A ``NotImplementedError`` from an exercise not yet done passes through as it is.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np


def require_function(candidate: object, name: str, params: tuple[str, ...]) -> None:
    """Raise ``TypeError`` unless ``candidate`` can be called as ``name(*params)``."""
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


def fail(name: str, case: str, message: str, hint: str = "") -> AssertionError:
    """The error to raise: ``name: case: message`` and a hint on a line of its own."""
    return AssertionError(f"{name}: {case}: {message}" + (f"\nHint: {hint}" if hint else ""))


def run(name: str, case: str, candidate: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``candidate(*args, **kwargs)``; an exception becomes a failure that names the case.

    ``NotImplementedError`` (an exercise still to do) is not caught.
    """
    try:
        return candidate(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as err:
        raise fail(name, case, f"your function raised {type(err).__name__}: {err}") from err


def as_numbers(got: object, name: str, case: str, what: str) -> np.ndarray:
    """``got`` (an array, a number, a torch tensor) as a NumPy array of numbers."""
    if got is None:
        raise fail(name, case, f"{what} is None", "did your function forget to `return` it?")
    if hasattr(got, "detach"):  # a torch tensor
        got = got.detach().cpu().numpy()
    try:
        array = np.asarray(got)
    except (TypeError, ValueError) as err:
        raise fail(name, case, f"{what} is not an array of numbers: {err}") from None
    if array.dtype.kind not in "biuf":
        raise fail(name, case, f"{what} should be numbers, got {type(got).__name__} {_short(got)}")
    return array


def assert_close(
    name: str,
    case: str,
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
    array = as_numbers(got, name, case, what)
    if array.shape != expected.shape:
        message = f"{what} has shape {_shape(array.shape)}, expected {_shape(expected.shape)}"
        raise fail(name, case, message, hint)
    array = array.astype(np.float64)
    with np.errstate(invalid="ignore"):
        wrong = ~np.isclose(array, expected, rtol=rtol, atol=atol)
    if not wrong.any():
        return
    broken = wrong & ~np.isfinite(array)
    if broken.any():
        index = _index(broken)
        where = f" at {int(broken.sum())} of {array.size} entries, e.g." if array.ndim else ""
        raise fail(
            name,
            case,
            f"{what} holds NaN or inf{where} at index {index} (expected {expected[index]:.6g})"
            if array.ndim
            else f"{what} is {array[()]} (expected {expected[()]:.6g})",
            hint or "an overflow, or a division by zero?",
        )
    excess = np.where(wrong, np.abs(array - expected) - rtol * np.abs(expected), -np.inf)
    index = _index(excess == excess.max())
    pair = _expected_got(float(expected[index]), float(array[index]))
    if array.ndim == 0:
        raise fail(name, case, f"{what}: {pair}", hint)
    message = (
        f"{what}: {int(wrong.sum())} of {array.size} entries are wrong; the worst is at "
        f"index {index}: {pair}"
    )
    factor = _common_factor(array, expected)
    if factor is not None:
        message += f". Every entry is {factor:.6g} times the expected one: a constant factor?"
    raise fail(name, case, message, hint)


def assert_unchanged(name: str, case: str, what: str, before: np.ndarray, after: object) -> None:
    """Fail if an input array was modified by the candidate."""
    if not np.array_equal(before, np.asarray(after)):
        raise fail(
            name,
            case,
            f"your function changed {what}, which was passed in",
            "work on a copy (or put every value back exactly as it was)",
        )


def passed(name: str, cases: int) -> None:
    """Print the pass line."""
    print(f"✓ {name}: passed ({cases} cases)")


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
