"""Softmax, log-softmax and the softmax cross-entropy loss, numerically stable.

Subtracting the row maximum before ``exp`` changes nothing mathematically
(``softmax(z) = softmax(z - c)``) but keeps ``exp`` from overflowing: this is the
log-sum-exp trick, ``log sum_j exp(z_j) = m + log sum_j exp(z_j - m)`` with ``m = max_j z_j``.
"""

from __future__ import annotations

import numpy as np

from companion._validate import as_array, check_ids, shape_error


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``z - logsumexp(z)`` along ``axis``; never overflows. Same shape as ``z``."""
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Probabilities ``exp(z) / sum(exp(z))`` along ``axis``. Same shape as ``z``."""
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``softmax(logits)`` against integer targets, and its gradient.

    Args:
        logits: ``(..., V)`` unnormalised scores, e.g. ``(B, T, V)`` or ``(N, V)``.
        targets: ``(...)`` integer classes in ``[0, V)``, the leading shape of ``logits``.

    Returns:
        ``(loss, dlogits)``: ``loss = -mean(log softmax(logits)[target])`` over all
        positions (in nats), and ``dlogits = (softmax(logits) - onehot(targets)) / N``
        of the same shape as ``logits``, where ``N`` is the number of positions.

    Taught in the book's section 3.2, book/03-math/02-loss.md.
    """
    logits = as_array(logits, "logits")
    if logits.ndim < 1 or logits.size == 0:
        raise shape_error("logits", "(..., V) with at least one position and V >= 1", logits.shape)
    num_classes = logits.shape[-1]
    targets = check_ids(targets, "targets", num_classes, logits.shape[:-1], "logits.shape[:-1]")
    flat = logits.reshape(-1, num_classes)
    rows = np.arange(flat.shape[0])
    labels = targets.reshape(-1)

    # loss_n = logsumexp(z_n) - z_n[y_n], computed on z - max(z) so exp cannot overflow
    shifted = flat - flat.max(axis=1, keepdims=True)
    dlogits = np.exp(shifted)
    sums = dlogits.sum(axis=1)
    loss = float(np.mean(np.log(sums) - shifted[rows, labels]))
    dlogits /= sums[:, None]  # softmax
    dlogits[rows, labels] -= 1
    dlogits /= flat.shape[0]
    return loss, dlogits.reshape(logits.shape)
