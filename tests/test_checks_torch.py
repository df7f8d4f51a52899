"""The checkers of chapters 5 to 7 (companion.checks.pytorch, .future and .faq): the contract
that every checker keeps is tested in tests/checker_contract.py, for the checkers and wrong
answers listed here; the tests below are the ones particular to these chapters, and to the
references the checkers compare with.

As in test_checks.py, the correct answers are the functions defined in the solution cells of
``solutions/05-code.md``, ``06-future.md`` and ``07-faq.md``, and each wrong answer is that
code with one mistake written in, as a replacement of its exact text.
"""

from __future__ import annotations

import copy
import math
import re
import warnings
from collections.abc import Callable

import numpy as np
import pytest
import sklearn.metrics
import torch
import torch.nn.functional as F
from checker_contract import RERUN, CheckerContract, Suite, solution_loader
from helpers import ROOT
from test_checks import TORCH_CHAPTERS, checkers_of

from companion import checks
from companion.checks import faq, future, pytorch
from companion.checks._core import Case, numpy_copies
from companion.data import anomalies, docstrings, panel, resample

NAMESPACE = {"np": np, "math": math, "torch": torch, "F": F, "copy": copy}

# checker -> the solution function it checks
CHECKED = {
    "check_gru_cell": "gru_cell",
    "check_gru_cell_backward": "gru_cell_backward",
    "check_beam_search": "beam_search",
    "check_per_class_recall": "per_class_recall",
    "check_recursive_forecast": "recursive_forecast",
    "check_additive_attention": "additive_attention",
    "check_perplexity": "perplexity",
    "check_stacked_gru": "stacked_gru",
    "check_bits_per_character": "bits_per_character",
    "check_bidirectional_gru": "bidirectional_gru",
    "check_adding_problem": "adding_problem",
    "check_copy_task": "copy_task",
    "check_peephole_lstm_cell": "peephole_lstm_cell",
    "check_conv_output_lengths": "conv_output_lengths",
    "check_causal_attention": "causal_attention",
    "check_linear_scan": "linear_scan",
    "check_data_parallel_grads": "data_parallel_grads",
    "check_masked_mean": "masked_mean",
    "check_pack_sequences": "pack_sequences",
    "check_missing_value_features": "missing_value_features",
    "check_time_gaps": "time_gaps",
    "check_leaks_future": "leaks_future",
    "check_delayed_targets": "delayed_targets",
    "check_threshold_from_normal": "threshold_from_normal",
    "check_block_mean": "block_mean",
    "check_standardise_per_series": "standardise_per_series",
    "check_macro_f1": "macro_f1",
    "check_rouge1_f1": "rouge1_f1",
}

# The GRU step's gradients by autograd: right, and what exercise 2 rules out.
AUTOGRAD_BACKWARD = (
    "    with torch.enable_grad():\n"
    '        leaves = {"x": x, "h": h} | params\n'
    "        leaves = {k: v.detach().requires_grad_() for k, v in leaves.items()}\n"
    '        gi = leaves["x"] @ leaves["weight_ih"].T + leaves["bias_ih"]\n'
    '        gh = leaves["h"] @ leaves["weight_hh"].T + leaves["bias_hh"]\n'
    "        i_r, i_z, i_n = gi.chunk(3, dim=1)\n"
    "        h_r, h_z, g_n = gh.chunk(3, dim=1)\n"
    "        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)\n"
    "        n = torch.tanh(i_n + r * g_n)\n"
    '        h_new = (1 - z) * n + z * leaves["h"]\n'
    "{differentiate}"
    "    return dict(zip(leaves, grads, strict=True))\n"
)


def by_autograd(differentiate: str) -> list[tuple[str, str]]:
    """The replacement that makes gru_cell_backward differentiate with autograd."""
    body = AUTOGRAD_BACKWARD.replace("{differentiate}", differentiate)
    return [(FIRST_LINE, body + FIRST_LINE)]


BY_GRAD = "        grads = torch.autograd.grad((h_new * dh_new).sum(), list(leaves.values()))\n"
BY_BACKWARD = (
    "        (h_new * dh_new).sum().backward()\n"
    "        grads = [leaf.grad for leaf in leaves.values()]\n"
)
FIRST_LINE = '    W_ih, W_hh = params["weight_ih"], params["weight_hh"]\n'

LOOP = (
    "    h, out = torch.zeros_like(b[:, 0]), []\n"
    "    for t in range(b.shape[1]):\n"
    "        h = a[:, t] * h + b[:, t]\n"
    "        out.append(h)\n"
    "    return torch.stack(out, dim=1)"
)

# (checker, mistake, [(text of the solution, replaced by)])
WRONG = [
    # ---------------------------------------------------------------- chapter 5
    (
        "check_gru_cell",
        "the reset gate before the product (Cho et al.'s GRU)",
        [
            (
                "n = torch.tanh(i_n + r * h_n)",
                'H = h.shape[1]; n = torch.tanh(i_n + (r * h) @ params["weight_hh"][2 * H :].T '
                '+ params["bias_hh"][2 * H :])',
            )
        ],
    ),
    (
        "check_gru_cell",
        "z and 1 - z swapped",
        [("return (1 - z) * n + z * h", "return z * n + (1 - z) * h")],
    ),
    (
        "check_gru_cell",
        "the gates in the order z, r",
        [
            ("i_r, i_z, i_n = gi.chunk(3, dim=1)", "i_z, i_r, i_n = gi.chunk(3, dim=1)"),
            ("h_r, h_z, h_n = gh.chunk(3, dim=1)", "h_z, h_r, h_n = gh.chunk(3, dim=1)"),
        ],
    ),
    (
        "check_gru_cell_backward",
        "the factor r forgotten on the hidden side",
        [("dg_n = da_n * r", "dg_n = da_n")],
    ),
    (
        "check_gru_cell_backward",
        "n - h instead of h - n",
        [("dz = dh_new * (h - n)", "dz = dh_new * (n - h)")],
    ),
    (
        "check_gru_cell_backward",
        "the direct path to h forgotten",
        [('"h": dh_new * z + d_gh @ W_hh,', '"h": d_gh @ W_hh,')],
    ),
    (
        "check_gru_cell_backward",
        "torch.autograd.grad",
        by_autograd(BY_GRAD),
    ),
    (
        "check_gru_cell_backward",
        "backward() and .grad",
        by_autograd(BY_BACKWARD),
    ),
    (
        "check_beam_search",
        "finished hypotheses dropped",
        [("pool.append((tokens, score, True))", "pass")],
    ),
    ("check_beam_search", "finished hypotheses extended", [("if done:", "if False:")]),
    ("check_beam_search", "the score of the last token only", [("score + lp,", "lp,")]),
    (
        "check_beam_search",
        "ranked by the score per token",
        [
            (
                "pool.sort(key=lambda beam: beam[1], reverse=True)",
                "pool.sort(key=lambda beam: beam[1] / len(beam[0]), reverse=True)",
            )
        ],
    ),
    (
        "check_per_class_recall",
        "precision instead of recall",
        [
            ("mine = labels == k", "mine = predicted == k"),
            ("(predicted[mine] == k)", "(labels[mine] == k)"),
        ],
    ),
    ("check_per_class_recall", "0 for an absent class", [('float("nan")', "0.0")]),
    (
        "check_recursive_forecast",
        "the window grows",
        [("torch.cat([window[:, 1:], step", "torch.cat([window, step")],
    ),
    (
        "check_recursive_forecast",
        "the forecast put at the front",
        [
            (
                "window = torch.cat([window[:, 1:], step[:, :, None].to(window.dtype)], dim=1)",
                "window = torch.cat([step[:, :, None].to(window.dtype), window[:, :-1]], dim=1)",
            )
        ],
    ),
    (
        "check_additive_attention",
        "no mask",
        [('.masked_fill(~mask, float("-inf"))', "")],
    ),
    (
        "check_additive_attention",
        "padding zeroed after the softmax, not renormalised",
        [
            (
                "weights = torch.softmax(scores, dim=1)",
                'weights = torch.softmax(energy @ params["v"], dim=1) * mask',
            )
        ],
    ),
    (
        "check_additive_attention",
        "the scores of padding set to 0",
        [('.masked_fill(~mask, float("-inf"))', ".masked_fill(~mask, 0.0)")],
    ),
    (
        "check_perplexity",
        "the padding counted",
        [("bits = nats[mask].mean() / math.log(2)", "bits = nats.mean() / math.log(2)")],
    ),
    (
        "check_perplexity",
        "nats reported as bits",
        [("bits = nats[mask].mean() / math.log(2)", "bits = nats[mask].mean()")],
    ),
    (
        "check_perplexity",
        "the mean of the rows' means",
        [
            (
                "bits = nats[mask].mean() / math.log(2)",
                "bits = ((nats * mask).sum(1) / mask.sum(1)).mean() / math.log(2)",
            )
        ],
    ),
    (
        "check_perplexity",
        "e ** bits",
        [("return bits, 2 ** bits", "return bits, torch.exp(bits)")],
    ),
    (
        "check_perplexity",
        "the log of the softmax (underflow)",
        [
            (
                "log_probs = torch.log_softmax(logits, dim=-1)",
                "log_probs = torch.log(torch.softmax(logits, dim=-1))",
            )
        ],
    ),
    (
        "check_stacked_gru",
        "dropout on the recurrent state",
        [
            ("            x = x * masks[k - 1]", "            pass"),
            (
                "        x, h_last = layer(x)",
                "        h_last, steps = torch.zeros(1, len(x), layer.hidden_size, "
                "dtype=x.dtype), []\n"
                "        for t in range(x.shape[1]):\n"
                "            if k > 0 and masks is not None:\n"
                "                h_last = h_last * masks[k - 1][None, :, t]\n"
                "            step, h_last = layer(x[:, t : t + 1], h_last)\n"
                "            steps.append(step)\n"
                "        x = torch.cat(steps, dim=1)",
            ),
        ],
    ),
    (
        "check_stacked_gru",
        "each mask after its layer: the top layer's output masked",
        [
            (
                "        if k > 0 and masks is not None:\n            x = x * masks[k - 1]",
                "        pass",
            ),
            (
                "        finals.append(h_last)",
                "        finals.append(h_last)\n"
                "        if k > 0 and masks is not None:\n"
                "            x = x * masks[k - 1]",
            ),
        ],
    ),
    (
        "check_stacked_gru",
        "h_n of the top layer only",
        [("return x, torch.cat(finals)", "return x, h_last")],
    ),
    (
        "check_stacked_gru",
        "h_n with the top layer first",
        [("return x, torch.cat(finals)", "return x, torch.cat(finals[::-1])")],
    ),
    (
        "check_bits_per_character",
        "bits per token",
        [
            (
                "return total / sum(len(token) for token in tokens)",
                "return total / len(tokens)",
            )
        ],
    ),
    (
        "check_bits_per_character",
        "<unk> free",
        [("total = token_bits.sum() + spelt", "total = token_bits.sum()")],
    ),
    (
        "check_bits_per_character",
        "the spelling instead of the bits of <unk>",
        [("total = token_bits.sum() + spelt", "total = token_bits[~unknown].sum() + spelt")],
    ),
    (
        "check_bits_per_character",
        "every token spelt out",
        [("for token, u in zip(tokens, unknown.tolist()) if u)", "for token in tokens)")],
    ),
    (
        "check_bits_per_character",
        "the spaces not counted",
        [("sum(len(token) for token in tokens)", "sum(len(token.strip()) for token in tokens)")],
    ),
    (
        "check_bidirectional_gru",
        "the whole padded batch flipped",
        [
            (
                "index = torch.where(real, lengths[:, None] - 1 - t, t)",
                "index = (x.shape[1] - 1 - t).expand(len(x), -1)",
            )
        ],
    ),
    (
        "check_bidirectional_gru",
        "the backward outputs not put back in order",
        [("torch.cat([ahead, behind[rows, index]], dim=-1)", "torch.cat([ahead, behind], dim=-1)")],
    ),
    (
        "check_bidirectional_gru",
        "the backward half first",
        [
            (
                "torch.cat([ahead, behind[rows, index]], dim=-1)",
                "torch.cat([behind[rows, index], ahead], dim=-1)",
            )
        ],
    ),
    (
        "check_bidirectional_gru",
        "the padding not zeroed",
        [
            (
                "return torch.where(real[..., None], both, torch.zeros_like(both))",
                "return both",
            )
        ],
    ),
    # ---------------------------------------------------------------- chapter 6
    (
        "check_adding_problem",
        "both markers anywhere",
        [
            ("torch.randint(0, half, (batch_size,)", "torch.randint(0, T, (batch_size,)"),
            ("torch.randint(half, T, (batch_size,)", "torch.randint(0, T, (batch_size,)"),
        ],
    ),
    (
        "check_adding_problem",
        "values from torch's global generator",
        [
            (
                "values = torch.rand(batch_size, T, generator=generator)",
                "values = torch.rand(batch_size, T)",
            )
        ],
    ),
    (
        "check_adding_problem",
        "normal values",
        [("values = torch.rand(", "values = torch.randn(")],
    ),
    (
        "check_copy_task",
        "symbols 1 to num_symbols",
        [("torch.randint(0, num_symbols,", "torch.randint(1, num_symbols + 1,")],
    ),
    (
        "check_copy_task",
        "the blank 0",
        [
            (
                "blank, delimiter = num_symbols, num_symbols + 1",
                "blank, delimiter = 0, num_symbols + 1",
            )
        ],
    ),
    (
        "check_copy_task",
        "randint's high end one short",
        [("torch.randint(0, num_symbols,", "torch.randint(0, num_symbols - 1,")],
    ),
    (
        "check_copy_task",
        "the delimiter one step late",
        [("x[:, length + delay - 1] =", "x[:, length + delay] =")],
    ),
    (
        "check_peephole_lstm_cell",
        "the output gate looks at the old cell state",
        [('params["w_co"] * c_new', 'params["w_co"] * c')],
    ),
    (
        "check_peephole_lstm_cell",
        "no peephole on the forget gate",
        [('a_f + params["w_cf"] * c', "a_f")],
    ),
    (
        "check_conv_output_lengths",
        "dilation ignored",
        [("span = dilation * (kernel_size - 1) + 1", "span = kernel_size")],
    ),
    (
        "check_conv_output_lengths",
        "true division: float lengths",
        [
            (
                'torch.div(lengths + 2 * padding - span, stride, rounding_mode="floor") + 1',
                "(lengths + 2 * padding - span) / stride + 1",
            )
        ],
    ),
    (
        "check_conv_output_lengths",
        "padding on one side only",
        [("lengths + 2 * padding - span", "lengths + padding - span")],
    ),
    ("check_causal_attention", "not scaled", [(" / math.sqrt(q.shape[-1])", "")]),
    (
        "check_causal_attention",
        "a step may not attend to itself",
        [("diagonal=1", "diagonal=0")],
    ),
    (
        "check_causal_attention",
        "no mask",
        [('scores.masked_fill(future, float("-inf"))', "scores")],
    ),
    ("check_linear_scan", "a loop over time", [("    return Bs", LOOP)]),
    (
        "check_linear_scan",
        "cumulative products and a division",
        [
            (
                "    A, Bs = a, b\n",
                "    P = torch.cumprod(a, dim=1)\n    return P * torch.cumsum(b / P, dim=1)\n",
            )
        ],
    ),
    (
        "check_linear_scan",
        "composition the wrong way round",
        [("A, Bs = A_prev * A, A * B_prev + Bs", "A, Bs = A_prev * A, A_prev * Bs + B_prev")],
    ),
    (
        "check_data_parallel_grads",
        "the sum over ranks",
        [("total[name] += g / world_size", "total[name] += g")],
    ),
    (
        "check_data_parallel_grads",
        "the gradient of the whole minibatch",
        [
            (
                "zip(torch.tensor_split(x, world_size), torch.tensor_split(y, world_size))",
                "zip([x] * world_size, [y] * world_size)",
            )
        ],
    ),
    (
        "check_data_parallel_grads",
        "accumulated in .grad without zeroing",
        [
            (
                "grads = torch.autograd.grad(loss_fn(model(x_k), y_k), params)",
                "loss_fn(model(x_k), y_k).backward(); grads = [p.grad.clone() for p in params]",
            )
        ],
    ),
    # ---------------------------------------------------------------- chapter 7
    (
        "check_masked_mean",
        "multiplied by the mask (NaN * 0)",
        [("kept = torch.where(mask, values, torch.zeros_like(values))", "kept = values * mask")],
    ),
    (
        "check_masked_mean",
        "the mean of the rows' means",
        [
            (
                "return kept.sum() / mask.sum()",
                "return (kept.sum(dim=1) / mask.sum(dim=1)).mean()",
            )
        ],
    ),
    (
        "check_masked_mean",
        "the padding counted",
        [("return kept.sum() / mask.sum()", "return kept.mean()")],
    ),
    (
        "check_masked_mean",
        "a number, not a tensor",
        [("return kept.sum() / mask.sum()", "return (kept.sum() / mask.sum()).item()")],
    ),
    (
        "check_pack_sequences",
        "batch_sizes over the padded width",
        [("steps = int(sorted_lengths[0])", "steps = padded.shape[1]")],
    ),
    (
        "check_pack_sequences",
        "batch-major data",
        [
            (
                "data = torch.cat([ordered[: int(n), t] for t, n in enumerate(batch_sizes)])",
                "data = torch.cat([ordered[b, : int(n)] for b, n in enumerate(sorted_lengths)])",
            )
        ],
    ),
    (
        "check_pack_sequences",
        "sorted ascending",
        [("descending=True", "descending=False")],
    ),
    (
        "check_missing_value_features",
        "zero-filled, not forward-filled",
        [
            (
                "last = torch.where(observed[:, t], x[:, t], last)",
                "last = torch.where(observed[:, t], x[:, t], torch.zeros_like(last))",
            )
        ],
    ),
    (
        "check_missing_value_features",
        "the indicator reversed",
        [("observed.to(x.dtype)", "(~observed).to(x.dtype)")],
    ),
    (
        "check_missing_value_features",
        "NaN multiplied by the mask",
        [
            (
                "last = torch.where(observed[:, t], x[:, t], last)",
                "last = observed[:, t] * x[:, t] + ~observed[:, t] * last",
            )
        ],
    ),
    (
        "check_time_gaps",
        "reset by the observation at t",
        [("torch.where(observed[:, t - 1],", "torch.where(observed[:, t],")],
    ),
    (
        "check_time_gaps",
        "steps counted instead of time",
        [
            (
                "step = (times[:, t] - times[:, t - 1])[:, None]",
                "step = torch.ones_like(times[:, t])[:, None]",
            )
        ],
    ),
    (
        "check_leaks_future",
        "only the last input changed",
        [("for t in range(T - 1):", "for t in [T - 2]:")],
    ),
    (
        "check_leaks_future",
        "every output compared",
        [("model(changed)[:, : t + 1], base[:, : t + 1]", "model(changed), base")],
    ),
    (
        "check_leaks_future",
        "only the first feature changed",
        [
            (
                "changed[:, t + 1 :] = torch.randn(2, T - t - 1, D,",
                "changed[:, t + 1 :, :1] = torch.randn(2, T - t - 1, 1,",
            )
        ],
    ),
    (
        "check_delayed_targets",
        "the future instead of the past",
        [("targets[:, lag:, k] = x[:, : T - lag]", "targets[:, : T - lag, k] = x[:, lag:]")],
    ),
    (
        "check_delayed_targets",
        "wrapped around",
        [("targets[:, lag:, k] = x[:, : T - lag]", "targets[:, :, k] = torch.roll(x, lag, 1)")],
    ),
    (
        "check_delayed_targets",
        "valid one step late",
        [("valid[:, lag:, k] = True", "valid[:, lag + 1 :, k] = True")],
    ),
    (
        "check_threshold_from_normal",
        "torch.quantile, interpolated",
        [
            (
                "return kept[len(kept) - 1 - allowed]",
                "return torch.quantile(kept, 1 - false_alarm_rate)",
            )
        ],
    ),
    (
        "check_threshold_from_normal",
        "torch.quantile, the higher score",
        [
            (
                "return kept[len(kept) - 1 - allowed]",
                'return torch.quantile(kept, 1 - false_alarm_rate, interpolation="higher")',
            )
        ],
    ),
    (
        "check_threshold_from_normal",
        "nan kept",
        [("scores[~torch.isnan(scores)]", "scores")],
    ),
    (
        "check_threshold_from_normal",
        "the rate counted over every step, nan included",
        [("false_alarm_rate * len(kept)", "false_alarm_rate * len(scores)")],
    ),
    (
        "check_threshold_from_normal",
        "rounded up",
        [("math.floor(false_alarm_rate", "math.ceil(false_alarm_rate")],
    ),
    (
        "check_threshold_from_normal",
        "one score too low",
        [("kept[len(kept) - 1 - allowed]", "kept[len(kept) - 2 - allowed]")],
    ),
    (
        "check_block_mean",
        "the newest steps dropped",
        [("kept = x[:, T % factor :]", "kept = x[:, : T - T % factor]")],
    ),
    (
        "check_block_mean",
        "every factor-th step averaged (blocks interleaved)",
        [
            (
                "return kept.reshape(B, T // factor, factor, D).mean(dim=2)",
                "return kept.reshape(B, factor, T // factor, D).mean(dim=1)",
            )
        ],
    ),
    (
        "check_block_mean",
        "the last value of each block kept",
        [
            (
                "return kept.reshape(B, T // factor, factor, D).mean(dim=2)",
                "return kept[:, factor - 1 :: factor]",
            )
        ],
    ),
    (
        "check_block_mean",
        "the sum, not the mean",
        [(".mean(dim=2)", ".sum(dim=2)")],
    ),
    (
        "check_block_mean",
        "padded with zeros to whole blocks",
        [
            ("kept = x[:, T % factor :]", "kept = F.pad(x, (0, 0, 0, -T % factor))"),
            ("T // factor, factor, D", "-(-T // factor), factor, D"),
        ],
    ),
    (
        "check_standardise_per_series",
        "statistics of the whole series, the future included",
        [("past = series[:, :train_length]", "past = series")],
    ),
    (
        "check_standardise_per_series",
        "torch.std with its default divisor n - 1",
        [("std = (past - mean[:, None]).pow(2).mean(dim=1).sqrt()", "std = past.std(dim=1)")],
    ),
    (
        "check_standardise_per_series",
        "the variance as mean(x ** 2) - mean(x) ** 2",
        [
            (
                "std = (past - mean[:, None]).pow(2).mean(dim=1).sqrt()",
                "std = (past.pow(2).mean(dim=1) - mean.pow(2)).sqrt()",
            )
        ],
    ),
    (
        "check_standardise_per_series",
        "the mean keeps its dimension, (N, 1)",
        [("mean = past.mean(dim=1)", "mean = past.mean(dim=1, keepdim=True)")],
    ),
    (
        "check_standardise_per_series",
        "one mean and one std for the whole family",
        [
            ("mean = past.mean(dim=1)", "mean = past.mean().expand(len(past))"),
            (
                "std = (past - mean[:, None]).pow(2).mean(dim=1).sqrt()",
                "std = past.std(correction=0).expand(len(past))",
            ),
        ],
    ),
    (
        "check_standardise_per_series",
        "the series changed in place",
        [
            (
                "return (series - mean[:, None]) / std[:, None], mean, std",
                "series -= mean[:, None]\n    return series / std[:, None], mean, std",
            )
        ],
    ),
    (
        "check_macro_f1",
        "averaged over every class, absent ones as NaN",
        [("if tp + fp + fn > 0:", "if True:")],
    ),
    (
        "check_macro_f1",
        "averaged over every class, absent ones as 0",
        [
            (
                "f1.append(2 * tp / (2 * tp + fp + fn))",
                "f1.append(2 * tp / (2 * tp + fp + fn).clamp(min=1))",
            ),
            ("if tp + fp + fn > 0:", "if True:"),
        ],
    ),
    (
        "check_macro_f1",
        "only the classes in y_true",
        [("if tp + fp + fn > 0:", "if tp + fn > 0:")],
    ),
    (
        "check_macro_f1",
        "only the classes ever predicted",
        [("if tp + fp + fn > 0:", "if tp + fp > 0:")],
    ),
    (
        "check_macro_f1",
        "micro-F1 (the accuracy)",
        [("return torch.stack(f1).mean()", "return (y_true == y_pred).double().mean()")],
    ),
    (
        "check_macro_f1",
        "the Jaccard index TP / (TP + FP + FN)",
        [("f1.append(2 * tp / (2 * tp + fp + fn))", "f1.append(tp / (tp + fp + fn))")],
    ),
    (
        "check_macro_f1",
        "weighted by each class's share of y_true",
        [
            (
                "f1.append(2 * tp / (2 * tp + fp + fn))",
                "f1.append(2 * tp / (2 * tp + fp + fn) * (tp + fn) / len(y_true))",
            ),
            ("return torch.stack(f1).mean()", "return torch.stack(f1).sum()"),
        ],
    ),
    (
        "check_rouge1_f1",
        "repeated words not clipped",
        [("        if remaining.get(word, 0) > 0:", "        if word in remaining:")],
    ),
    (
        "check_rouge1_f1",
        "distinct words only",
        [
            (
                "    overlap = 0\n    for word in candidate:",
                "    overlap = len(set(candidate) & set(reference))\n    for word in []:",
            )
        ],
    ),
    (
        "check_rouge1_f1",
        "precision only",
        [("return 2 * precision * recall / (precision + recall)", "return precision")],
    ),
    (
        "check_rouge1_f1",
        "recall with the candidate's length",
        [
            (
                "recall = overlap / len(candidate), overlap / len(reference)",
                "recall = overlap / len(candidate), overlap / len(candidate)",
            )
        ],
    ),
    (
        "check_rouge1_f1",
        "no guard for an empty list",
        [("    if overlap == 0:\n        return 0.0\n", "")],
    ),
    (
        "check_rouge1_f1",
        "the inputs consumed",
        [("    for word in candidate:", "    while candidate:\n        word = candidate.pop()")],
    ),
]


# (checker, mistake of WRONG) -> the whole message of its failure, line by line
MESSAGES = {
    ("check_per_class_recall", "0 for an absent class"): [
        "per_class_recall: case 'B=1, C=3': the recalls[0]: expected NaN, got 0.0",
        (
            "Hint: recall of class k: among the examples whose label is k, the share predicted as "
            "k (the argmax of their logits); NaN for a class without examples"
        ),
        "The inputs of this case:",
        "  logits = tensor([[-0.7214,  0.431 , -0.6661]], dtype=float64)",
        "  labels = tensor([2], dtype=int64)",
        "  num_classes = 3",
        RERUN.format("per_class_recall"),
    ],
    ("check_adding_problem", "values from torch's global generator"): [
        (
            "adding_problem: case batch_size=4, T=10: two calls with generators seeded alike gave "
            "different data"
        ),
        (
            "Hint: draw every random number from the generator you are given (torch.rand(..., "
            "generator=generator)), never from torch's global generator"
        ),
        RERUN.format("adding_problem"),
    ],
    ("check_stacked_gru", "h_n of the top layer only"): [
        (
            "stacked_gru: case 'L=2, B=3, T=5, D=3, H=4, no masks': h_n has shape (1, 3, 4), "
            "expected (2, 3, 4)"
        ),
        (
            "Hint: h_n[l] is the last state of layer l, (L, B, H), the first layer first, as "
            "torch.nn.GRU(num_layers=L) returns it"
        ),
        RERUN.format("stacked_gru"),
    ],
    ("check_data_parallel_grads", "the sum over ranks"): [
        (
            "data_parallel_grads: case 'linear model, B=8, world_size=2 (equal shards)': the "
            "gradient of 'weight': 6 of 6 entries are wrong; the worst is at index (1, 1): "
            "expected -1.20257, got -2.40514. Every entry is 2 times the expected one: a constant "
            "factor?"
        ),
        (
            "Hint: split x and y into world_size contiguous shards with torch.tensor_split; each "
            "rank computes the gradient of its own mean loss from zero; DDP then averages the "
            "ranks' gradients with equal weight"
        ),
        RERUN.format("data_parallel_grads"),
    ],
    ("check_leaks_future", "every output compared"): [
        (
            "leaks_future: case 'a one-directional GRU' (T=8, D=3): expected False (it does not "
            "use inputs from later steps), got True"
        ),
        (
            "Hint: only outputs at steps up to t may not change when inputs after t change; "
            "outputs after t are allowed to"
        ),
        RERUN.format("leaks_future"),
    ],
    ("check_conv_output_lengths", "true division: float lengths"): [
        (
            "conv_output_lengths: case kernel_size=3, stride=1, padding=1, dilation=1: the "
            "lengths should be integers (pack_padded_sequence needs them), got dtype float32"
        ),
        "Hint: use integer (floor) division",
        "The inputs of this case:",
        "  lengths = tensor([ 1,  2, 17,  8,  4, 30], dtype=int64)",
        "  kernel_size = 3",
        "  stride = 1",
        "  padding = 1",
        "  dilation = 1",
        RERUN.format("conv_output_lengths"),
    ],
}


solution = solution_loader(
    (ROOT / "solutions" / f"{chapter}.md" for chapter in TORCH_CHAPTERS), NAMESPACE
)


def test_every_checker_of_chapters_5_to_7_is_tested():
    ours = checkers_of(TORCH_CHAPTERS)
    assert set(CHECKED) == ours
    assert {checker for checker, _, _ in WRONG} == ours


class TestCheckerContract(CheckerContract):
    suite = Suite(
        CHECKED,
        WRONG,
        solution,
        failure_start=": case",
        not_a_function=torch.zeros(3),
        messages=MESSAGES,
    )


def test_a_wrong_shape_is_said_plainly():
    wrong = solution("gru_cell", [("return (1 - z) * n + z * h", "return ((1 - z) * n + z * h).T")])
    with pytest.raises(AssertionError, match=r"has shape \(5, 3\), expected \(3, 5\)"):
        checks.check_gru_cell(wrong)


def test_a_case_tells_when_an_input_tensor_was_changed():
    tensors = {"x": torch.zeros(2), "params['W']": torch.ones(2, 2)}
    before = numpy_copies(tensors)
    case = Case("f", "case 'x'")
    case.tensors_unchanged(before, tensors)
    tensors["params['W']"][0, 1] = 5.0
    with pytest.raises(AssertionError) as failure:
        case.tensors_unchanged(before, tensors)
    assert str(failure.value).startswith(
        "f: case 'x': your function changed params['W'], which was passed in\nHint: "
    )


# ---------------------------------------------------------------- the references themselves


def test_the_beam_reference_with_a_wide_beam_is_the_best_output_of_all():
    for seed in range(3):
        model = pytorch._TableModel(3, 4, seed)
        best_tokens, best_score = pytorch.exhaustive_best(model, 3, 4, 0)
        tokens, score = pytorch._beam_reference(model, 100, 4, 0)
        assert tokens == best_tokens and math.isclose(score, best_score)


def test_the_peephole_reference_without_peepholes_is_torch_lstm_cell():
    rng = np.random.default_rng(0)
    x, h, c, params = future.peephole_case(rng, 3, 4, 5, 0.0)
    cell = torch.nn.LSTMCell(4, 5, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(params["weight_ih"]))
        cell.weight_hh.copy_(torch.tensor(params["weight_hh"]))
        cell.bias_ih.copy_(torch.tensor(params["bias"]))
        cell.bias_hh.zero_()
        want_h, want_c = cell(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
    got_h, got_c = future._peephole_reference(x, h, c, params)
    np.testing.assert_allclose(got_h, want_h.numpy(), rtol=1e-12)
    np.testing.assert_allclose(got_c, want_c.numpy(), rtol=1e-12)


def test_counting_torch_calls_tells_a_loop_from_a_scan():
    a, b = torch.rand(2, 256, 3), torch.randn(2, 256, 3)
    loop = future.CountingTorchCalls(solution("linear_scan", [("    return Bs", LOOP)]))
    scan = future.CountingTorchCalls(solution("linear_scan"))
    torch.testing.assert_close(loop(a, b), scan(a, b))
    assert loop.calls >= 256 * 3 and scan.calls < 100
    assert scan.__name__ == "linear_scan"  # what a failure's rerun line calls


def test_every_case_of_the_threshold_checker_is_clear_of_rounding():
    """rate * m is a whole number exactly, or at least 0.01 away from one: floor(rate * m) and
    m - ceil((1 - rate) * m), two natural ways to count the false alarms allowed, agree."""
    for case, scores, rate in faq._threshold_cases():
        m = int((~np.isnan(scores)).sum())
        product = rate * m
        assert product == round(product) or abs(product - round(product)) >= 0.01, case
        assert math.floor(product) == m - math.ceil((1 - rate) * m), case


def test_the_threshold_reference_is_the_package_threshold():
    for case, scores, rate in faq._threshold_cases():
        want = anomalies.false_alarm_threshold(scores, rate)
        assert faq._threshold_reference(scores, rate) == want, case


def test_the_macro_f1_reference_is_scikit_learns():
    rng = np.random.default_rng(0)
    for n, k in [(1, 2), (7, 3), (40, 4), (200, 9)]:
        y_true, y_pred = rng.integers(0, k, n), rng.integers(0, k, n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn warns about classes never predicted
            want = sklearn.metrics.f1_score(y_true, y_pred, average="macro")
        assert np.isclose(faq._macro_f1(y_true, y_pred), want, rtol=1e-12)


def test_the_rouge1_reference_is_the_package_s_on_the_page_s_example():
    candidate, reference = "Return the size of the file.", "Return the file's size in bytes."
    got = faq._rouge1_reference(docstrings.words(candidate), docstrings.words(reference))
    assert got == pytest.approx(8 / 13)
    assert got == docstrings.rouge1_f1(candidate, reference)


# ---------------------------------------------------------------- what a student sees


def test_the_autograd_answers_are_right_but_refused():
    """The two wrong answers that use autograd compute the right gradients (so only the rule
    can fail them), and the failure names the rule."""
    rng = np.random.default_rng(0)
    x, h, params = pytorch._gru_case(rng, 3, 4, 5, 0.5, False)
    dh = rng.normal(size=h.shape)
    _, want = pytorch._torch_gru_cell(x, h, params, dh)
    for differentiate, called in [(BY_GRAD, "autograd.grad"), (BY_BACKWARD, "backward")]:
        wrong = solution("gru_cell_backward", by_autograd(differentiate))
        tensors = [torch.tensor(value) for value in (dh, x, h)]
        got = wrong(*tensors, {k: torch.tensor(v) for k, v in params.items()})
        for key, value in want.items():
            np.testing.assert_allclose(got[key].numpy(), value, rtol=1e-10)
        with pytest.raises(AssertionError, match=rf"{called} is switched off here") as failure:
            checks.check_gru_cell_backward(wrong)
        assert "Hint: derive the gradients" not in str(failure.value)


def test_autograd_called_and_its_error_caught_is_still_refused():
    def sly(dh_new, x, h, params):
        try:
            torch.autograd.grad(x.sum(), x)
        except RuntimeError:
            pass
        return solution("gru_cell_backward")(dh_new, x, h, params)

    with pytest.raises(AssertionError, match=r"your function called torch\.autograd\.grad"):
        checks.check_gru_cell_backward(sly)
    assert torch.autograd.grad is not None and torch.is_grad_enabled()  # all put back


def test_a_failing_case_shows_its_small_inputs_and_can_be_rerun():
    wrong = solution("beam_search", [("score + lp,", "lp,")])
    with pytest.raises(AssertionError) as failure:
        checks.check_beam_search(wrong)
    message = str(failure.value)
    assert "case 'greedy misses the best output, beam_size=1'" in message
    assert "after (1,): [0.35, 0.33, 0.32]" in message  # the table of the model, in full
    assert "  beam_size = 1\n  max_len = 3\n  eos_id = 0\n" in message
    case = checks.last_failure()
    assert list(case.inputs) == ["next_log_probs", "beam_size", "max_len", "eos_id"]
    tokens, score = case.rerun(wrong)  # what the wrong answer returned in the checker
    assert tokens == [1, 0] and math.isclose(score, math.log(0.35)), (tokens, score)
    assert f"got {score:.6g}" in message


def test_large_inputs_are_not_written_out():
    wrong = solution("linear_scan", [("    return Bs", LOOP)])
    with pytest.raises(AssertionError) as failure:
        checks.check_linear_scan(wrong)
    message = str(failure.value)
    assert "The inputs of this case" not in message
    assert message.endswith("checks.last_failure().inputs holds its inputs.")
    assert checks.last_failure().inputs["a"].shape == (2, 1024, 3)


def test_the_copy_task_of_the_exercise_is_the_package_s(capsys):
    """The checker accepts companion.data.synthetic.copy_task (seeded from the generator it is
    given): the exercise uses the chapter's ids, 8 = blank and 9 = delimiter for 8 symbols."""
    from companion.data import synthetic

    def package_copy_task(batch_size, length, delay, num_symbols, generator):
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        x, y = synthetic.copy_task(
            batch_size, delay, n_symbols=num_symbols, copy_length=length, seed=seed
        )
        return torch.from_numpy(x), torch.from_numpy(y)

    checks.check_copy_task(package_copy_task)
    assert "✓ copy_task: passed" in capsys.readouterr().out


def test_the_package_threshold_passes_the_checker(capsys):
    def package(scores, false_alarm_rate):
        return anomalies.false_alarm_threshold(scores.numpy(), false_alarm_rate)

    checks.check_threshold_from_normal(package)
    assert "✓ threshold_from_normal: passed" in capsys.readouterr().out


def test_a_kept_nan_is_named_in_the_hint():
    wrong = solution("threshold_from_normal", [("scores[~torch.isnan(scores)]", "scores")])
    with pytest.raises(AssertionError, match="case 'nan where a step has no score") as failure:
        checks.check_threshold_from_normal(wrong)
    assert "torch.sort puts them last" in str(failure.value)


def test_the_package_s_decimate_passes_the_block_mean_checker(capsys):
    """The checker accepts companion.data.resample.decimate (the page's block mean), and so
    agrees with the package on where the blocks start."""

    def package(x, factor):
        return torch.from_numpy(resample.decimate(x.numpy(), factor, method="mean"))

    checks.check_block_mean(package)
    assert "✓ block_mean: passed" in capsys.readouterr().out


def wrong_answer(checker: str, mistake: str) -> Callable:
    """The solution of ``checker`` with the replacements of ``mistake`` in ``WRONG``."""
    (replacements,) = [r for c, m, r in WRONG if (c, m) == (checker, mistake)]
    return solution(CHECKED[checker], replacements)


def test_the_package_s_standardise_per_series_passes_the_checker(capsys):
    """The checker accepts companion.data.panel.standardise_per_series, the page's NumPy
    version, on tensors."""

    def package(series, train_length):
        arrays = panel.standardise_per_series(series.numpy(), train_length)
        return tuple(torch.from_numpy(a) for a in arrays)

    checks.check_standardise_per_series(package)
    assert "✓ standardise_per_series: passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "mistake, case",
    [
        ("statistics of the whole series, the future included", "the values after step 8"),
        ("the variance as mean(x ** 2) - mean(x) ** 2", "a level of 1e6 and a spread of 0.01"),
        ("the series changed in place", "your function changed series"),
    ],
)
def test_each_standardisation_mistake_fails_where_it_shows(mistake, case):
    wrong = wrong_answer("check_standardise_per_series", mistake)
    with np.errstate(all="ignore"), pytest.raises(AssertionError, match=case):
        checks.check_standardise_per_series(wrong)


def test_a_divisor_of_n_minus_1_is_named_as_a_constant_factor():
    wrong = wrong_answer("check_standardise_per_series", "torch.std with its default divisor n - 1")
    with pytest.raises(AssertionError) as failure:
        checks.check_standardise_per_series(wrong)
    message = str(failure.value)
    assert "std: 3 of 3 entries are wrong" in message  # the first case: N=3, train_length=8
    assert f"Every entry is {np.sqrt(8 / 7):.6g} times the expected one" in message
    assert "correction=0" in message


def test_symbols_that_never_vary_are_not_blamed_on_the_generator():
    wrong = solution(
        "copy_task", [("torch.randint(0, num_symbols,", "torch.randint(0, num_symbols - 1,")]
    )
    with pytest.raises(AssertionError, match="all 15 symbols are 0; with num_symbols=2") as failure:
        checks.check_copy_task(wrong)
    assert "generator" not in str(failure.value).split("\nThe inputs")[0]


def test_a_failure_in_ipython_shows_no_frame_of_the_checkers():
    """What a student sees in Jupyter: their function's frame and the checker's message,
    with no frame of the checkers' code."""
    from IPython.core.ultratb import FormattedTB

    def gru_cell(x, h, params):
        return x[:, :1] * h[:, 0, 0]  # fails: h is 2-D

    with pytest.raises(AssertionError) as failure:
        checks.check_gru_cell(gru_cell)
    lines = FormattedTB(mode="Context").structured_traceback(
        failure.type, failure.value, failure.tb
    )
    shown = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(lines))
    assert "IndexError" in shown and "AssertionError: gru_cell: case" in shown
    assert "h[:, 0, 0]" in shown  # the student's own line
    assert "companion/checks" not in shown and "_core.py" not in shown


def test_a_float32_recall_is_accepted_and_a_wrong_one_still_fails(capsys):
    """Recalls are shares of counts: computed in float32 they are right to float32's
    precision, and the checker accepts them; a wrong answer in float32 still fails."""
    float32 = [("torch.float64", "torch.float32"), (".double()", ".float()")]
    checks.check_per_class_recall(solution("per_class_recall", float32))
    assert "✓ per_class_recall: passed" in capsys.readouterr().out
    wrong = float32 + [("mine = labels == k", "mine = predicted == k")]
    with pytest.raises(AssertionError, match="per_class_recall: case"):
        checks.check_per_class_recall(solution("per_class_recall", wrong))
