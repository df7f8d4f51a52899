"""Seeded initialisers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from companion.scratch import (
    as_generator,
    normal,
    orthogonal,
    uniform,
    xavier_normal,
    xavier_std,
    xavier_uniform,
)

INITIALISERS = [uniform, normal, xavier_uniform, xavier_normal, orthogonal]


@pytest.mark.parametrize("init", INITIALISERS)
def test_shape_dtype_and_seeding(init):
    a = init((30, 20), seed=5)
    assert a.shape == (30, 20) and a.dtype == np.float64
    np.testing.assert_array_equal(a, init((30, 20), seed=5))
    assert not np.array_equal(a, init((30, 20), seed=6))
    rng = np.random.default_rng(0)
    assert not np.array_equal(init((30, 20), seed=rng), init((30, 20), seed=rng))
    assert init((30, 20), seed=5, dtype=np.float32).dtype == np.float32


def test_uniform_and_normal_ranges():
    u = uniform(10_000, -2.0, 3.0, seed=0)
    assert u.shape == (10_000,) and u.min() >= -2.0 and u.max() < 3.0
    n = normal((200, 100), mean=1.0, std=0.5, seed=0)
    assert n.mean() == pytest.approx(1.0, abs=0.01) and n.std() == pytest.approx(0.5, rel=0.02)


@pytest.mark.parametrize("init", [xavier_uniform, xavier_normal])
def test_xavier_variance(init):
    shape = (300, 200)
    w = init(shape, gain=2.0, seed=0)
    assert xavier_std(shape, gain=2.0) == pytest.approx(2.0 * np.sqrt(2 / 500))
    assert w.std() == pytest.approx(xavier_std(shape, gain=2.0), rel=0.02)
    assert abs(w.mean()) < 0.01


@pytest.mark.parametrize("shape", [(6, 6), (8, 3), (3, 8)])
def test_orthogonal_is_orthogonal(shape):
    w = orthogonal(shape, gain=1.5, seed=0)
    rows, cols = shape
    gram = w.T @ w if rows >= cols else w @ w.T
    np.testing.assert_allclose(gram, 1.5**2 * np.eye(min(shape)), atol=1e-12)


def test_bad_arguments():
    message = "shape: expected a 2-D shape (fan_in, fan_out), got (3,)"
    with pytest.raises(ValueError, match=re.escape(message)):
        orthogonal(3)
    message = "seed: expected an int or a numpy.random.Generator, got 1.5 of type float"
    with pytest.raises(TypeError, match=message):
        as_generator(1.5)
    with pytest.raises(ValueError, match="seed: expected a non-negative int, got -1"):
        as_generator(-1)
