"""Fixtures for the tests of companion.scratch."""

from __future__ import annotations

import contextlib

import pytest


@pytest.fixture(autouse=True, scope="package")
def one_thread_each():
    """One BLAS thread and one torch thread while these tests run.

    pytest-xdist runs two workers on two cores; with more threads they fight, and on a
    busy machine OpenBLAS's waiting threads made a 1.5 s training test take 30 s.
    """
    import torch

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # then only OPENBLAS_NUM_THREADS (set by `make test`) limits BLAS
        blas_limit = contextlib.nullcontext()
    else:
        blas_limit = threadpool_limits(limits=1, user_api="blas")
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    with blas_limit:
        yield
    torch.set_num_threads(previous)
