"""The checkers of chapters 1 to 4 (companion.checks.background to .training): the contract
that every checker keeps is tested in tests/checker_contract.py, for the checkers and wrong
answers listed here; the tests below are the ones particular to these chapters.

The correct answers are the functions defined in the solution cells of ``solutions/*.md``;
each wrong answer is that code with one mistake written in, as a replacement of its exact text.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from checker_contract import CheckerContract, Suite, solution_loader
from helpers import ROOT

from companion import checks
from companion.checks._core import assert_close, require_function
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


solution = solution_loader(sorted((ROOT / "solutions").glob("*.md")), NAMESPACE)

# The checkers of chapters 5 to 7 use torch; tests/test_checks_torch.py tests them.
TESTED_ELSEWHERE = ("companion.checks.pytorch", "companion.checks.future", "companion.checks.faq")


def test_every_checker_is_tested():
    here = {
        c
        for c in checks.__all__
        if c.startswith("check_") and getattr(checks, c).__module__ not in TESTED_ELSEWHERE
    }
    assert set(CHECKED) == here
    assert {checker for checker, _, _ in WRONG} == here


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
    )


def test_messages_say_what_was_expected_and_what_came():
    wrong = solution("neuron", [("np.tanh(x @ w + b)", "np.tanh(x @ w)")])
    with pytest.raises(AssertionError) as failure:
        checks.check_neuron(wrong)
    message = str(failure.value)
    assert "case 'B=4, D=3'" in message and "expected" in message and "got" in message
    assert "\nHint: " in message


def test_a_constant_factor_is_pointed_out():
    with pytest.raises(AssertionError, match="Every entry is 0.25 times the expected one"):
        assert_close("f", "case 'x'", "the output", np.array([1.0, 2.0]), np.array([4.0, 8.0]))


def test_a_wrong_shape_is_said_plainly():
    with pytest.raises(AssertionError, match=r"the output has shape \(3, 2\), expected \(2, 3\)"):
        assert_close("f", "case 'x'", "the output", np.zeros((3, 2)), np.zeros((2, 3)))


def test_nan_is_said_plainly():
    with pytest.raises(AssertionError, match="holds NaN or inf at 1 of 2 entries"):
        assert_close("f", "case 'x'", "the output", np.array([1.0, np.nan]), np.array([1.0, 2.0]))


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
    import companion.checks._core as core

    wrong = TestCheckerContract.suite.solution("neuron", WRONG[0][2])
    monkeypatch.setattr(checks, "check_neuron", lambda f: print("✓ neuron: passed (5 cases)"))
    monkeypatch.setattr(core, "assert_close", lambda *args, **kwargs: None)
    checks.check_neuron(wrong)  # the replaced checker passes anything
    with pytest.raises(AssertionError, match="neuron: case"):
        checks.fresh().check_neuron(wrong)
    assert checks.last_failure() is not None and checks.last_failure().checker == "neuron"
    assert sys.modules["companion.checks"] is checks and companion.checks is checks
    assert sys.modules["companion.checks._core"] is core
    checks.fresh().check_neuron(TestCheckerContract.suite.solution("neuron"))
    assert capsys.readouterr().out.endswith("✓ neuron: passed (5 cases)\n")
