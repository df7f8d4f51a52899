"""companion.timing: medians of calls timed in turns."""

from __future__ import annotations

import time

import pytest

from companion.timing import median_ms, median_ms_in_turns


def test_steps_are_timed_in_turns_after_their_warm_up():
    calls = []
    steps = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    result = median_ms_in_turns(steps, repeats=3, warmup=2)
    assert calls == ["a", "a", "b", "b"] + ["a", "b"] * 3
    assert set(result) == {"a", "b"} and all(ms >= 0 for ms in result.values())


def test_a_slower_step_takes_longer():
    result = median_ms_in_turns({"fast": lambda: None, "slow": lambda: time.sleep(0.02)})
    assert result["slow"] >= 19 > result["fast"]
    assert 19 <= median_ms(lambda: time.sleep(0.02)) < 1000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": {}}, "steps: expected at least one step"),
        ({"steps": {"a": print}, "repeats": 0}, "repeats: expected a positive int, got 0"),
        ({"steps": {"a": print}, "warmup": -1}, "warmup: expected a non-negative int, got -1"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        median_ms_in_turns(**kwargs)


def test_an_argument_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="repeats: expected a positive int, got 2.0 of type float"):
        median_ms_in_turns({"a": print}, repeats=2.0)
