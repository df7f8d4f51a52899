"""Input checks shared by the from-scratch modules.

Every check raises a ``ValueError`` or ``TypeError`` whose message starts with the name of
the argument, then says what was expected and what was received, e.g.
``"y: expected shape (B, T) = (2, 5), got (2, 4)"``.
"""

from __future__ import annotations

import numpy as np


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


def check_positive_int(value: object, name: str) -> int:
    """A Python int >= 1 (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected a positive int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name}: expected a positive int, got {value}")
    return int(value)
