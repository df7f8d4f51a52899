"""A classifier's scores class by class, from its labels, and the averages that weight
every class equally.

Every function takes the true labels ``y_true`` and the predicted labels ``y_pred``, two
``(N,)`` arrays of integer class ids in ``[0, K)`` (NumPy arrays, lists, or CPU torch
tensors: anything ``numpy.asarray`` reads), and the number of classes ``num_classes``,
``K``. For class ``k``, with ``TP`` the examples of class ``k`` predicted as ``k``, ``FN``
those of class ``k`` predicted as another class and ``FP`` those of other classes predicted
as ``k``:

* *recall* ``TP / (TP + FN)``: the share of the class's examples that are found;
* *precision* ``TP / (TP + FP)``: the share of the predictions of ``k`` that are right;
* *F1* ``2 TP / (2 TP + FP + FN)``: the harmonic mean of the two (and 0 when ``TP = 0``);
* *balanced accuracy*: the mean recall over the classes;
* *macro-F1*: the mean F1 over the classes.

**The rule for a class that is absent.** A share with nothing to count is undefined, and
is NaN: the recall of a class that does not occur in ``y_true``, the precision of a class
that is never predicted, and the F1 of a class that occurs in neither. The averages leave
the NaN out: balanced accuracy is the mean recall over the classes that occur in
``y_true``, and macro-F1 the mean F1 over the classes that occur in ``y_true`` or
``y_pred``, as scikit-learn's ``balanced_accuracy_score`` and
``f1_score(average="macro")`` compute them when given no ``labels``. A class that occurs
but is never predicted is not absent: its recall and its F1 are 0, and they count.

Taught in the book's section 7.11, book/07-faq/11-long-tails.md.
"""

from __future__ import annotations

import numpy as np

from companion._validate import check_ids, check_positive_int, shape_error


def confusion_matrix(y_true: object, y_pred: object, num_classes: int) -> np.ndarray:
    """``(K, K)`` int64 counts: entry ``[i, j]`` is the number of examples of class ``i``
    predicted as class ``j`` (rows: true classes; columns: predicted classes).

    Args:
        y_true: ``(N,)`` integer class ids in ``[0, K)``, ``N >= 1``.
        y_pred: ``(N,)`` integer class ids in ``[0, K)``.
        num_classes: ``K``, a positive int.

    Raises:
        TypeError: ``num_classes`` is not an int, or the labels are not integers.
        ValueError: ``num_classes < 1``; labels that are not 1-D, empty, of different
            lengths, or outside ``[0, K)``.
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    true = check_ids(y_true, "y_true", num_classes)
    if true.ndim != 1:
        raise shape_error("y_true", "(N,)", true.shape)
    if true.size == 0:
        raise ValueError("y_true: expected at least one label, got none")
    pred = check_ids(y_pred, "y_pred", num_classes, true.shape, "(N,)")
    flat = true.astype(np.int64) * num_classes + pred.astype(np.int64)
    return np.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)


def _shares(hits: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """``hits / totals`` as float64, NaN where ``totals`` is 0."""
    out = np.full(totals.shape, np.nan)
    np.divide(hits, totals, out=out, where=totals > 0)
    return out


def per_class_recall(y_true: object, y_pred: object, num_classes: int) -> np.ndarray:
    """``(K,)`` float64: the recall ``TP / (TP + FN)`` of each class; NaN for a class that
    does not occur in ``y_true``. Arguments and errors as :func:`confusion_matrix`."""
    counts = confusion_matrix(y_true, y_pred, num_classes)
    return _shares(np.diag(counts), counts.sum(axis=1))


def per_class_precision(y_true: object, y_pred: object, num_classes: int) -> np.ndarray:
    """``(K,)`` float64: the precision ``TP / (TP + FP)`` of each class; NaN for a class
    that is never predicted. Arguments and errors as :func:`confusion_matrix`."""
    counts = confusion_matrix(y_true, y_pred, num_classes)
    return _shares(np.diag(counts), counts.sum(axis=0))


def per_class_f1(y_true: object, y_pred: object, num_classes: int) -> np.ndarray:
    """``(K,)`` float64: the F1 score ``2 TP / (2 TP + FP + FN)`` of each class, the harmonic
    mean of its precision and recall (0 when ``TP = 0``); NaN for a class that occurs in
    neither ``y_true`` nor ``y_pred``. Arguments and errors as :func:`confusion_matrix`.

    Taught in the book's section 7.11, book/07-faq/11-long-tails.md.
    """
    counts = confusion_matrix(y_true, y_pred, num_classes)
    true_positives = np.diag(counts)
    return _shares(2 * true_positives, counts.sum(axis=0) + counts.sum(axis=1))


def balanced_accuracy(y_true: object, y_pred: object, num_classes: int) -> float:
    """The mean of :func:`per_class_recall` over the classes that occur in ``y_true``.

    It is the accuracy the classifier would have if every class were equally frequent: a
    classifier that always predicts the same class of ``y_true`` scores ``1 / K'``, with
    ``K'`` the number of classes in ``y_true``. Arguments and errors as :func:`confusion_matrix`."""
    return float(np.nanmean(per_class_recall(y_true, y_pred, num_classes)))


def macro_f1(y_true: object, y_pred: object, num_classes: int) -> float:
    """The mean of :func:`per_class_f1` over the classes that occur in ``y_true`` or
    ``y_pred``: every class counts equally, however many examples it has. Arguments and
    errors as :func:`confusion_matrix`."""
    return float(np.nanmean(per_class_f1(y_true, y_pred, num_classes)))
