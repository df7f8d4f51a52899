"""companion.distributed, launched as a reader would launch it: with torchrun, on CPUs (gloo).

One process and two processes train the same model on the same global minibatches, so
they must end with the same weights, up to float32 rounding.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
import torch

from companion.distributed import parse_args

STEPS = 3


def torchrun(nproc: int, folder) -> tuple[dict, dict]:
    """Run ``torchrun --nproc_per_node=nproc -m companion.distributed``; its JSON and weights."""
    out, save = folder / f"run{nproc}.json", folder / f"run{nproc}.pt"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone",
        f"--nproc_per_node={nproc}", "-m", "companion.distributed",
        f"--steps={STEPS}", "--global-batch=8", "--seq-len=32", "--hidden=32",
        "--backend=gloo", f"--out={out}", f"--save={save}",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"step {STEPS:4d}/{STEPS}" in done.stdout
    return json.loads(out.read_text()), torch.load(save, weights_only=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    return {nproc: torchrun(nproc, folder) for nproc in (1, 2)}


def test_one_process_trains(runs):
    summary, _ = runs[1]
    assert summary["world_size"] == 1 and summary["backend"] == "gloo"
    assert summary["local_batch"] == summary["global_batch"] == 8
    assert len(summary["loss"]) == STEPS and all(map(math.isfinite, summary["loss"]))
    assert summary["loss"][-1] < summary["loss"][0]


def test_two_processes_compute_what_one_computes(runs):
    (one, weights_one), (two, weights_two) = runs[1], runs[2]
    assert two["world_size"] == 2 and two["local_batch"] == 4
    assert two["max_weight_difference_between_ranks"] == 0.0
    assert one["loss"] == pytest.approx(two["loss"], abs=1e-4)
    assert weights_one.keys() == weights_two.keys()
    for name in weights_one:
        torch.testing.assert_close(weights_two[name], weights_one[name], rtol=0, atol=1e-4)


@pytest.mark.parametrize("argument", ["--steps=0", "--global-batch=-1", "--backend=mpi"])
def test_bad_arguments_are_refused(argument, capsys):
    with pytest.raises(SystemExit):
        parse_args([argument])
    assert "error" in capsys.readouterr().err
