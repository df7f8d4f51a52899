"""companion.nn.scan: the parallel scans give the loop's hidden states, and their gradients."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.nn.scan import (
    METHODS,
    linear_recurrence_loop,
    linear_recurrence_scan,
    scan_rounds,
)


def random_inputs(B, T, H, seed=0, dtype=torch.float64, h0=True):
    generator = torch.Generator().manual_seed(seed)
    a = torch.rand(B, T, H, generator=generator, dtype=dtype) * 1.8 - 0.9  # |a| < 0.9
    b = torch.randn(B, T, H, generator=generator, dtype=dtype)
    initial = torch.randn(B, H, generator=generator, dtype=dtype) if h0 else None
    return a, b, initial


def by_definition(a, b, h0):
    """h_t written out as a sum: h0 * prod(a_1..a_t) + sum_s b_s * prod(a_{s+1}..a_t)."""
    B, T, H = a.shape
    out = torch.empty_like(b)
    for t in range(T):
        total = (h0 if h0 is not None else torch.zeros(B, H, dtype=a.dtype)) * a[:, : t + 1].prod(1)
        for s in range(t + 1):
            total = total + b[:, s] * a[:, s + 1 : t + 1].prod(1)
        out[:, t] = total
    return out


def test_loop_matches_the_definition():
    a, b, h0 = random_inputs(2, 6, 3)
    torch.testing.assert_close(linear_recurrence_loop(a, b, h0), by_definition(a, b, h0))
    torch.testing.assert_close(linear_recurrence_loop(a, b), by_definition(a, b, None))


@settings(max_examples=60, deadline=None)
@given(
    B=st.integers(1, 3),
    T=st.integers(1, 70),
    H=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    with_h0=st.booleans(),
    method=st.sampled_from(METHODS),
)
def test_scan_equals_loop_on_random_inputs(B, T, H, seed, with_h0, method):
    a, b, h0 = random_inputs(B, T, H, seed, h0=with_h0)
    expected = linear_recurrence_loop(a, b, h0)
    got = linear_recurrence_scan(a, b, h0, method=method)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("T", [1, 2, 3, 5, 31, 32, 33, 100])
def test_edge_lengths(method, T):
    """T = 1, powers of two and their neighbours (odd lengths leave an unpaired step)."""
    a, b, h0 = random_inputs(2, T, 3, seed=T)
    torch.testing.assert_close(
        linear_recurrence_scan(a, b, h0, method=method), linear_recurrence_loop(a, b, h0)
    )


@pytest.mark.parametrize("method", METHODS)
def test_special_values_of_a(method):
    """a = 0 forgets everything (h_t = b_t); a = 1 adds up (h_t = h0 + cumulative sum of b)."""
    _, b, h0 = random_inputs(2, 9, 3)
    zeros, ones = torch.zeros_like(b), torch.ones_like(b)
    torch.testing.assert_close(linear_recurrence_scan(zeros, b, h0, method=method), b)
    torch.testing.assert_close(
        linear_recurrence_scan(ones, b, h0, method=method), h0[:, None] + b.cumsum(1)
    )


@pytest.mark.parametrize("method", METHODS)
def test_complex_decays(method):
    """Complex diagonal recurrences (as in the LRU) work too."""
    generator = torch.Generator().manual_seed(1)
    shape = (2, 13, 3)
    radius = torch.rand(shape, generator=generator, dtype=torch.float64)
    angle = torch.rand(shape, generator=generator, dtype=torch.float64) * 2 * math.pi
    a = torch.polar(radius, angle)
    b = torch.randn(shape, generator=generator, dtype=torch.complex128)
    torch.testing.assert_close(
        linear_recurrence_scan(a, b, method=method), linear_recurrence_loop(a, b)
    )


@pytest.mark.parametrize("method", METHODS)
def test_gradients_match_the_loop(method):
    a, b, h0 = random_inputs(2, 11, 3, seed=5)
    weights = torch.randn(2, 11, 3, dtype=torch.float64)
    grads = []
    for run in (linear_recurrence_loop, lambda *x: linear_recurrence_scan(*x, method=method)):
        leaves = [t.clone().requires_grad_() for t in (a, b, h0)]
        (run(*leaves) * weights).sum().backward()
        grads.append([leaf.grad for leaf in leaves])
    for loop_grad, scan_grad in zip(*grads, strict=True):
        torch.testing.assert_close(scan_grad, loop_grad)


def test_float32_stays_close_on_long_sequences():
    a, b, _ = random_inputs(1, 4096, 4, dtype=torch.float32, h0=False)
    a = 0.9 + 0.1 * a.abs()  # decays in [0.9, 0.99): long memory
    expected = linear_recurrence_loop(a.double(), b.double())
    for method in METHODS:
        got = linear_recurrence_scan(a, b, method=method).double()
        assert (got - expected).abs().max() < 1e-4


def test_scan_rounds():
    assert [scan_rounds(T, "hillis-steele") for T in (1, 2, 3, 4, 5, 1024, 1025)] == [
        0,
        1,
        2,
        2,
        3,
        10,
        11,
    ]
    assert [scan_rounds(T, "work-efficient") for T in (1, 2, 3, 4, 1024, 1025)] == [
        0,
        2,
        2,
        4,
        20,
        20,
    ]
    assert scan_rounds(7, "loop") == 7


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda a, b, h: linear_recurrence_scan(a.numpy(), b), TypeError, "a: expected a torch"),
        (lambda a, b, h: linear_recurrence_loop(a, b.long()), TypeError, "b: expected a floating"),
        (lambda a, b, h: linear_recurrence_scan(a[0], b), ValueError, r"a: expected .*\(B, T, H\)"),
        (lambda a, b, h: linear_recurrence_scan(a[:, :0], b[:, :0]), ValueError, "non-empty"),
        (lambda a, b, h: linear_recurrence_loop(a, b[:, :2]), ValueError, r"b: expected the shape"),
        (lambda a, b, h: linear_recurrence_scan(a, b, h[:1]), ValueError, r"h0: expected shape"),
        (lambda a, b, h: linear_recurrence_scan(a, b, [1.0]), TypeError, "h0: expected None"),
        (lambda a, b, h: linear_recurrence_scan(a, b, method="blelloch"), ValueError, "method"),
        (lambda a, b, h: scan_rounds(0), ValueError, "steps"),
        (lambda a, b, h: scan_rounds(4, "fast"), ValueError, "method"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    a, b, h0 = random_inputs(2, 5, 3)
    with pytest.raises(error, match=message):
        call(a, b, h0)
