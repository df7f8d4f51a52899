"""Checkers for the exercise notebooks: ``checks.check_<name>(your_function)``.

Each checker calls your function on test inputs of its own, edge cases included (a batch of
one, one time step, one hidden unit), and compares the results with a reference computed
independently. It prints ``✓ <name>: passed (N cases)``, or raises ``AssertionError`` that
names the failing input and says what was expected and what came back, with a hint. Pass
something that is not a function of the expected arguments and you get a ``TypeError``
that says so. Importing this package does not import torch: the checkers that compare with
PyTorch's autograd import it when they run.
"""

from companion.checks.background import check_neuron, check_two_layer_forward, check_xor_weights
from companion.checks.concepts import (
    check_count_rnn_parameters,
    check_count_window_parameters,
    check_pad_one_hot,
    check_rnn_forward,
    check_sensitivity,
)
from companion.checks.mathematics import (
    check_bptt_summed,
    check_cross_entropy,
    check_grad_check,
    check_jacobian_product_norms,
    check_rnn_loss_and_grads,
    check_step_backward,
)
from companion.checks.training import (
    check_adam_step,
    check_clip_by_global_norm,
    check_rmsprop_momentum_step,
    check_stream_windows,
    check_temperature_probs,
    check_xavier_uniform,
)

__all__ = [
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
]
