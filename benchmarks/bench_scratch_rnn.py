"""One training step of the NumPy RNN against torch.nn.RNN on the CPU, in float32.

A step is forward + mean cross-entropy + backward to every parameter gradient, with no
optimiser update. Three candidates, on the same float32 weights and the same batch:

* ``scratch_ids``: ``companion.scratch.RNN.loss_and_grads`` on integer ids ``(B, T)``
  (the input projection is a row gather ``W_xh[ids]``);
* ``scratch_onehot``: the same on the one-hot float input ``(B, T, V)``;
* ``torch_onehot``: ``torch.nn.RNN(batch_first=True)`` + ``nn.Linear`` +
  ``F.cross_entropy`` and ``loss.backward()``, on the one-hot float input.

Beside them, the *floor* of each NumPy candidate: only the matrix products that the
algorithm cannot avoid, timed bare with the same library, shapes and threads, into ready
``out=`` buffers (``floor_ids`` and ``floor_onehot``, see :func:`floor_step`). No
implementation of the step on NumPy can be faster than its floor; ``scratch_time_over_floor``
says how far above it the NumPy RNN is.

Each thread count runs in fresh processes (BLAS reads its thread count at start-up). With
one thread, one process times the three candidates in turn, repeatedly, and compares their
medians. With more threads that would be unfair: NumPy's OpenBLAS and torch's OpenMP each
keep a pool of threads that spin for a while after every call, and in one process each
pool steals the cores the other one needs next (torch lost half its speed that way here).
So then every candidate runs in its own process, and the processes alternate in rounds
(A, B, C, A, B, C, ...); each process reports the median of its repeats, and the table
the median over rounds.

    python benchmarks/bench_scratch_rnn.py [--threads 1 2] [--repeats 7] [--rounds 3]

writes ``benchmarks/results/scratch_rnn.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable

import numpy as np
from common import interleaved_medians, machine_info, write_result

NAMES = ["scratch_ids", "scratch_onehot", "torch_onehot", "floor_ids", "floor_onehot"]
FLOOR_OF = {"scratch_ids": "floor_ids", "scratch_onehot": "floor_onehot"}
SIZES = [
    {"V": 65, "H": 128, "T": 32, "B": 32},
    {"V": 65, "H": 256, "T": 64, "B": 64},
    {"V": 96, "H": 512, "T": 64, "B": 32},
]

FAIRNESS = (
    "All three compute the same function from the same float32 weights (checked: equal "
    "losses): h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h), logits_t = h_t W_hy + b_y, mean "
    "cross-entropy over the B*T positions, and the gradient of every weight; no optimiser "
    "step, no gradient with respect to the input. torch.nn.RNN has no integer-id input, so "
    "torch gets the one-hot float input (built once, outside the timed region) and pays a "
    "dense (B*T, V) x (V, H) input projection and its weight gradient, plus the gradient "
    "of its second bias b_hh. 'scratch_onehot' gives the NumPy RNN that same one-hot "
    "input: the like-for-like comparison. 'scratch_ids' is how each library is naturally "
    "used for characters (a row gather instead of the one-hot product). With more than one "
    "thread every candidate runs in its own process: in one process NumPy's and torch's "
    "thread pools fight over the cores. The floors are not models: 'floor_ids' and "
    "'floor_onehot' time only the matrix products that each NumPy candidate cannot avoid, "
    "with the same library, shapes and threads (see floor_step)."
)


def candidates(size: dict, *, check: bool = True) -> dict:
    """The step functions of every candidate for one size, on shared weights and data."""
    import torch
    import torch.nn.functional as F

    from companion.scratch import RNN

    V, H, T, B = size["V"], size["H"], size["T"], size["B"]
    rng = np.random.default_rng(0)
    ids = rng.integers(0, V, (B, T))
    targets = rng.integers(0, V, (B, T))
    onehot = np.eye(V, dtype=np.float32)[ids]

    ours = RNN(V, H, V, seed=0, dtype=np.float32)
    cell = torch.nn.RNN(V, H, batch_first=True)
    head = torch.nn.Linear(H, V)
    with torch.no_grad():
        cell.weight_ih_l0.copy_(torch.from_numpy(ours.params["W_xh"].T))
        cell.weight_hh_l0.copy_(torch.from_numpy(ours.params["W_hh"].T))
        cell.bias_ih_l0.copy_(torch.from_numpy(ours.params["b_h"]))
        cell.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(ours.params["W_hy"].T))
        head.bias.copy_(torch.from_numpy(ours.params["b_y"]))
    weights = [*cell.parameters(), *head.parameters()]
    t_onehot = torch.from_numpy(onehot)
    t_targets = torch.from_numpy(targets).reshape(-1)

    def torch_step() -> float:
        for weight in weights:
            weight.grad = None
        out, _ = cell(t_onehot)
        loss = F.cross_entropy(head(out).reshape(-1, V), t_targets)
        loss.backward()
        return loss.item()

    steps = {
        "scratch_ids": lambda: ours.loss_and_grads(ids, targets)[0],
        "scratch_onehot": lambda: ours.loss_and_grads(onehot, targets)[0],
        "torch_onehot": torch_step,
    }
    if check:
        losses = [step() for step in steps.values()]
        assert max(losses) - min(losses) < 1e-4, f"the candidates disagree: {losses}"
    return {
        **steps,
        "floor_ids": floor_step(ours.params, size),
        "floor_onehot": floor_step(ours.params, size, onehot=onehot),
    }


def floor_step(params: dict, size: dict, onehot: np.ndarray | None = None) -> Callable[[], None]:
    """The matrix products that no NumPy implementation of the step can avoid, bare.

    Same shapes, library and threads as the NumPy RNN, each product into a ready ``out=``
    buffer, nothing else (no tanh, no softmax, no sums, no allocation), with ``N = T * B``:
    the T sequential ``h_{t-1} @ W_hh`` ``(B, H) x (H, H)`` of the forward pass, the
    read-out ``(N, H) x (H, V)``, its backward ``(N, V) x (V, H)`` and weight gradient
    ``(H, N) x (N, V)``, the T sequential ``da_t @ W_hh.T`` of the backward pass and
    ``W_hh``'s gradient ``(H, N) x (N, H)``. Given the ``onehot`` input ``(B, T, V)``, also
    its projection ``(N, V) x (V, H)`` and ``W_xh``'s gradient ``(V, N) x (N, H)``; with
    integer ids those are a row gather and a row sum, which are not matrix products.
    ``W_hh.T`` is a contiguous copy made beforehand: OpenBLAS multiplies a few rows by it
    faster than by the transposed view at these sizes, and a floor takes the faster.
    """
    W_xh, W_hh, W_hy = params["W_xh"], params["W_hh"], params["W_hy"]
    W_hh_T = np.ascontiguousarray(W_hh.T)
    V, H, T, B = size["V"], size["H"], size["T"], size["B"]
    rng = np.random.default_rng(1)
    hb = np.tanh(rng.standard_normal((T + 1, B, H), dtype=np.float32))  # h_0 .. h_T
    hs, h_prev = hb[1:].reshape(-1, H), hb[:-1].reshape(-1, H)
    dlogits = rng.standard_normal((T * B, V), dtype=np.float32) / (T * B)
    da = rng.standard_normal((T, B, H), dtype=np.float32) / (T * B)
    pre, dh = np.empty((T, B, H), np.float32), np.empty((T * B, H), np.float32)
    logits, dW_hy = np.empty((T * B, V), np.float32), np.empty((H, V), np.float32)
    dW_hh, dh_step = np.empty((H, H), np.float32), np.empty((B, H), np.float32)
    inputs = None if onehot is None else np.ascontiguousarray(onehot.swapaxes(0, 1)).reshape(-1, V)
    dW_xh = np.empty((V, H), np.float32)

    def step() -> None:
        if inputs is not None:
            np.matmul(inputs, W_xh, out=pre.reshape(-1, H))
        for t in range(T):
            np.matmul(hb[t], W_hh, out=pre[t])
        np.matmul(hs, W_hy, out=logits)
        np.matmul(dlogits, W_hy.T, out=dh)
        np.matmul(hs.T, dlogits, out=dW_hy)
        for t in reversed(range(T)):
            np.matmul(da[t], W_hh_T, out=dh_step)
        np.matmul(h_prev.T, da.reshape(-1, H), out=dW_hh)
        if inputs is not None:
            np.matmul(inputs.T, da.reshape(-1, H), out=dW_xh)

    return step


def measure(threads: int, names: list[str], repeats: int, min_time: float) -> dict:
    """Median seconds per step of the ``names`` candidates, for every size.

    Runs in a worker process whose BLAS thread count is already fixed.
    """
    import torch

    torch.set_num_threads(threads)
    seconds = []
    for size in SIZES:
        steps = candidates(size)
        chosen = {name: steps[name] for name in names}
        seconds.append(interleaved_medians(chosen, repeats=repeats, min_time=min_time))
    return {"seconds": seconds, "machine": machine_info()}


def run_worker(threads: int, names: list[str], repeats: int, min_time: float) -> dict:
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    command = [
        sys.executable,
        __file__,
        "--worker",
        "--threads",
        str(threads),
        "--only",
        *names,
        "--repeats",
        str(repeats),
        "--min-time",
        str(min_time),
    ]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def table_rows(threads: int, runs: list[dict]) -> list[dict]:
    """One row per size: tokens per second of each candidate (median over runs) and ratios.

    ``scratch_time_over_floor`` is the time of a NumPy candidate's step over its floor's
    (1 would mean nothing but the unavoidable matrix products).
    """
    rows = []
    for number, size in enumerate(SIZES):
        speed = {}
        for name in NAMES:
            times = [run["seconds"][number][name] for run in runs if name in run["seconds"][number]]
            speed[name] = size["B"] * size["T"] / statistics.median(times)
        rows.append(
            {
                "threads": threads,
                **size,
                "tokens_per_s": {name: round(v) for name, v in speed.items()},
                "ratio_scratch_ids_vs_torch": round(
                    speed["scratch_ids"] / speed["torch_onehot"], 2
                ),
                "ratio_scratch_onehot_vs_torch": round(
                    speed["scratch_onehot"] / speed["torch_onehot"], 2
                ),
                "scratch_time_over_floor": {
                    name: round(speed[floor] / speed[name], 2) for name, floor in FLOOR_OF.items()
                },
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=sorted({1, os.cpu_count() or 1}),
        help="thread counts for BLAS and torch (default: 1 and all cores)",
    )
    parser.add_argument("--repeats", type=int, default=7, help="repeats in each process")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of one process per candidate (more than one thread)",
    )
    parser.add_argument(
        "--min-time",
        type=float,
        default=0.2,
        help="seconds per measurement (calls are repeated to fill it)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="+", default=NAMES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.threads[0], args.only, args.repeats, args.min_time)))
        return

    machine = machine_info()  # before the runs: was the machine busy?
    rows, per_thread = [], {}
    for threads in args.threads:
        if threads == 1:
            runs = [run_worker(1, NAMES, args.repeats, args.min_time)]
            method = "one process, the candidates interleaved"
        else:
            runs = [
                run_worker(threads, [name], args.repeats, args.min_time)
                for _ in range(args.rounds)
                for name in NAMES
            ]
            method = f"one process per candidate, alternating, {args.rounds} rounds"
        rows += table_rows(threads, runs)
        worker = runs[-1]["machine"]
        per_thread[str(threads)] = {
            "method": method,
            **{k: worker.get(k) for k in ("torch_threads", "blas", "environment")},
        }
    path = write_result(
        "scratch_rnn",
        {
            "what": "tokens (B*T) per second of one training step: forward, mean cross-entropy, "
            "backward to every weight gradient; no optimiser update; float32 on the CPU",
            "fairness": FAIRNESS,
            "timing": {
                "repeats": args.repeats,
                "rounds": args.rounds,
                "min_seconds_per_measurement": args.min_time,
                "statistic": "median over repeats (and over rounds); see 'threads' for "
                "how each thread count was run and the module docstring "
                "for why",
            },
            "threads": per_thread,
            "results": rows,
        },
        machine,
    )
    print(f"wrote {path}")
    print(
        f"{'threads':>7} {'V':>4} {'H':>4} {'T':>3} {'B':>3} {'scratch ids':>12} "
        f"{'scratch 1hot':>12} {'torch 1hot':>11} {'ids/torch':>9} {'1hot/torch':>10} "
        f"{'ids/floor':>9} {'1hot/floor':>10}  (speed ratios; over floor: time)"
    )
    for row in rows:
        speed, over_floor = row["tokens_per_s"], row["scratch_time_over_floor"]
        print(
            f"{row['threads']:>7} {row['V']:>4} {row['H']:>4} {row['T']:>3} {row['B']:>3} "
            f"{speed['scratch_ids']:>12,} {speed['scratch_onehot']:>12,} "
            f"{speed['torch_onehot']:>11,} {row['ratio_scratch_ids_vs_torch']:>9.2f} "
            f"{row['ratio_scratch_onehot_vs_torch']:>10.2f} "
            f"{over_floor['scratch_ids']:>9.2f} {over_floor['scratch_onehot']:>10.2f}"
        )


if __name__ == "__main__":
    main()
