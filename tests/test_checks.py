"""The checkers of chapters 1 to 4 (companion.checks.background to .training): the contract
that every checker keeps is tested in tests/checker_contract.py, for the checkers and wrong
answers listed here; the tests below are the ones particular to these chapters.

The correct answers are the functions defined in the solution cells of ``solutions/*.md``;
each wrong answer is that code with one mistake written in, as a replacement of its exact text.
"""

from __future__ import annotations

import inspect
import itertools
import math
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable

import numpy as np
import pytest
from checker_contract import RERUN, CheckerContract, Suite, solution_loader
from helpers import ROOT

from companion import checks
from companion.checks import _core as core
from companion.checks._core import Case, require_function, type_name
from companion.scratch import softmax, softmax_cross_entropy

NAMESPACE = {
    "np": np,
    "math": math,
    "softmax": softmax,
    "softmax_cross_entropy": softmax_cross_entropy,
}

# checker -> the solution function it checks
CHECKED = {
    "check_neuron": "neuron",
    "check_two_layer_forward": "two_layer_forward",
    "check_xor_weights": "xor_weights",
    "check_pad_one_hot": "pad_one_hot",
    "check_count_rnn_parameters": "count_rnn_parameters",
    "check_count_window_parameters": "count_window_parameters",
    "check_rnn_forward": "rnn_forward",
    "check_sensitivity": "sensitivity",
    "check_cross_entropy": "cross_entropy",
    "check_step_backward": "step_backward",
    "check_bptt_summed": "bptt_summed",
    "check_grad_check": "grad_check",
    "check_rnn_loss_and_grads": "fixed_loss_and_grads",
    "check_jacobian_product_norms": "jacobian_product_norms",
    "check_clip_by_global_norm": "clip_by_global_norm",
    "check_adam_step": "adam_step",
    "check_rmsprop_momentum_step": "rmsprop_momentum_step",
    "check_xavier_uniform": "xavier_uniform",
    "check_stream_windows": "stream_windows",
    "check_temperature_probs": "temperature_probs",
}

# (checker, mistake, [(text of the solution, replaced by)])
WRONG = [
    (
        "check_neuron",
        "sigmoid instead of tanh",
        [("np.tanh(x @ w + b)", "1 / (1 + np.exp(-(x @ w + b)))")],
    ),
    ("check_neuron", "bias forgotten", [("np.tanh(x @ w + b)", "np.tanh(x @ w)")]),
    (
        "check_two_layer_forward",
        "no hidden activation",
        [('h = np.tanh(X @ params["W1"] + params["b1"])', 'h = X @ params["W1"] + params["b1"]')],
    ),
    (
        "check_two_layer_forward",
        "output bias forgotten",
        [('z = h @ params["w2"] + params["b2"]', 'z = h @ params["w2"]')],
    ),
    (
        "check_xor_weights",
        "weights too small to act as thresholds",
        [
            ("b2 = np.array([-10.0])", "b2 = np.array([-1.0])"),
            ("w2 = np.array([10.0, -10.0])", "w2 = np.array([1.0, -1.0])"),
        ],
    ),
    (
        "check_xor_weights",
        "output bias forgotten",
        [("b2 = np.array([-10.0])", "b2 = np.zeros(1)")],
    ),
    (
        "check_pad_one_hot",
        "padding at the front",
        [
            (
                "x[b, np.arange(len(seq)), seq] = 1.0",
                "x[b, T - len(seq) + np.arange(len(seq)), seq] = 1.0",
            )
        ],
    ),
    (
        "check_pad_one_hot",
        "mask of all True",
        [("mask = np.arange(T) < lengths[:, None]", "mask = np.ones((len(seqs), T), dtype=bool)")],
    ),
    (
        "check_count_rnn_parameters",
        "biases forgotten",
        [("return D * H + H * H + H + H * V + V", "return D * H + H * H + H * V")],
    ),
    ("check_count_rnn_parameters", "a float", [("return D * H", "return 1.0 * D * H")]),
    ("check_count_window_parameters", "the window ignored", [("(w * D) * H", "D * H")]),
    ("check_rnn_forward", "the state not carried", [("+ h @ W_hh +", "+ h0 @ W_hh +")]),
    (
        "check_rnn_forward",
        "off by one: h_0 stored first",
        [
            (
                "h = np.tanh(x[:, t] @ W_xh + h @ W_hh + b_h)   "
                "# the new state replaces the old one\n        hs[:, t] = h",
                "hs[:, t] = h\n        h = np.tanh(x[:, t] @ W_xh + h @ W_hh + b_h)",
            )
        ],
    ),
    ("check_sensitivity", "x nudged in place", [("nudged = x.copy()", "nudged = x")]),
    (
        "check_sensitivity",
        "norm instead of the largest change",
        [("change.max(axis=(0, 2))", "np.sqrt((change**2).sum(axis=(0, 2)))")],
    ),
    (
        "check_cross_entropy",
        "no max subtraction (overflows)",
        [("shifted = logits - logits.max(axis=1, keepdims=True)", "shifted = logits")],
    ),
    (
        "check_cross_entropy",
        "gradient of the sum, not the mean",
        [("return float(loss), dlogits / N", "return float(loss), dlogits")],
    ),
    ("check_step_backward", "tanh' forgotten", [("da = dh * (1 - h**2)", "da = dh")]),
    ("check_step_backward", "h instead of h_prev", [('"W_hh": h_prev.T @ da', '"W_hh": h.T @ da')]),
    (
        "check_step_backward",
        "transpose forgotten",
        [('"h_prev": da @ W_hh.T', '"h_prev": da @ W_hh')],
    ),
    (
        "check_bptt_summed",
        "the mean instead of the sum",
        [("dy[rows, steps, targets] -= 1", "dy[rows, steps, targets] -= 1\n    dy /= B * T")],
    ),
    (
        "check_bptt_summed",
        "the carried gradient skips tanh' (1 - h**2)",
        [("carried = da @ W_hh.T", "carried = (dy[:, t] @ W_hy.T + carried) @ W_hh.T")],
    ),
    (
        "check_bptt_summed",
        "h_t instead of h_{t-1} for W_hh",
        [('grads["W_hh"] += hs[t].T @ da', 'grads["W_hh"] += hs[t + 1].T @ da')],
    ),
    (
        "check_bptt_summed",
        "dh0 left at zero",
        [("return float(loss), grads, carried", "return float(loss), grads, np.zeros_like(h0)")],
    ),
    (
        "check_grad_check",
        "forward differences",
        [("numeric = (up - down) / (2 * eps)", "numeric = (up - f(w)) / eps")],
    ),
    (
        "check_grad_check",
        "|a - n| / |a + n| (no floor)",
        [("max(abs(analytic[i]) + abs(numeric), floor)", "abs(analytic[i] + numeric)")],
    ),
    (
        "check_grad_check",
        "w not restored",
        [("w[i] = saved                                   # exactly as it was", "pass")],
    ),
    (
        "check_grad_check",
        "w nudged by +eps, -2 eps, +eps instead of restored",
        [
            ("w[i] = saved + eps", "w[i] += eps"),
            ("w[i] = saved - eps", "w[i] -= 2 * eps"),
            ("w[i] = saved                                   # exactly as it was", "w[i] += eps"),
        ],
    ),
    ("check_rnn_loss_and_grads", "the bug left in", [("(1 - hs[t + 1] ** 2)", "(1 - hs[t] ** 2)")]),
    (
        "check_rnn_loss_and_grads",
        "no recursion",
        [("dh = dy[:, t] @ W_hy.T + delta_next @ W_hh.T", "dh = dy[:, t] @ W_hy.T")],
    ),
    (
        "check_jacobian_product_norms",
        "Frobenius norm",
        [("np.linalg.norm(product, 2)", "np.linalg.norm(product)")],
    ),
    (
        "check_jacobian_product_norms",
        "W_hh not transposed",
        [("np.diag(1 - hs[s - 1] ** 2) @ W_hh.T", "np.diag(1 - hs[s - 1] ** 2) @ W_hh")],
    ),
    (
        "check_jacobian_product_norms",
        "tanh' of the previous step",
        [("np.diag(1 - hs[s - 1] ** 2)", "np.diag(1 - hs[s - 2] ** 2)")],
    ),
    (
        "check_clip_by_global_norm",
        "each tensor clipped on its own",
        [
            (
                "return {k: g * scale for k, g in grads.items()}, norm",
                "return {k: g * min(1.0, max_norm / max(float(np.sqrt((g**2).sum())), 1e-12)) "
                "for k, g in grads.items()}, norm",
            )
        ],
    ),
    (
        "check_clip_by_global_norm",
        "clipped by value",
        [
            (
                "return {k: g * scale for k, g in grads.items()}, norm",
                "return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}, norm",
            )
        ],
    ),
    (
        "check_clip_by_global_norm",
        "the input changed in place",
        [
            (
                "return {k: g * scale for k, g in grads.items()}, norm",
                "return {k: np.multiply(g, scale, out=g) for k, g in grads.items()}, norm",
            )
        ],
    ),
    (
        "check_clip_by_global_norm",
        "division by a zero norm",
        [
            (
                "scale = 1.0 if norm <= max_norm else max_norm / norm",
                "scale = min(1.0, max_norm / norm)",
            )
        ],
    ),
    (
        "check_adam_step",
        "no bias correction",
        [
            ('m_hat = s["m"] / (1 - beta1 ** s["t"])', 'm_hat = s["m"]'),
            ('v_hat = s["v"] / (1 - beta2 ** s["t"])', 'v_hat = s["v"]'),
        ],
    ),
    (
        "check_adam_step",
        "eps inside the square root",
        [("np.sqrt(v_hat) + eps", "np.sqrt(v_hat + eps)")],
    ),
    (
        "check_adam_step",
        "one state for every parameter",
        [("state.setdefault(name,", 'state.setdefault("all",')],
    ),
    (
        "check_adam_step",
        "a new array, not an update in place",
        [
            (
                "params[name] -= lr * m_hat / (np.sqrt(v_hat) + eps)",
                "params[name] = params[name] - lr * m_hat / (np.sqrt(v_hat) + eps)",
            )
        ],
    ),
    (
        "check_rmsprop_momentum_step",
        "momentum of the raw gradient",
        [
            ('s["b"] = momentum * s["b"] + g / scale', 's["b"] = momentum * s["b"] + g'),
            ('params[name] -= lr * s["b"]', 'params[name] -= lr * s["b"] / scale'),
        ],
    ),
    (
        "check_rmsprop_momentum_step",
        "no eps",
        [('scale = np.sqrt(s["v"]) + eps', 'scale = np.sqrt(s["v"])')],
    ),
    (
        "check_rmsprop_momentum_step",
        "a new array, not an update in place",
        [('params[name] -= lr * s["b"]', 'params[name] = params[name] - lr * s["b"]')],
    ),
    ("check_rmsprop_momentum_step", "centred ignored", [("if centered:", "if False:")]),
    (
        "check_rmsprop_momentum_step",
        "centred: the mean subtracted outside the root",
        [
            (
                'scale = np.sqrt(s["v"] - s["g_mean"] ** 2) + eps',
                'scale = np.sqrt(s["v"]) - np.abs(s["g_mean"]) + eps',
            )
        ],
    ),
    (
        "check_rmsprop_momentum_step",
        "centred: the running mean updated after it is used",
        [
            (
                's["g_mean"] = alpha * s["g_mean"] + (1 - alpha) * g\n'
                '            scale = np.sqrt(s["v"] - s["g_mean"] ** 2) + eps',
                'scale = np.sqrt(s["v"] - s["g_mean"] ** 2) + eps\n'
                '            s["g_mean"] = alpha * s["g_mean"] + (1 - alpha) * g',
            )
        ],
    ),
    (
        "check_xavier_uniform",
        "LeCun's variance 1 / fan_in",
        [("math.sqrt(6.0 / (fan_in + fan_out))", "math.sqrt(3.0 / fan_in)")],
    ),
    (
        "check_xavier_uniform",
        "normal with the uniform's bound as standard deviation",
        [
            (
                "rng.uniform(-a, a, size=(fan_in, fan_out))",
                "rng.normal(0.0, a, size=(fan_in, fan_out))",
            )
        ],
    ),
    (
        "check_xavier_uniform",
        "the global random state",
        [
            (
                "rng.uniform(-a, a, size=(fan_in, fan_out))",
                "np.random.uniform(-a, a, size=(fan_in, fan_out))",
            )
        ],
    ),
    (
        "check_stream_windows",
        "consecutive chunks instead of streams",
        [
            (
                "x = ids[: batch_size * L].reshape(batch_size, L)",
                "x = ids[: batch_size * L].reshape(L, batch_size).T",
            ),
            (
                "y = ids[1 : batch_size * L + 1].reshape(batch_size, L)",
                "y = ids[1 : batch_size * L + 1].reshape(L, batch_size).T",
            ),
        ],
    ),
    (
        "check_stream_windows",
        "the short last window dropped",
        [("range(0, L, seq_len)", "range(0, L - seq_len + 1, seq_len)")],
    ),
    (
        "check_stream_windows",
        "targets not shifted",
        [("y = ids[1 : batch_size * L + 1]", "y = ids[: batch_size * L]")],
    ),
    (
        "check_temperature_probs",
        "logits times the temperature",
        [("z = logits / temperature", "z = logits * temperature")],
    ),
    (
        "check_temperature_probs",
        "no max subtraction (overflows)",
        [("z = z - z.max(axis=-1, keepdims=True)", "z = z")],
    ),
]


# (checker, mistake of WRONG) -> the whole message of its failure, line by line
MESSAGES = {
    ("check_count_rnn_parameters", "a float"): [
        "count_rnn_parameters: case D=3, H=5, V=4: expected an int, got float 69.0",
        "The inputs of this case:",
        "  D = 3",
        "  H = 5",
        "  V = 4",
        RERUN.format("count_rnn_parameters"),
    ],
    ("check_pad_one_hot", "mask of all True"): [
        (
            "pad_one_hot: case 'three lengths' (seqs=[[2, 0, 1], [1], [0, 2]], vocab_size=3): "
            "mask: 3 of 9 entries are wrong; the worst is at index (1, 1): expected 0, got 1"
        ),
        "Hint: mask[b, t] is True where sequence b has a step t, False in the padding",
        "The inputs of this case:",
        "  seqs = [[2, 0, 1], [1], [0, 2]]",
        "  vocab_size = 3",
        RERUN.format("pad_one_hot"),
    ],
    ("check_sensitivity", "x nudged in place"): [
        (
            "sensitivity: case 'identity: y_t = x_t', T=8, k=3: your function changed x, which "
            "was passed in"
        ),
        "Hint: work on a copy (or put every value back exactly as it was)",
        RERUN.format("sensitivity"),
    ],
    ("check_xor_weights", "output bias forgotten"): [
        "xor_weights: case 'input (0, 0)': the network outputs 0.500; XOR needs below 0.1",
        (
            "Hint: every output must be within 0.1 of its target: scale the weights up until tanh "
            "and the sigmoid behave like thresholds"
        ),
        "It takes no inputs.",
        RERUN.format("xor_weights"),
    ],
    ("check_step_backward", "transpose forgotten"): [
        (
            "step_backward: case 'B=3, D=4, H=5': the gradient 'h_prev': 15 of 15 entries are "
            "wrong; the worst is at index (0, 2): expected -0.49298, got 1.3397"
        ),
        (
            "Hint: h_{t-1} reaches the loss only through a_t: back through tanh (its derivative "
            "is 1 - h**2, with h the step's output), then through W_hh; mind the transpose"
        ),
        RERUN.format("step_backward"),
    ],
    ("check_rnn_forward", "the state not carried"): [
        (
            "rnn_forward: case 'B=2, T=5, D=3, H=4, h0 = 0': the hidden states: 32 of 40 entries "
            "are wrong; the worst is at index (0, 2, 2): expected 0.633912, got -0.524034"
        ),
        (
            "Hint: the first wrong time step is hs[:, 1]; the steps before it are right: is the "
            "new hidden state carried into the next step?"
        ),
        RERUN.format("rnn_forward"),
    ],
}


solution = solution_loader(sorted((ROOT / "solutions").glob("*.md")), NAMESPACE)

# The chapters whose checkers use torch: tests/test_checks_torch.py tests them, this file the rest.
TORCH_CHAPTERS = ("05-code", "06-future", "07-faq")


def checkers_of(chapters: Iterable[str]) -> set[str]:
    """The names of the checkers of ``chapters`` (keys of ``checks.CHAPTERS``)."""
    modules = {checks.CHAPTERS[chapter].__name__ for chapter in chapters}
    return {name for name, function in checks.CHECKERS.items() if function.__module__ in modules}


def test_every_checker_is_tested():
    here = checkers_of(set(checks.CHAPTERS) - set(TORCH_CHAPTERS))
    assert set(CHECKED) == here
    assert {checker for checker, _, _ in WRONG} == here


def test_each_chapter_s_notebook_calls_the_checkers_of_its_module():
    """``checks.CHAPTERS`` names every exercise notebook, and the checker cells of each call
    exactly the checkers of its module, all of which the package exports."""
    notebooks = {path.stem: path for path in (ROOT / "solutions").glob("0*.md")}
    assert set(checks.CHAPTERS) == set(notebooks)
    for chapter, path in notebooks.items():
        called = re.findall(r"^checks\.(check_\w+)\(", path.read_text(encoding="utf-8"), re.M)
        assert set(called) == checkers_of([chapter]), chapter
    assert [name for name in checks.__all__ if name.startswith("check_")] == list(checks.CHECKERS)
    assert all(getattr(checks, name) is function for name, function in checks.CHECKERS.items())


class TestCheckerContract(CheckerContract):
    suite = Suite(
        CHECKED,
        WRONG,
        solution,
        failure_start=": ",
        not_a_function=np.zeros(3),
        may_return_nothing=dict.fromkeys(
            ("check_adam_step", "check_rmsprop_momentum_step"),
            "optimiser steps update in place and return nothing",
        ),
        messages=MESSAGES,
    )


def test_messages_say_what_was_expected_and_what_came():
    wrong = solution("neuron", [("np.tanh(x @ w + b)", "np.tanh(x @ w)")])
    with pytest.raises(AssertionError) as failure:
        checks.check_neuron(wrong)
    message = str(failure.value)
    assert "case 'B=4, D=3'" in message and "expected" in message and "got" in message
    assert "\nHint: " in message


# ---------------------------------------------------------------- the case object


@pytest.fixture(autouse=True)
def no_call_yet(monkeypatch):
    """Every test of this file starts as a checker does: no call of the function recorded."""
    monkeypatch.setattr(core, "CALLS", core.Calls())


def failure_of(check: Callable[[], object]) -> str:
    """The message of the AssertionError that ``check()`` raises."""
    with pytest.raises(AssertionError) as failure:
        check()
    return str(failure.value)


def test_a_case_names_the_checker_and_the_case_once():
    case = Case("f", "case 'x'")
    assert str(case.fail("the output is wrong")) == "f: case 'x': the output is wrong"
    assert str(case.fail("wrong", "look again")) == "f: case 'x': wrong\nHint: look again"
    assert checks.last_failure() is None  # no function of the student's was called


def test_a_case_keeps_the_inputs_of_its_call_for_a_rerun():
    def double(x):
        return 2 * x

    require_function(double, "double", ("x",))
    case = Case("double", "case 'two entries'")
    np.testing.assert_array_equal(case.run(double, np.array([1.0, 2.0])), [2.0, 4.0])
    assert str(case.fail("the output is wrong")).split("\n") == [
        "double: case 'two entries': the output is wrong",
        "The inputs of this case:",
        "  x = array([1., 2.], dtype=float64)",
        RERUN.format("double"),
    ]
    failure = checks.last_failure()
    assert (failure.checker, failure.case) == ("double", "case 'two entries'")
    np.testing.assert_array_equal(failure.rerun(double), [2.0, 4.0])
    # a failure of another checker's case does not claim this call's inputs
    assert str(Case("g", "case 'y'").fail("wrong")) == "g: case 'y': wrong"
    assert checks.last_failure() is None


def test_a_case_reports_an_error_of_the_candidate_and_lets_an_unfinished_one_through():
    def broken(x):
        raise IndexError("index 3 is out of bounds")

    def stub(x):
        raise NotImplementedError

    case = Case("f", "case 'x'")
    with pytest.raises(AssertionError) as failure:
        case.run(broken, 1)
    assert str(failure.value).startswith(
        "f: case 'x': your function raised IndexError: index 3 is out of bounds\n"
    )
    assert isinstance(failure.value.__cause__, IndexError)
    with pytest.raises(NotImplementedError):
        case.run(stub, 1)


@pytest.mark.parametrize(
    "got, message",
    [
        (None, "the output is None\nHint: did your function forget to `return` it?"),
        ("abc", "the output should be numbers, got str 'abc'"),
        ({"a": 1}, "the output should be numbers, got dict {'a': 1}"),
    ],
)
def test_a_case_refuses_what_is_not_numbers(got, message):
    case = Case("f", "case 'x'")
    assert failure_of(lambda: case.as_numbers(got, "the output")) == f"f: case 'x': {message}"
    np.testing.assert_array_equal(case.as_numbers([1, 2], "the output"), [1, 2])


def test_a_case_unpacks_a_tuple_and_a_dict_or_says_what_came():
    case = Case("f", "case 'x'")
    assert case.as_tuple([1, 2], 2, "a pair (a, b)") == (1, 2)
    assert failure_of(lambda: case.as_tuple([1, 2, 3], 2, "a pair (a, b)")) == (
        "f: case 'x': expected a pair (a, b), got list of length 3"
    )
    assert failure_of(lambda: case.as_tuple(7, 2, "a pair (a, b)", shown=type_name)) == (
        "f: case 'x': expected a pair (a, b), got int"
    )
    assert case.as_dict({"a": 1}, ["a"], "grads") == {"a": 1}
    assert failure_of(lambda: case.as_dict([1], ["a"], "grads")) == (
        "f: case 'x': grads should be a dict, got list [1]"
    )
    assert failure_of(lambda: case.as_dict({"b": 1}, ["a"], "grads")) == (
        "f: case 'x': grads should have the keys ['a'], got ['b']"
    )


def test_a_case_compares_within_tolerance_and_names_the_worst_entry():
    case = Case("f", "case 'x'")
    case.close("the loss", 1.0 + 1e-9, 1.0)
    case.close("the count", 3, 3, rtol=0, atol=0)
    assert failure_of(lambda: case.close("the loss", 1.5, 1.0, hint="the mean")) == (
        "f: case 'x': the loss: expected 1, got 1.5\nHint: the mean"
    )
    assert failure_of(lambda: case.close("h", np.array([1.0, 2.5, 3.0]), [1.0, 2.0, 3.0])) == (
        "f: case 'x': h: 1 of 3 entries are wrong; the worst is at index (1,): expected 2, got 2.5"
    )


def test_a_constant_factor_is_pointed_out():
    with pytest.raises(AssertionError, match="Every entry is 0.25 times the expected one"):
        Case("f", "case 'x'").close("the output", np.array([1.0, 2.0]), np.array([4.0, 8.0]))


def test_a_wrong_shape_is_said_plainly():
    with pytest.raises(AssertionError, match=r"the output has shape \(3, 2\), expected \(2, 3\)"):
        Case("f", "case 'x'").close("the output", np.zeros((3, 2)), np.zeros((2, 3)))


def test_nan_is_said_plainly():
    with pytest.raises(AssertionError, match="holds NaN or inf at 1 of 2 entries"):
        Case("f", "case 'x'").close("the output", np.array([1.0, np.nan]), np.array([1.0, 2.0]))


def test_a_case_compares_every_key_with_its_own_hint():
    case = Case("f", "case 'x'")
    want = {"a": 1.0, "b": 2.0}
    case.all_close("grads[{key!r}]", {"a": 1.0, "b": 2.0, "c": 9.0}, want)  # c is not checked
    assert failure_of(
        lambda: case.all_close(
            "grads[{key!r}]", {"a": 1.0, "b": 3.0}, want, hint={"a": "A", "b": "B"}
        )
    ) == ("f: case 'x': grads['b']: expected 2, got 3\nHint: B")


def test_a_case_tells_when_an_input_was_changed():
    case = Case("f", "case 'x'")
    case.unchanged("x", np.zeros(2), np.zeros(2))
    assert failure_of(lambda: case.unchanged("x", np.zeros(2), np.ones(2))) == (
        "f: case 'x': your function changed x, which was passed in\n"
        "Hint: work on a copy (or put every value back exactly as it was)"
    )


def test_the_checker_in_the_docstring_of_case_works(capsys):
    """The example that Case's docstring gives, run: it passes a right answer and fails wrong
    ones, as a checker of the package does."""
    after = inspect.cleandoc(Case.__doc__).split("::\n", 1)[1].splitlines()
    block = itertools.takewhile(lambda line: not line or line.startswith("    "), after)
    code = textwrap.dedent("\n".join(block))
    scope = {"np": np, "Callable": Callable} | vars(core)
    exec(compile(code, "<the example of Case>", "exec"), scope)
    check_min_max = scope["check_min_max"]

    def min_max(x):
        return x.min(), x.max()

    check_min_max(min_max)
    assert capsys.readouterr().out == "✓ min_max: passed (2 cases)\n"
    for wrong, start in [
        (
            lambda x: (x.max(), x.min()),
            "min_max: case 'N=5' (x.shape=(5,)): the smallest: expected",
        ),
        (lambda x: (list(x), x.max()), "min_max: case 'N=5' (x.shape=(5,)): expected one number"),
        (lambda x: x.min(), "min_max: case 'N=5' (x.shape=(5,)): expected a pair"),
    ]:
        assert failure_of(lambda wrong=wrong: check_min_max(wrong)).startswith(start)
    assert checks.last_failure().checker == "min_max"


def test_a_builtin_without_signature_is_accepted():
    require_function(print, "f", ("x",))  # calling it will tell whether it fits


def test_importing_the_checks_does_not_import_torch():
    code = "import sys, companion.checks; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_a_fresh_copy_grades_after_an_answer_replaced_the_checkers(monkeypatch, capsys):
    """A grading cell calls ``checks.fresh().check_<name>``: an answer cell that replaced the
    checker, or a helper behind it, changes nothing there, and the session keeps its module
    (whose last_failure() reports the copy's failures)."""
    import companion

    wrong = TestCheckerContract.suite.solution("neuron", WRONG[0][2])
    monkeypatch.setattr(checks, "check_neuron", lambda f: print("✓ neuron: passed (5 cases)"))
    monkeypatch.setattr(core.Case, "close", lambda *args, **kwargs: None)
    checks.check_neuron(wrong)  # the replaced checker passes anything
    with pytest.raises(AssertionError, match="neuron: case"):
        checks.fresh().check_neuron(wrong)
    assert checks.last_failure() is not None and checks.last_failure().checker == "neuron"
    assert sys.modules["companion.checks"] is checks and companion.checks is checks
    assert sys.modules["companion.checks._core"] is core
    checks.fresh().check_neuron(TestCheckerContract.suite.solution("neuron"))
    assert capsys.readouterr().out.endswith("✓ neuron: passed (5 cases)\n")
