"""What every checker shares: calling the candidate, comparing its results, the messages.

Every checker follows one pattern. It refuses a candidate of the wrong kind with a plain
``TypeError``, calls it on inputs of its own, compares each result with a reference
computed independently, and then either prints one line, ``✓ <name>: passed (N cases)``,
or raises ``AssertionError`` naming the case that failed and what was expected and what
came back. A ``NotImplementedError`` from an exercise not yet done passes through as it is.

The helpers for torch tensors at the end import torch only when they run, so that importing
:mod:`companion.checks` stays NumPy-only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
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


def as_tuple(
    name: str,
    case: str,
    got: object,
    size: int,
    what: str,
    *,
    shown: Callable[[object], str] = _type_and_length,
) -> tuple:
    """``got`` as a tuple of ``size`` items, or a failure: ``expected <what>, got <shown(got)>``.

    By default ``shown`` gives the type and the length of a tuple or list, or the type and the
    start of anything else.
    """
    if not isinstance(got, (tuple, list)) or len(got) != size:
        raise fail(name, case, f"expected {what}, got {shown(got)}")
    return tuple(got)


def as_dict(
    name: str,
    case: str,
    got: object,
    keys: list[str],
    what: str,
    *,
    shown: Callable[[object], str] = type_and_start,
) -> dict:
    """``got`` if it is a dict with exactly ``keys``, or a failure naming the difference."""
    if not isinstance(got, dict):
        raise fail(name, case, f"{what} should be a dict, got {shown(got)}")
    if set(got) != set(keys):
        raise fail(name, case, f"{what} should have the keys {sorted(keys)}, got {sorted(got)}")
    return got


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


def assert_all_close(
    name: str,
    case: str,
    what: str,
    got: Mapping[str, object],
    expected: Mapping[str, object],
    *,
    rtol: float = 1e-7,
    atol: float = 1e-10,
    hint: str | Mapping[str, str] = "",
) -> None:
    """:func:`assert_close` for every key of ``expected``, in its order: ``got[key]`` against
    ``expected[key]``, named ``what.format(key=key)`` (``"grads[{key!r}]"``), with ``hint`` for
    every key or ``hint[key]``."""
    for key, want in expected.items():
        assert_close(
            name,
            case,
            what.format(key=key),
            got[key],
            want,
            rtol=rtol,
            atol=atol,
            hint=hint if isinstance(hint, str) else hint[key],
        )


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


# ---------------------------------------------------------------- torch tensors (chapters 5-7)


def torch_module() -> Any:
    """``torch``, imported on first use."""
    import torch

    return torch


def tensor_argument(value: np.ndarray, dtype: str = "float64") -> Any:
    """A fresh torch tensor holding ``value``."""
    torch = torch_module()
    return torch.tensor(value, dtype=getattr(torch, dtype))


def numpy_copies(tensors: dict[str, Any]) -> dict[str, np.ndarray]:
    """Snapshots of input tensors, to tell afterwards whether the candidate changed them."""
    return {key: value.detach().cpu().numpy().copy() for key, value in tensors.items()}


def assert_inputs_unchanged(name: str, case: str, before: dict, tensors: dict[str, Any]) -> None:
    """Fail if the candidate modified any of the input tensors in place."""
    for key, value in before.items():
        assert_unchanged(name, case, key, value, tensors[key].detach().cpu().numpy())


# ---------------------------------------------------------------- private


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
