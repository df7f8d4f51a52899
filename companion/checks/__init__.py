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
"""

import importlib
import sys
from types import ModuleType

from companion.checks._core import last_failure
from companion.checks.background import check_neuron, check_two_layer_forward, check_xor_weights
from companion.checks.concepts import (
    check_count_rnn_parameters,
    check_count_window_parameters,
    check_pad_one_hot,
    check_rnn_forward,
    check_sensitivity,
)
from companion.checks.faq import (
    check_delayed_targets,
    check_leaks_future,
    check_masked_mean,
    check_missing_value_features,
    check_pack_sequences,
    check_time_gaps,
)
from companion.checks.future import (
    check_adding_problem,
    check_causal_attention,
    check_conv_output_lengths,
    check_copy_task,
    check_data_parallel_grads,
    check_linear_scan,
    check_peephole_lstm_cell,
)
from companion.checks.mathematics import (
    check_bptt_summed,
    check_cross_entropy,
    check_grad_check,
    check_jacobian_product_norms,
    check_rnn_loss_and_grads,
    check_step_backward,
)
from companion.checks.pytorch import (
    check_additive_attention,
    check_beam_search,
    check_bidirectional_gru,
    check_bits_per_character,
    check_gru_cell,
    check_gru_cell_backward,
    check_per_class_recall,
    check_perplexity,
    check_recursive_forecast,
    check_stacked_gru,
)
from companion.checks.training import (
    check_adam_step,
    check_clip_by_global_norm,
    check_rmsprop_momentum_step,
    check_stream_windows,
    check_temperature_probs,
    check_xavier_uniform,
)


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
            parent.checks = attribute


__all__ = [
    "fresh",
    "last_failure",
    "check_neuron",
    "check_two_layer_forward",
    "check_xor_weights",
    "check_pad_one_hot",
    "check_count_rnn_parameters",
    "check_count_window_parameters",
    "check_rnn_forward",
    "check_sensitivity",
    "check_cross_entropy",
    "check_step_backward",
    "check_bptt_summed",
    "check_grad_check",
    "check_rnn_loss_and_grads",
    "check_jacobian_product_norms",
    "check_clip_by_global_norm",
    "check_adam_step",
    "check_rmsprop_momentum_step",
    "check_xavier_uniform",
    "check_stream_windows",
    "check_temperature_probs",
    "check_gru_cell",
    "check_gru_cell_backward",
    "check_beam_search",
    "check_per_class_recall",
    "check_recursive_forecast",
    "check_additive_attention",
    "check_perplexity",
    "check_stacked_gru",
    "check_bits_per_character",
    "check_bidirectional_gru",
    "check_adding_problem",
    "check_copy_task",
    "check_peephole_lstm_cell",
    "check_conv_output_lengths",
    "check_causal_attention",
    "check_linear_scan",
    "check_data_parallel_grads",
    "check_masked_mean",
    "check_pack_sequences",
    "check_missing_value_features",
    "check_time_gaps",
    "check_leaks_future",
    "check_delayed_targets",
]
