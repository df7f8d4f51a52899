"""Stable softmax, log-softmax and softmax cross-entropy."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from companion.scratch import log_softmax, softmax, softmax_cross_entropy


def test_softmax_and_log_softmax_survive_huge_logits():
    z = np.array([[1000.0, 1000.0, -1000.0], [-1e300, 0.0, 1e300]])
    p = softmax(z)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(log_softmax(z)[0, :2], np.log(0.5))


def test_softmax_along_an_axis_sums_to_one_and_matches_log_softmax():
    z = np.random.default_rng(0).normal(size=(3, 4, 5))
    for axis in (0, 1, -1):
        np.testing.assert_allclose(softmax(z, axis).sum(axis), 1.0)
        np.testing.assert_allclose(np.log(softmax(z, axis)), log_softmax(z, axis), atol=1e-12)


@pytest.mark.parametrize("shape", [(7, 4), (2, 3, 5), (1, 1, 1)])
def test_cross_entropy_and_gradient_equal_torch(shape):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=shape) * 3
    targets = rng.integers(0, shape[-1], shape[:-1])
    loss, dlogits = softmax_cross_entropy(logits, targets)
    t_logits = torch.tensor(logits, requires_grad=True)
    t_loss = F.cross_entropy(t_logits.reshape(-1, shape[-1]), torch.from_numpy(targets).reshape(-1))
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), abs=1e-12)
    assert dlogits.shape == shape
    np.testing.assert_allclose(dlogits, t_logits.grad.numpy(), atol=1e-12)


def test_cross_entropy_is_stable_for_a_confident_wrong_prediction():
    loss, dlogits = softmax_cross_entropy(np.array([[0.0, 800.0]]), np.array([0]))
    assert loss == pytest.approx(800.0)
    np.testing.assert_allclose(dlogits, [[-1.0, 1.0]])


@pytest.mark.parametrize(
    "logits, targets, error, match",
    [
        (
            np.zeros((2, 3)),
            np.zeros(3, dtype=int),
            ValueError,
            "targets: expected shape logits.shape[:-1] = (2,), got (3,)",
        ),
        (
            np.zeros((2, 3)),
            np.array([0, 3]),
            ValueError,
            "targets: expected ids in [0, 3), got values from 0 to 3",
        ),
        (
            np.zeros((2, 3)),
            np.zeros(2),
            TypeError,
            "targets: expected integer ids, got dtype float64",
        ),
        (
            np.zeros((0, 3)),
            np.zeros(0, dtype=int),
            ValueError,
            "logits: expected shape (..., V) with at least one position and V >= 1, got (0, 3)",
        ),
    ],
)
def test_bad_cross_entropy_arguments(logits, targets, error, match):
    with pytest.raises(error, match=re.escape(match)):
        softmax_cross_entropy(logits, targets)
