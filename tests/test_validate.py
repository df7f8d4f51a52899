"""The shared argument checks: TypeError for a wrong type, ValueError for a wrong value."""

import numpy as np
import pytest

from companion._validate import (
    check_bool,
    check_fraction,
    check_int,
    check_number,
    check_positive_int,
    check_positive_number,
    check_probability,
)


@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        (lambda v: check_int(v, "n"), np.int64(3), 3),
        (lambda v: check_int(v, "n", minimum=0), 0, 0),
        (lambda v: check_positive_int(v, "n"), 7, 7),
        (lambda v: check_bool(v, "flag"), np.bool_(True), True),
        (lambda v: check_number(v, "x"), -2, -2.0),
        (lambda v: check_positive_number(v, "x"), np.float32(0.5), 0.5),
        (lambda v: check_fraction(v, "share"), 0.25, 0.25),
        (lambda v: check_probability(v, "p"), 1, 1.0),
        (lambda v: check_probability(v, "p", allow_one=False), 0.0, 0.0),
    ],
)
def test_good_values_come_back_as_python_values(check, value, expected):
    result = check(value)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (
            lambda v: check_positive_int(v, "hidden_size"),
            2.5,
            "hidden_size: expected a positive int, got 2.5 of type float",
        ),
        (
            lambda v: check_positive_int(v, "hidden_size"),
            True,
            "hidden_size: expected a positive int, got True of type bool",
        ),
        (lambda v: check_int(v, "n"), "3", "n: expected an int, got '3' of type str"),
        (lambda v: check_int(v, "n", minimum=3), [3], "n: expected an int >= 3, got list"),
        (
            lambda v: check_bool(v, "bias"),
            "False",
            "bias: expected a bool .True or False., got 'False' of type str",
        ),
        (
            lambda v: check_bool(v, "bias"),
            0,
            "bias: expected a bool .True or False., got 0 of type int",
        ),
        (lambda v: check_number(v, "x"), None, "x: expected a number, got None of type NoneType"),
        (
            lambda v: check_positive_number(v, "clip"),
            "1",
            "clip: expected a positive finite number, got '1' of type str",
        ),
        (
            lambda v: check_fraction(v, "val_fraction"),
            False,
            r"val_fraction: expected a number in \(0, 1\), got False",
        ),
        (
            lambda v: check_probability(v, "dropout"),
            np.zeros(2),
            r"dropout: expected a number in \[0, 1\], got ndarray",
        ),
    ],
)
def test_a_wrong_type_is_a_type_error_naming_the_argument(check, value, message):
    with pytest.raises(TypeError, match=message):
        check(value)


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (
            lambda v: check_positive_int(v, "hidden_size"),
            0,
            "hidden_size: expected a positive int, got 0",
        ),
        (
            lambda v: check_int(v, "warmup", minimum=0),
            -1,
            "warmup: expected a non-negative int, got -1",
        ),
        (
            lambda v: check_int(v, "seq_len", minimum=2),
            np.int32(1),
            "seq_len: expected an int >= 2, got 1",
        ),
        (lambda v: check_number(v, "x"), float("nan"), "x: expected a finite number, got nan"),
        (
            lambda v: check_positive_number(v, "clip"),
            0.0,
            "clip: expected a positive finite number, got 0.0",
        ),
        (
            lambda v: check_positive_number(v, "clip"),
            float("inf"),
            "clip: expected a positive finite number, got inf",
        ),
        (
            lambda v: check_fraction(v, "test_fraction"),
            1.0,
            r"test_fraction: expected a number in \(0, 1\), got 1.0",
        ),
        (
            lambda v: check_probability(v, "rate"),
            1.5,
            r"rate: expected a number in \[0, 1\], got 1.5",
        ),
        (
            lambda v: check_probability(v, "dropout", allow_one=False),
            1,
            r"dropout: expected a number in \[0, 1\), got 1",
        ),
    ],
)
def test_a_wrong_value_is_a_value_error_naming_the_argument(check, value, message):
    with pytest.raises(ValueError, match=message):
        check(value)


def test_a_long_value_is_cut_short_in_the_message():
    with pytest.raises(TypeError, match=r"got 'xxxxx.*\.\.\. of type str"):
        check_int("x" * 100, "n")
