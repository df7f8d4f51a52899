"""Per-class recall, precision and F1, balanced accuracy and macro-F1 from labels: a small
example worked by hand, scikit-learn's scores as the reference, the rule for absent classes,
and the errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn.metrics
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.metrics import (
    balanced_accuracy,
    confusion_matrix,
    macro_f1,
    per_class_f1,
    per_class_precision,
    per_class_recall,
)

NAN = np.nan

# Four classes; class 2 is never predicted, class 3 occurs in neither list.
Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 2])
Y_PRED = np.array([0, 0, 0, 1, 1, 0, 0])


def test_a_small_example_by_hand():
    assert confusion_matrix(Y_TRUE, Y_PRED, 4).tolist() == [
        [3, 1, 0, 0],
        [1, 1, 0, 0],
        [1, 0, 0, 0],
        [0, 0, 0, 0],
    ]
    # class 0: TP 3, FN 1, FP 2; class 1: TP 1, FN 1, FP 1; class 2: TP 0, FN 1, FP 0
    np.testing.assert_allclose(per_class_recall(Y_TRUE, Y_PRED, 4), [3 / 4, 1 / 2, 0, NAN])
    np.testing.assert_allclose(per_class_precision(Y_TRUE, Y_PRED, 4), [3 / 5, 1 / 2, NAN, NAN])
    np.testing.assert_allclose(per_class_f1(Y_TRUE, Y_PRED, 4), [6 / 9, 2 / 4, 0, NAN])
    assert balanced_accuracy(Y_TRUE, Y_PRED, 4) == pytest.approx((3 / 4 + 1 / 2 + 0) / 3)
    assert macro_f1(Y_TRUE, Y_PRED, 4) == pytest.approx((2 / 3 + 1 / 2 + 0) / 3)


def test_f1_is_the_harmonic_mean_of_precision_and_recall():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    precision = per_class_precision(y_true, y_pred, 5)
    recall = per_class_recall(y_true, y_pred, 5)
    harmonic = 2 * precision * recall / (precision + recall)
    np.testing.assert_allclose(per_class_f1(y_true, y_pred, 5), harmonic)


# Labels of up to 6 classes, some of which may be absent from either list.
labels = st.integers(1, 6).flatmap(
    lambda k: st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            st.just(k),
            st.lists(st.integers(0, k - 1), min_size=n, max_size=n),
            st.lists(st.integers(0, k - 1), min_size=n, max_size=n),
        )
    )
)


@settings(max_examples=60, deadline=None)
@given(labels)
def test_agrees_with_scikit_learn(case):
    k, y_true, y_pred = case
    y_true, y_pred = np.array(y_true), np.array(y_pred)
    every = list(range(k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns about undefined shares and absent classes
        want = {
            "matrix": sklearn.metrics.confusion_matrix(y_true, y_pred, labels=every),
            "recall": sklearn.metrics.recall_score(
                y_true, y_pred, labels=every, average=None, zero_division=NAN
            ),
            "precision": sklearn.metrics.precision_score(
                y_true, y_pred, labels=every, average=None, zero_division=NAN
            ),
            "f1": sklearn.metrics.f1_score(
                y_true, y_pred, labels=every, average=None, zero_division=NAN
            ),
            "balanced": sklearn.metrics.balanced_accuracy_score(y_true, y_pred),
            "macro": sklearn.metrics.f1_score(y_true, y_pred, average="macro"),
        }
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, k), want["matrix"])
    np.testing.assert_allclose(per_class_recall(y_true, y_pred, k), want["recall"])
    np.testing.assert_allclose(per_class_precision(y_true, y_pred, k), want["precision"])
    np.testing.assert_allclose(per_class_f1(y_true, y_pred, k), want["f1"])
    assert balanced_accuracy(y_true, y_pred, k) == pytest.approx(want["balanced"])
    assert macro_f1(y_true, y_pred, k) == pytest.approx(want["macro"])


def test_an_absent_class_is_nan_and_left_out_of_the_averages():
    # 5 classes: 3 never occurs in y_true, 4 occurs nowhere; 3 is predicted once
    y_true = np.array([0, 0, 1, 2])
    y_pred = np.array([0, 3, 1, 2])
    recall = per_class_recall(y_true, y_pred, 5)
    assert np.isnan(recall[[3, 4]]).all() and not np.isnan(recall[:3]).any()
    assert balanced_accuracy(y_true, y_pred, 5) == pytest.approx((1 / 2 + 1 + 1) / 3)
    f1 = per_class_f1(y_true, y_pred, 5)
    assert f1[3] == 0 and np.isnan(f1[4])  # predicted but absent: counts, with 0
    assert macro_f1(y_true, y_pred, 5) == pytest.approx((2 / 3 + 1 + 1 + 0) / 4)
    # the same labels with one class more that occurs nowhere: nothing changes
    assert macro_f1(y_true, y_pred, 6) == macro_f1(y_true, y_pred, 5)


def test_a_class_that_occurs_but_is_never_predicted_counts_with_zero():
    y_true = np.array([0, 0, 0, 1])
    y_pred = np.zeros(4, dtype=np.int64)
    assert per_class_recall(y_true, y_pred, 2).tolist() == [1.0, 0.0]
    assert np.isnan(per_class_precision(y_true, y_pred, 2)[1])
    assert per_class_f1(y_true, y_pred, 2)[1] == 0.0
    assert macro_f1(y_true, y_pred, 2) == pytest.approx((2 * 3 / 7) / 2)


def test_the_majority_class_scores_one_over_k():
    rng = np.random.default_rng(1)
    y_true = np.r_[np.zeros(90, dtype=int), rng.integers(1, 6, 30)]
    y_true[-5:] = [1, 2, 3, 4, 5]  # every class occurs
    majority = np.zeros_like(y_true)
    assert (majority == y_true).mean() == pytest.approx(0.75)
    assert balanced_accuracy(y_true, majority, 6) == pytest.approx(1 / 6)
    share = 0.75
    assert macro_f1(y_true, majority, 6) == pytest.approx(2 * share / (1 + share) / 6)


def test_perfect_predictions_score_one():
    y = np.array([2, 0, 1, 1, 2])
    assert balanced_accuracy(y, y, 3) == 1.0 and macro_f1(y, y, 3) == 1.0


def test_lists_and_torch_tensors_are_accepted():
    want = macro_f1(Y_TRUE, Y_PRED, 4)
    assert macro_f1(Y_TRUE.tolist(), Y_PRED.tolist(), 4) == want
    assert macro_f1(torch.tensor(Y_TRUE), torch.tensor(Y_PRED), 4) == want
    assert isinstance(want, float) and isinstance(balanced_accuracy(Y_TRUE, Y_PRED, 4), float)


def test_the_inputs_are_not_changed():
    y_true, y_pred = Y_TRUE.copy(), Y_PRED.copy()
    per_class_f1(y_true, y_pred, 4)
    assert (y_true == Y_TRUE).all() and (y_pred == Y_PRED).all()


@pytest.mark.parametrize(
    "y_true, y_pred, num_classes, error, message",
    [
        ([0, 1], [0, 1], 0, ValueError, "num_classes: expected a positive int, got 0"),
        ([0, 1], [0, 1], 2.0, TypeError, "num_classes: expected a positive int"),
        ([0, 1], [0, 1], True, TypeError, "num_classes: expected a positive int"),
        ([0.0, 1.0], [0, 1], 2, TypeError, "y_true: expected integer ids, got dtype float64"),
        ([0, 1], [True, False], 2, TypeError, "y_pred: expected an array of integers"),
        ([[0, 1]], [[0, 1]], 2, ValueError, r"y_true: expected shape \(N,\), got \(1, 2\)"),
        (np.array([], int), [], 2, ValueError, "y_true: expected at least one label, got none"),
        ([0, 1, 1], [0, 1], 2, ValueError, r"y_pred: expected shape \(N,\) = \(3,\), got \(2,\)"),
        ([0, 2], [0, 1], 2, ValueError, r"y_true: expected ids in \[0, 2\), got values from 0 "),
        ([0, 1], [-1, 1], 2, ValueError, r"y_pred: expected ids in \[0, 2\), got values from -1"),
    ],
)
def test_bad_input_names_the_argument(y_true, y_pred, num_classes, error, message):
    for function in (confusion_matrix, per_class_recall, macro_f1, balanced_accuracy):
        with pytest.raises(error, match=message):
            function(y_true, y_pred, num_classes)
