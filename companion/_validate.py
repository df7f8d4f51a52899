"""Input checks shared by the whole package (NumPy only, so ``scratch/`` can use them too).

Every check raises a ``TypeError`` when the argument is of the wrong type and a
``ValueError`` when it has the right type but a wrong value (a shape, a range), and its
message starts with the name of the argument, then says what was expected and what was
received, e.g. ``"y: expected shape (B, T) = (2, 5), got (2, 4)"``.
"""

from __future__ import annotations

import numpy as np

Seed = int | np.random.Generator


def shape_str(shape: tuple[int, ...]) -> str:
    """``(2, 5)`` for a shape; ``(2,)`` stays as Python writes a 1-tuple."""
    return str(tuple(int(n) for n in shape))


def shape_error(name: str, expected: str, got: tuple[int, ...]) -> ValueError:
    """The error for an array of the wrong rank or shape."""
    return ValueError(f"{name}: expected shape {expected}, got {shape_str(got)}")


def as_array(value: object, name: str) -> np.ndarray:
    """``value`` as a NumPy array of numbers (bool, object and strings are refused)."""
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected an array of integers or floats, got dtype {array.dtype}")
    return array


def check_finite(array: np.ndarray, name: str) -> None:
    """Raise if a float array holds NaN or inf."""
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = int(array.size - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"{name}: expected finite values, got {bad} NaN/inf entries "
            f"in an array of shape {shape_str(array.shape)}"
        )


def check_ids(
    ids: object,
    name: str,
    num_classes: int,
    shape: tuple[int, ...] | None = None,
    shape_names: str = "",
) -> np.ndarray:
    """Integer ids in ``[0, num_classes)``, optionally of an exact ``shape``.

    ``shape_names`` (e.g. ``"(B, T)"``) is how the expected shape is written in messages.
    """
    array = as_array(ids, name)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer ids, got dtype {array.dtype}")
    if shape is not None and array.shape != shape:
        expected = f"{shape_names} = {shape_str(shape)}" if shape_names else shape_str(shape)
        raise shape_error(name, expected, array.shape)
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(
            f"{name}: expected ids in [0, {num_classes}), "
            f"got values from {array.min()} to {array.max()}"
        )
    return array


def _got(value: object) -> str:
    """``2.5 of type float`` for a scalar or a string, the type's name for anything else."""
    if value is None or isinstance(value, (bool, int, float, str, np.generic)):
        shown = repr(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return f"{shown} of type {type(value).__name__}"
    return type(value).__name__


def _int_phrase(minimum: int | None) -> str:
    if minimum is None:
        return "an int"
    return {0: "a non-negative int", 1: "a positive int"}.get(minimum, f"an int >= {minimum}")


def check_int(value: object, name: str, *, minimum: int | None = None) -> int:
    """``value`` as a Python int, at least ``minimum`` when one is given.

    Bools are refused: ``True`` is an int to Python but never a size or a count.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected {_int_phrase(minimum)}, got {_got(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}: expected {_int_phrase(minimum)}, got {int(value)}")
    return int(value)


def check_positive_int(value: object, name: str) -> int:
    """A Python int >= 1 (bools are refused)."""
    return check_int(value, name, minimum=1)


def check_bool(value: object, name: str) -> bool:
    """``value`` if it is a bool: a string or a number is refused, not converted."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a bool (True or False), got {_got(value)}")
    return bool(value)


def check_number(value: object, name: str) -> float:
    """``value`` as a finite Python float (ints and NumPy scalars accepted, bools refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {_got(value)}")
    if not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {float(value)!r}")
    return float(value)


def check_positive_number(value: object, name: str) -> float:
    """A finite number > 0, as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a positive finite number, got {_got(value)}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name}: expected a positive finite number, got {float(value)!r}")
    return float(value)


def check_fraction(value: object, name: str) -> float:
    """A number strictly between 0 and 1 (a share of a dataset), as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number in (0, 1), got {_got(value)}")
    if not 0 < value < 1:
        raise ValueError(f"{name}: expected a number in (0, 1), got {float(value)!r}")
    return float(value)


def check_probability(value: object, name: str, *, allow_one: bool = True) -> float:
    """A number in ``[0, 1]`` (or ``[0, 1)`` when ``allow_one`` is false), as a float."""
    interval = "[0, 1]" if allow_one else "[0, 1)"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number in {interval}, got {_got(value)}")
    if not (0 <= value <= 1) or (value == 1 and not allow_one):
        raise ValueError(f"{name}: expected a number in {interval}, got {float(value)!r}")
    return float(value)


def as_generator(seed: Seed, name: str = "seed") -> np.random.Generator:
    """A ``numpy.random.Generator``: a fresh one seeded with an int >= 0, or the one given."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name}: expected an int or a numpy.random.Generator, got {_got(seed)}")
    return np.random.default_rng(check_int(seed, name, minimum=0))
