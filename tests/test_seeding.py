"""companion.seed_everything seeds Python, NumPy and torch; bad seeds are clear errors."""

import random
import subprocess
import sys

import numpy as np
import pytest
import torch

from companion import seed_everything


def _draw():
    return random.random(), np.random.rand(), torch.rand(1).item()  # noqa: NPY002 (global state on purpose)


def test_same_seed_same_numbers():
    seed_everything(123)
    first = _draw()
    seed_everything(123)
    assert _draw() == first


def test_different_seeds_differ():
    seed_everything(1)
    first = _draw()
    seed_everything(2)
    second = _draw()
    assert all(a != b for a, b in zip(first, second, strict=True))


def test_returns_a_seeded_generator():
    a = seed_everything(7).normal(size=3)
    b = np.random.default_rng(7).normal(size=3)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [-1, 2**32])
def test_out_of_range_seed(bad):
    with pytest.raises(ValueError, match=r"seed: expected 0 <= seed < 2\*\*32"):
        seed_everything(bad)


@pytest.mark.parametrize("bad", [1.5, "3", True, None])
def test_non_integer_seed(bad):
    with pytest.raises(TypeError, match="seed: expected an int"):
        seed_everything(bad)


def test_importing_companion_does_not_import_torch():
    code = "import sys, companion; companion.seed_everything(0); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # seed_everything seeds torch when it is installed, so torch is imported by that call;
    # a bare `import companion` must not import it.
    bare = subprocess.run(
        [sys.executable, "-c", "import sys, companion; print('torch' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert bare.stdout.strip() == "False"
    assert out.stdout.strip() == "True"
