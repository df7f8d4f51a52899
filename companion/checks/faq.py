"""Checkers for the exercises of chapter 7 (questions answered by experiment): a masked mean,
packing by hand, features for missing values and irregular time steps, a test for
information from the future, the targets of a delayed-recall task, the threshold of an
anomaly detector for a chosen false-alarm rate, a block mean for down-sampling, per-series
standardisation, the macro-F1 of a classifier, and ROUGE-1 of a summary.

References are PyTorch's own ``pack_padded_sequence`` where there is one, otherwise plain
loops over the definitions; the test for leaks is run on models whose answer is known.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from companion.checks._core import (
    Case,
    checker,
    passed,
    require_function,
    tensor_argument,
    torch_module,
    type_and_start,
)


def _lengths_mask(lengths: list[int], T: int) -> np.ndarray:
    return np.arange(T)[None, :] < np.array(lengths)[:, None]


# ---------------------------------------------------------------- the masked mean


@checker
def check_masked_mean(masked_mean: Callable) -> None:
    """Check ``masked_mean(values, mask)``: the mean over the real positions, and its gradient."""
    name = "masked_mean"
    require_function(masked_mean, name, ("values", "mask"))
    torch = torch_module()
    rng = np.random.default_rng(70)
    scattered = rng.uniform(size=(3, 7)) > 0.4
    scattered[:, 0] = True
    cases = [
        ("B=3, T=5, lengths 5, 3, 1; NaN and inf in the padding", _lengths_mask([5, 3, 1], 5)),
        ("no padding", np.ones((2, 4), dtype=bool)),
        ("B=1, T=1", np.ones((1, 1), dtype=bool)),
        ("one real step per row, T=6", _lengths_mask([1, 1], 6)),
        ("real positions scattered, not a prefix", scattered),
    ]
    for description, mask in cases:
        case = Case(name, f"case '{description}'")
        values = rng.normal(size=mask.shape)
        values[~mask] = np.where(rng.uniform(size=(~mask).sum()) > 0.5, np.nan, np.inf)
        given = torch.tensor(values, requires_grad=True)
        got = case.run(masked_mean, given, torch.tensor(mask))
        want = values[mask].mean()
        case.close(
            "the mean",
            got,
            want,
            rtol=1e-12,
            atol=1e-12,
            hint="every real position counts once, whatever row it is in; the padding may "
            "hold NaN or inf, and NaN * 0 is NaN: select the real values rather than "
            "multiplying the others by 0",
        )
        if not isinstance(got, torch.Tensor) or not got.requires_grad:
            raise case.fail(
                f"the result should be a torch tensor that autograd can differentiate (it is "
                f"a loss), got {type(got).__name__}"
                + (" without a gradient" if isinstance(got, torch.Tensor) else ""),
                "compute it with torch operations on `values`",
            )
        (grad,) = torch.autograd.grad(got, given)
        case.close(
            "the gradient with respect to values",
            grad,
            mask / mask.sum(),
            rtol=1e-12,
            atol=1e-15,
            hint="the padding must get a gradient of exactly 0 (not NaN): torch.where or "
            "boolean indexing gives that",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- packing by hand


@checker
def check_pack_sequences(pack_sequences: Callable) -> None:
    """Check ``pack_sequences(padded, lengths)``: ``(data, batch_sizes, sorted_indices)``."""
    name = "pack_sequences"
    require_function(pack_sequences, name, ("padded", "lengths"))
    torch = torch_module()
    from torch.nn.utils.rnn import pack_padded_sequence

    rng = np.random.default_rng(71)
    cases = [
        ("lengths 3, 5, 1, 4 padded to T=6", [3, 5, 1, 4], 6, 2),
        ("equal lengths", [4, 4, 4], 4, 3),
        ("B=1", [3], 3, 2),
        ("ties: lengths 2, 4, 2, 4", [2, 4, 2, 4], 4, 1),
        ("increasing lengths", [1, 2, 3, 4, 5], 5, 2),
        ("T=1", [1, 1], 1, 3),
    ]
    for description, lengths, T, D in cases:
        case = Case(name, f"case '{description}'")
        padded = rng.normal(size=(len(lengths), T, D))
        padded[~_lengths_mask(lengths, T)] = 0.0
        given_padded, given_lengths = tensor_argument(padded), tensor_argument(lengths, "int64")
        got = case.run(pack_sequences, given_padded, given_lengths)
        case.unchanged("padded", padded, given_padded.numpy())
        data, batch_sizes, sorted_indices = case.as_tuple(
            got, 3, "a triple (data, batch_sizes, sorted_indices)"
        )
        want = pack_padded_sequence(
            tensor_argument(padded), torch.tensor(lengths), batch_first=True, enforce_sorted=False
        )
        case.close(
            "batch_sizes",
            case.as_numbers(batch_sizes, "batch_sizes"),
            want.batch_sizes.numpy(),
            rtol=0,
            atol=0,
            hint="batch_sizes[t] is the number of sequences longer than t, for t = 0 to "
            "max(lengths) - 1: the padding columns after the longest sequence are not steps",
        )
        order = case.as_numbers(sorted_indices, "sorted_indices")
        if order.dtype.kind not in "iu" or sorted(order.tolist()) != list(range(len(lengths))):
            raise case.fail(
                f"sorted_indices should be a permutation of 0 to {len(lengths) - 1}, got "
                f"{order.tolist()}"
            )
        ordered = np.array(lengths)[order]
        if (np.diff(ordered) > 0).any():
            raise case.fail(
                f"sorted_indices {order.tolist()} put the lengths in the order "
                f"{ordered.tolist()}; expected the longest first",
                "the rows still running at step t must be the first batch_sizes[t] rows",
            )
        rows = [padded[order[:n], t] for t, n in enumerate(want.batch_sizes.tolist())]
        case.close(
            "data",
            data,
            np.concatenate(rows),
            rtol=0,
            atol=0,
            hint="data is time-major: the step-0 vectors of every sequence (longest first), "
            "then the step-1 vectors of the sequences longer than 1, and so on",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- missing values


def _forward_fill(x: np.ndarray, observed: np.ndarray) -> np.ndarray:
    filled = np.zeros_like(x)
    last = np.zeros_like(x[:, 0])
    for t in range(x.shape[1]):
        last = np.where(observed[:, t], x[:, t], last)
        filled[:, t] = last
    return filled


def _missing_case(
    rng: np.random.Generator, B: int, T: int, D: int, p: float
) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(B, T, D))
    observed = rng.uniform(size=(B, T, D)) < p
    return x, observed


@checker
def check_missing_value_features(missing_value_features: Callable) -> None:
    """Check ``missing_value_features(x, observed)``: ``(B, T, 2D)`` filled values and indicator."""
    name = "missing_value_features"
    require_function(missing_value_features, name, ("x", "observed"))
    rng = np.random.default_rng(72)
    cases = [("B=3, T=8, D=2, 60 % observed", *_missing_case(rng, 3, 8, 2, 0.6))]
    cases.append(("everything observed", *_missing_case(rng, 2, 5, 3, 1.1)))
    x, observed = _missing_case(rng, 2, 6, 3, 0.7)
    observed[:, :, 1] = False
    cases.append(("feature 1 never observed", x, observed))
    x, observed = _missing_case(rng, 2, 6, 2, 0.7)
    observed[:, 0] = False
    cases.append(("nothing observed at the first step", x, observed))
    cases.append(("T=1, B=1, D=1, missing", np.array([[[0.7]]]), np.array([[[False]]])))
    for description, x, observed in cases:
        case = Case(name, f"case '{description}'")
        x = np.where(observed, x, np.nan)  # what a missing value usually looks like
        given = tensor_argument(x)
        got = case.run(missing_value_features, given, tensor_argument(observed, "bool"))
        case.unchanged("x", np.nan_to_num(x), np.nan_to_num(given.numpy()))
        want = np.concatenate([_forward_fill(x, observed), observed.astype(np.float64)], axis=-1)
        case.close(
            "the features",
            got,
            want,
            rtol=0,
            atol=0,
            hint="the first D features: the last observed value of each feature (0 before its "
            "first observation; a missing entry of x is NaN); the last D: 1.0 where the "
            "value was observed at this step, 0.0 where it is missing",
        )
    passed(name, len(cases))


def _gaps(times: np.ndarray, observed: np.ndarray) -> np.ndarray:
    delta = np.zeros(observed.shape)
    for t in range(1, observed.shape[1]):
        step = (times[:, t] - times[:, t - 1])[:, None]
        delta[:, t] = step + np.where(observed[:, t - 1], 0.0, delta[:, t - 1])
    return delta


@checker
def check_time_gaps(time_gaps: Callable) -> None:
    """Check ``time_gaps(times, observed)``: GRU-D's time since the last observation."""
    name = "time_gaps"
    require_function(time_gaps, name, ("times", "observed"))
    rng = np.random.default_rng(73)
    regular = np.tile(np.arange(7.0), (2, 1))
    irregular = np.cumsum(rng.uniform(0.1, 3.0, size=(3, 9)), axis=1)
    cases = [
        ("regular steps 0, 1, ..., 6", regular, rng.uniform(size=(2, 7, 2)) < 0.5),
        ("irregular times", irregular, rng.uniform(size=(3, 9, 2)) < 0.5),
        ("everything observed", irregular[:2, :5], np.ones((2, 5, 3), dtype=bool)),
        ("never observed", irregular[:1], np.zeros((1, 9, 1), dtype=bool)),
        ("T=1", np.array([[4.5]]), np.array([[[True, False]]])),
    ]
    for description, times, observed in cases:
        case = Case(name, f"case '{description}'")
        got = case.run(time_gaps, tensor_argument(times), tensor_argument(observed, "bool"))
        case.close(
            "the gaps",
            got,
            _gaps(times, observed),
            rtol=1e-12,
            atol=1e-12,
            hint="delta_0 = 0; delta_t = (s_t - s_{t-1}) if the feature was observed at step "
            "t - 1, else (s_t - s_{t-1}) + delta_{t-1}: the time since the last observation "
            "*before* step t, in the units of `times`",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- information from the future


def _leak_models() -> list[tuple[str, Callable, bool]]:
    """``(description, model, leaks)`` for models that map ``(B, T, D)`` to ``(B, T, K)``."""
    torch = torch_module()
    torch.manual_seed(74)
    gru = torch.nn.GRU(3, 4, batch_first=True).double()
    bigru = torch.nn.GRU(3, 4, batch_first=True, bidirectional=True).double()

    def causal_conv(x: Any) -> Any:
        x = x.double()
        shifted = torch.nn.functional.pad(x, (0, 0, 2, 0))
        return x + 0.5 * shifted[:, 1:-1] + 0.25 * shifted[:, :-2]

    def peek_at_step_3(x: Any) -> Any:
        x = x.double()
        out = x.clone()
        out[:, 3] = out[:, 3] + 1e-3 * x[:, 4]
        return out

    def first_reads_last(x: Any) -> Any:
        x = x.double()
        return torch.cat([x[:, -1:], x[:, 1:]], dim=1)

    def last_feature_ahead(x: Any) -> Any:
        x = x.double()
        ahead = torch.nn.functional.pad(x[:, 1:, -1:], (0, 0, 0, 1))
        return x[:, :, :1] + ahead

    return [
        ("a one-directional GRU", lambda x: gru(x.double())[0], False),
        ("a running sum over time", lambda x: x.double().cumsum(dim=1), False),
        ("a causal convolution over 3 steps", causal_conv, False),
        ("a model that ignores its input", lambda x: torch.zeros_like(x.double()), False),
        ("a bidirectional GRU", lambda x: bigru(x.double())[0], True),
        ("a running sum from the end", lambda x: x.double().flip(1).cumsum(1).flip(1), True),
        ("step 3 peeks at step 4, weakly", peek_at_step_3, True),
        ("the first output reads the last input", first_reads_last, True),
        ("only the last feature comes from the next step", last_feature_ahead, True),
        (
            "each sequence centred by its own mean over time",
            lambda x: x.double() - x.double().mean(dim=1, keepdim=True),
            True,
        ),
    ]


@checker
def check_leaks_future(leaks_future: Callable) -> None:
    """Check ``leaks_future(model, T, D)``: ``True`` when some output at step t depends on an
    input after step t."""
    name = "leaks_future"
    require_function(leaks_future, name, ("model", "T", "D"))
    models = _leak_models()
    T, D = 8, 3
    for description, model, leaks in models:
        case = Case(name, f"case '{description}' (T={T}, D={D})")
        got = case.run(leaks_future, model, T, D)
        if hasattr(got, "item") and getattr(got, "ndim", 1) == 0:
            got = got.item()
        if not isinstance(got, (bool, np.bool_)):
            raise case.fail(f"expected True or False, got {type_and_start(got)}")
        if bool(got) != leaks:
            raise case.fail(
                f"expected {leaks} (it {'does' if leaks else 'does not'} use inputs from later "
                f"steps), got {bool(got)}",
                "for every step t, change the inputs after t only (every feature) and see "
                "whether the outputs at steps 0 to t change; outputs after t may change"
                if leaks
                else "only outputs at steps up to t may not change when inputs after t change; "
                "outputs after t are allowed to",
            )
    passed(name, len(models))


# ---------------------------------------------------------------- delayed recall


@checker
def check_delayed_targets(delayed_targets: Callable) -> None:
    """Check ``delayed_targets(x, lags)``: ``targets (B, T, K)`` and ``valid (B, T, K)``."""
    name = "delayed_targets"
    require_function(delayed_targets, name, ("x", "lags"))
    rng = np.random.default_rng(75)
    cases = [
        ("B=2, T=10, lags [1, 3, 5]", (2, 10), [1, 3, 5]),
        ("a lag as long as the sequence", (2, 6), [2, 6, 9]),
        ("lags not in order", (3, 8), [4, 1]),
        ("T=1", (2, 1), [1]),
        ("B=1, the same lag twice", (1, 5), [2, 2]),
    ]
    for description, (B, T), lags in cases:
        case = Case(name, f"case '{description}' (lags={lags})")
        x = rng.normal(size=(B, T))
        given = tensor_argument(x)
        got = case.run(delayed_targets, given, list(lags))
        case.unchanged("x", x, given.numpy())
        targets, valid = case.as_tuple(got, 2, "a pair (targets, valid)")
        want_targets = np.zeros((B, T, len(lags)))
        want_valid = np.zeros((B, T, len(lags)), dtype=bool)
        for k, lag in enumerate(lags):
            want_targets[:, lag:, k] = x[:, : max(T - lag, 0)]
            want_valid[:, lag:, k] = True
        case.close(
            "valid",
            case.as_numbers(valid, "valid").astype(bool),
            want_valid,
            rtol=0,
            atol=0,
            hint="step t can recall the input lag steps back only when t - lag >= 0",
        )
        case.close(
            "targets",
            targets,
            want_targets,
            rtol=0,
            atol=0,
            hint="targets[:, t, k] is x[:, t - lags[k]], the input lags[k] steps *earlier*, "
            "and 0 where that step does not exist (no wrapping around)",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- a threshold for anomalies


def _threshold_cases() -> list[tuple[str, np.ndarray, float]]:
    """``(description, scores, rate)``; every ``rate * m`` is a whole number exactly or at least
    0.01 away from one, so that rounding cannot change the answer."""
    rng = np.random.default_rng(76)
    with_gaps = np.abs(rng.normal(size=50))
    with_gaps[[0, 7, 19, 33, 49]] = np.nan
    return [
        ("100 distinct scores, rate 0.05", np.abs(rng.normal(size=100)), 0.05),
        ("rate 0: the largest score", np.abs(rng.normal(size=30)), 0.0),
        ("nan where a step has no score, rate 0.1", with_gaps, 0.1),
        ("ties at the threshold, rate 0.25", np.array([0.3, 1, 1, 1, 1, 2, 0.5, 1.0]), 0.25),
        ("less than one false alarm allowed: rate 0.01 of 40", rng.uniform(size=40), 0.01),
        ("signed scores, rate 0.2 of 23", rng.normal(size=23), 0.2),
        ("rate 0.5 of 10 scores", rng.uniform(size=10), 0.5),
        ("one score", np.array([0.7]), 0.5),
    ]


def _threshold_reference(scores: np.ndarray, rate: float) -> float:
    """The smallest score that leaves at most ``floor(rate * m)`` of the ``m`` scores that are
    not NaN above it, found by trying every score in increasing order."""
    kept = [value for value in scores.tolist() if not math.isnan(value)]
    allowed = math.floor(rate * len(kept) + 1e-9)
    for candidate in sorted(set(kept)):
        if sum(value > candidate for value in kept) <= allowed:
            return candidate
    raise ValueError("scores: expected at least one score that is not NaN")


@checker
def check_threshold_from_normal(threshold_from_normal: Callable) -> None:
    """Check ``threshold_from_normal(scores, false_alarm_rate)``: the smallest of the scores,
    NaN left out, with at most ``floor(rate * m)`` of the ``m`` scores above it."""
    name = "threshold_from_normal"
    require_function(threshold_from_normal, name, ("scores", "false_alarm_rate"))
    cases = _threshold_cases()
    for description, scores, rate in cases:
        case = Case(name, f"case '{description}'")
        given = tensor_argument(scores)
        got = case.run(threshold_from_normal, given, rate)
        case.unchanged("scores", np.nan_to_num(scores), np.nan_to_num(given.numpy()))
        m = int((~np.isnan(scores)).sum())
        case.close(
            "the threshold",
            got,
            _threshold_reference(scores, rate),
            rtol=0,
            atol=0,
            hint=f"of the {m} scores that are not nan, at most floor({rate} * {m}) = "
            f"{math.floor(rate * m)} may lie strictly above the threshold, and it is the "
            "smallest such score (one of the scores, not a value between two); leave the nan "
            "scores out first, since torch.sort puts them last",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- down-sampling


def _block_means(x: np.ndarray, factor: int) -> np.ndarray:
    """The means of blocks of ``factor`` steps counted back from the last step, by a loop."""
    B, T, D = x.shape
    out = np.zeros((B, T // factor, D))
    for j in range(T // factor):
        end = T - (T // factor - 1 - j) * factor  # block j is steps end - factor to end - 1
        out[:, j] = x[:, end - factor : end].sum(axis=1) / factor
    return out


@checker
def check_block_mean(block_mean: Callable) -> None:
    """Check ``block_mean(x, factor)``: ``(B, T // factor, D)`` means of blocks that end at the
    last step."""
    name = "block_mean"
    require_function(block_mean, name, ("x", "factor"))
    rng = np.random.default_rng(77)
    cases = [
        ("B=2, T=12, D=3, factor 4", (2, 12, 3), 4),
        ("T=10, factor 4: a remainder of 2 steps", (1, 10, 2), 4),
        ("T=11, factor 4: a remainder of 3 steps", (1, 11, 1), 4),
        ("factor 1: nothing changes", (2, 5, 2), 1),
        ("factor = T: one block", (3, 6, 2), 6),
        ("B=1, T=7, D=1, factor 3", (1, 7, 1), 3),
    ]
    for description, shape, factor in cases:
        case = Case(name, f"case '{description}'")
        x = rng.normal(size=shape)
        given = tensor_argument(x)
        got = case.run(block_mean, given, factor)
        case.unchanged("x", x, given.numpy())
        case.close(
            "the block means",
            got,
            _block_means(x, factor),
            rtol=1e-12,
            atol=1e-12,
            hint="block j is the `factor` consecutive steps r + j * factor to "
            "r + (j + 1) * factor - 1, with r = T % factor: the first r steps (the oldest) "
            "are dropped, so that the last block ends at the last step; average over the "
            "steps of each block, for every sequence and feature separately",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- one scale per series


def _family(
    rng: np.random.Generator, levels: list[float], scales: list[float], length: int
) -> np.ndarray:
    """Rows ``level + scale * noise``, (N, length)."""
    noise = rng.normal(size=(len(levels), length))
    return np.array(levels)[:, None] + np.array(scales)[:, None] * noise


@checker
def check_standardise_per_series(standardise_per_series: Callable) -> None:
    """Check ``standardise_per_series(series, train_length)``: ``(scaled, mean, std)``."""
    name = "standardise_per_series"
    require_function(standardise_per_series, name, ("series", "train_length"))
    rng = np.random.default_rng(80)
    shifted = _family(rng, [5.0, -40.0, 0.3], [2.0, 0.1, 9.0], 12)
    shifted[:, 8:] += np.array([[30.0], [-3.0], [50.0]])  # the future differs from the past
    cases = [
        ("N=3, L=12, train_length=8; the values after step 8 shifted", shifted, 8),
        ("train_length = L, no test part", _family(rng, [1.0, 2.0], [1.0, 3.0], 6), 6),
        ("train_length=2", _family(rng, [0.0, 10.0, -10.0], [1.0, 1.0, 5.0], 7), 2),
        ("N=1", _family(rng, [-3.0], [0.5], 9), 5),
        ("a level of 1e6 and a spread of 0.01", _family(rng, [1e6, 7.0], [0.01, 1.0], 10), 8),
    ]
    for description, series, train_length in cases:
        case = Case(name, f"case '{description}'")
        given = tensor_argument(series)
        got = case.run(standardise_per_series, given, train_length)
        case.unchanged("series", series, given.numpy())
        scaled, mean, std = case.as_tuple(got, 3, "a triple (scaled, mean, std)")
        past = series[:, :train_length]
        want_mean = past.sum(axis=1) / train_length
        want_std = np.sqrt(((past - want_mean[:, None]) ** 2).sum(axis=1) / train_length)
        case.close(
            "mean",
            mean,
            want_mean,
            rtol=1e-9,
            atol=1e-12,
            hint="one mean per series (shape (N,)), over its first train_length values only: "
            "the values after them are the future, which the statistics must not see",
        )
        case.close(
            "std",
            std,
            want_std,
            rtol=1e-6,
            atol=1e-12,
            hint="one standard deviation per series (shape (N,)) over its first train_length "
            "values, with divisor train_length (torch: std(..., correction=0)); subtract "
            "the mean before squaring: mean(x ** 2) - mean(x) ** 2 loses every digit when "
            "the level is large next to the spread",
        )
        case.close(
            "scaled",
            scaled,
            (series - want_mean[:, None]) / want_std[:, None],
            rtol=1e-6,
            atol=1e-9,
            hint="scaled[i] = (series[i] - mean[i]) / std[i], for every step of row i, the "
            "steps after train_length included",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- macro-F1


def _f1(overlap: int, predicted: int, actual: int) -> float:
    """The harmonic mean of the precision ``overlap / predicted`` and the recall
    ``overlap / actual``; 0.0 when nothing is shared (``overlap`` 0). The F1 of one class for
    macro-F1, and of one summary for ROUGE-1."""
    if overlap == 0:
        return 0.0
    precision, recall = overlap / predicted, overlap / actual
    return 2 * precision * recall / (precision + recall)


def _macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The mean, over the classes in ``y_true`` or ``y_pred``, of the harmonic mean of each
    class's precision and recall (0 when the class has no true positive)."""
    f1 = []
    for k in sorted(set(y_true.tolist()) | set(y_pred.tolist())):
        hits = int(np.sum((y_true == k) & (y_pred == k)))
        f1.append(_f1(hits, int(np.sum(y_pred == k)), int(np.sum(y_true == k))))
    return float(np.mean(f1))


@checker
def check_macro_f1(macro_f1: Callable) -> None:
    """Check ``macro_f1(y_true, y_pred, num_classes)``: the mean F1 over the classes that occur
    in ``y_true`` or ``y_pred``."""
    name = "macro_f1"
    require_function(macro_f1, name, ("y_true", "y_pred", "num_classes"))
    rng = np.random.default_rng(78)
    unbalanced = np.r_[np.zeros(30, dtype=np.int64), [1, 1, 1, 2, 2]]
    never_predicted = rng.integers(0, 4, 24)
    frequent, noise = rng.choice(4, 40, p=[0.55, 0.25, 0.15, 0.05]), rng.integers(0, 4, 40)
    cases = [
        ("N=40, K=4", frequent, np.where(rng.uniform(size=40) < 0.6, frequent, noise), 4),
        (
            "class 2 never predicted",
            never_predicted,
            np.where(never_predicted == 2, 0, never_predicted),
            4,
        ),
        ("class 3 predicted but never true", np.r_[0, 1, 2, 0, 1, 2], np.r_[0, 1, 3, 0, 3, 2], 4),
        ("class 4 of 5 in neither list", rng.integers(0, 4, 20), rng.integers(0, 4, 20), 5),
        (
            "always class 0, 30 of 35 true labels class 0",
            unbalanced,
            np.zeros(35, dtype=np.int64),
            3,
        ),
        ("every prediction right", np.r_[2, 0, 1, 1, 2], np.r_[2, 0, 1, 1, 2], 3),
        ("N=1, K=3", np.r_[1], np.r_[1], 3),
        ("unbalanced, random predictions", unbalanced, rng.integers(0, 3, 35), 3),
    ]
    for description, y_true, y_pred, num_classes in cases:
        case = Case(name, f"case '{description}'")
        given_true, given_pred = tensor_argument(y_true, "int64"), tensor_argument(y_pred, "int64")
        got = case.run(macro_f1, given_true, given_pred, num_classes)
        case.unchanged("y_true", y_true, given_true.numpy())
        case.unchanged("y_pred", y_pred, given_pred.numpy())
        case.close(
            "the macro-F1",
            got,
            _macro_f1(y_true, y_pred),
            rtol=1e-6,
            atol=1e-12,
            hint="F1 of class k = 2 TP / (2 TP + FP + FN), 0 when the class occurs but TP = 0; "
            "average it over the classes that occur in y_true or y_pred (a class in neither "
            "has no F1 and is left out), each class counting once, however many examples "
            "it has",
        )
    passed(name, len(cases))


# ---------------------------------------------------------------- ROUGE-1


def _rouge1_reference(candidate: list[str], reference: list[str]) -> float:
    """ROUGE-1 F1 from the definition: clipped counts of the shared words."""
    overlap = sum((Counter(candidate) & Counter(reference)).values())
    return _f1(overlap, len(candidate), len(reference))


@checker
def check_rouge1_f1(rouge1_f1: Callable) -> None:
    """Check ``rouge1_f1(candidate, reference)``: ROUGE-1 F1 of two lists of words."""
    name = "rouge1_f1"
    require_function(rouge1_f1, name, ("candidate", "reference"))
    rng = np.random.default_rng(79)
    vocabulary = ["the", "a", "file", "return", "size", "of", "value", "list"]
    cases = [
        (
            "the worked example",
            ["return", "the", "size", "of", "the", "file"],
            ["return", "the", "file", "s", "size", "in", "bytes"],
        ),
        ("a word repeated in the candidate only", ["the", "the", "the"], ["the", "cat"]),
        ("a word repeated in both", ["the", "cat", "the"], ["the", "the", "dog"]),
        ("the same words in another order", ["b", "a", "c"], ["c", "b", "a"]),
        ("no word shared", ["x", "y"], ["a", "b", "c"]),
        ("an empty candidate", [], ["return", "the", "value"]),
        ("an empty reference", ["return", "the", "value"], []),
        ("one word, the same", ["close"], ["close"]),
    ]
    cases += [
        (
            f"random words {i + 1}",
            [str(w) for w in rng.choice(vocabulary, size=rng.integers(1, 12))],
            [str(w) for w in rng.choice(vocabulary, size=rng.integers(1, 12))],
        )
        for i in range(3)
    ]
    for description, candidate, reference in cases:
        case = Case(name, f"case '{description}'")
        given = (list(candidate), list(reference))
        got = case.run(rouge1_f1, *given)
        inputs = zip(("candidate", "reference"), (candidate, reference), given, strict=True)
        for what, before, after in inputs:
            if after != before:
                raise case.fail(f"your function changed {what}, which was passed in")
        want = _rouge1_reference(candidate, reference)
        case.close(
            "ROUGE-1 F1",
            got,
            want,
            rtol=1e-12,
            atol=1e-12,
            hint="count each shared word at most as often as it occurs in the candidate and in "
            "the reference; precision divides by the candidate's length, recall by the "
            "reference's; 0.0 when nothing is shared",
        )
    passed(name, len(cases))
