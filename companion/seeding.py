"""Seed every source of randomness the course uses, in one call."""

from __future__ import annotations

import os
import random

import numpy as np

from companion._validate import check_int


def seed_everything(seed: int, *, deterministic: bool = False) -> np.random.Generator:
    """Seed Python's ``random``, NumPy's global state and torch (CPU and CUDA).

    Args:
        seed: a non-negative integer below 2**32.
        deterministic: also ask torch for deterministic algorithms (slower on GPU).

    Returns:
        A fresh ``numpy.random.Generator`` seeded with ``seed``, for code that prefers an
        explicit generator to global state.
    """
    if not 0 <= check_int(seed, "seed") < 2**32:
        raise ValueError(f"seed: expected 0 <= seed < 2**32, got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (legacy global state, for code that still uses it)
    os.environ["PYTHONHASHSEED"] = str(seed)  # for subprocesses started from here
    try:
        import torch
    except ImportError:  # the NumPy chapters do not need torch
        pass
    else:
        torch.manual_seed(seed)  # also seeds every CUDA device
        if deterministic:
            torch.use_deterministic_algorithms(True)
            torch.backends.cudnn.benchmark = False
    return np.random.default_rng(seed)
