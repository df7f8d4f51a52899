"""The hand-written recurrent layers of ``companion.nn`` against ``torch.nn``, forward + backward.

One training step without the optimiser: the layer runs over a batch-first float32
minibatch ``(B, T, D)``, the loss is the sum of its output, and ``backward()`` fills the
gradient of every parameter (the input needs no gradient). The candidates, on the same
weights and input:

* ``ours``: ``companion.nn.RNN/LSTM/GRU``, whose backward pass is BPTT written out by hand
  (``companion/nn/bptt.py``);
* ``ours_autograd``: the same layers with ``hand_backward = False``, autograd through the
  loop over time;
* ``torch``: ``torch.nn.RNN/LSTM/GRU`` (on the CPU PyTorch runs its LSTM as one oneDNN
  kernel per layer, and its RNN and GRU as a C++ loop of small operations; on a GPU all
  three through cuDNN);
* ``torch_no_onednn`` (CPU only): the same under ``torch.backends.mkldnn.flags(enabled=False)``;
* ``floor``: only the matrix products that no implementation can avoid, timed bare, with
  the same shapes, library and threads: the input projection of all steps, the ``T``
  sequential products ``h @ W_hh^T`` forward and ``T`` products ``dA @ W_hh`` backward,
  and the two weight-gradient products over all steps.

The script checks that the outputs and gradients of the layers agree before timing. On the
CPU each thread count runs in a fresh process whose ``OMP_NUM_THREADS`` and
``torch.set_num_threads`` agree; inside it the candidates are timed in turn (ours,
ours_autograd, torch, ..., ours, ...) and each reports the median of its repeats. On a CUDA
device (when there is one) the same, with a ``torch.cuda.synchronize()`` ending every call.

    python benchmarks/bench_torch_layers.py [--threads 1 2] [--repeats 7]

writes ``benchmarks/results/torch_layers.json``: per row, ``tokens_per_s`` of every
candidate, ``ratio_ours_vs_torch`` (speed of ours / speed of torch; ``ratio_ours_vs_<name>``
likewise for the others) and ``ours_time_over_floor`` (seconds of ours / seconds of the
floor, at least 1).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from common import interleaved_medians, machine_info, write_result

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

KINDS = ["RNN", "LSTM", "GRU"]
SIZES = [
    {"B": 64, "T": 64, "D": 256, "H": 256},
    {"B": 32, "T": 64, "D": 64, "H": 128},
    {"B": 64, "T": 64, "D": 512, "H": 512},
]
CUDA_SIZES = [*SIZES, {"B": 256, "T": 128, "D": 512, "H": 512}]


GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}  # blocks of H columns in the weight matrices


def candidates(kind: str, size: dict, device: str) -> dict[str, Callable[[], None]]:
    """The step functions of every candidate (see the module docstring), checked first."""
    import torch

    import companion.nn

    torch.manual_seed(0)
    reference = getattr(torch.nn, kind)(size["D"], size["H"], batch_first=True).to(device)
    layers = {"torch": reference}
    for name, hand_backward in (("ours", True), ("ours_autograd", False)):
        layers[name] = getattr(companion.nn, kind)(size["D"], size["H"], batch_first=True)
        layers[name].to(device).load_state_dict(reference.state_dict())
        layers[name].hand_backward = hand_backward
    x = torch.randn(size["B"], size["T"], size["D"], device=device)
    limit = 1e-4 if device == "cpu" else 1e-2  # cuDNN may multiply in TF32
    results = {}
    for name, layer in layers.items():
        output = layer(x)[0]
        results[name] = [output, *torch.autograd.grad(output.sum(), list(layer.parameters()))]
    for name in ("ours", "ours_autograd"):
        for a, b in zip(results[name], results["torch"], strict=True):
            difference = ((a - b).abs().max() / b.abs().max().clamp(min=1)).item()
            assert difference < limit, f"{kind} {size} {name}: differs by {difference:.2e}"

    def step(layer: torch.nn.Module, onednn: bool = True) -> Callable[[], None]:
        def run() -> None:
            for weight in layer.parameters():
                weight.grad = None
            with torch.backends.mkldnn.flags(enabled=onednn):
                layer(x)[0].sum().backward()
            if device != "cpu":
                torch.cuda.synchronize()

        return run

    steps = {name: step(layer) for name, layer in layers.items()}
    if device == "cpu":
        steps["torch_no_onednn"] = step(reference, onednn=False)
    steps["floor"] = floor(kind, size, device)
    return steps


def floor(kind: str, size: dict, device: str) -> Callable[[], None]:
    """The matrix products of one step that no implementation avoids, into ready buffers.

    Forward: the input projection of all ``N = B * T`` positions, ``(N, D) x (D, G*H)``,
    and ``T`` products ``(B, H) x (H, G*H)``; backward: ``T`` products ``(B, G*H) x (G*H,
    H)`` and the gradients of the two weight matrices, ``(G*H, N) x (N, H)`` and ``(G*H,
    N) x (N, D)`` (the input needs no gradient).
    """
    import torch

    B, T, D, H = size["B"], size["T"], size["D"], size["H"]
    G = GATES[kind] * H

    def new(*shape: int) -> torch.Tensor:
        return torch.randn(shape, device=device) / max(shape[-1], 1) ** 0.5

    x, h, dA = new(T * B, D), new(T, B, H), new(T, B, G)
    weight_ih, weight_hh, bias = new(G, D), new(G, H), new(G)
    x_proj, gates, dh = new(T * B, G), new(T, B, G), new(T, B, H)
    grad_weight_hh, grad_weight_ih = new(G, H), new(G, D)

    def run() -> None:
        torch.addmm(bias, x, weight_ih.T, out=x_proj)
        for t in range(T):
            torch.mm(h[t], weight_hh.T, out=gates[t])
        for t in reversed(range(T)):
            torch.mm(dA[t], weight_hh, out=dh[t])
        torch.mm(dA.view(T * B, G).T, h.view(T * B, H), out=grad_weight_hh)
        torch.mm(dA.view(T * B, G).T, x, out=grad_weight_ih)
        if device != "cpu":
            torch.cuda.synchronize()

    return run


def measure(device: str, threads: int | None, repeats: int, min_time: float) -> dict:
    """Seconds per step of every candidate for every kind and size (in this process)."""
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    machine = machine_info()  # the load average before this worker's runs
    rows = []
    for size in SIZES if device == "cpu" else CUDA_SIZES:
        for kind in KINDS:
            seconds = interleaved_medians(
                candidates(kind, size, device), repeats=repeats, min_time=min_time
            )
            tokens = size["B"] * size["T"]
            speed = {name: tokens / s for name, s in seconds.items()}
            rows.append(
                {
                    "device": device,
                    "threads": threads,
                    "layer": kind,
                    **size,
                    "tokens_per_s": {name: round(v) for name, v in speed.items()},
                    **{
                        f"ratio_ours_vs_{name}": round(speed["ours"] / v, 3)
                        for name, v in speed.items()
                        if name not in ("ours", "floor")
                    },
                    "ours_time_over_floor": round(seconds["ours"] / seconds["floor"], 3),
                }
            )
    return {"rows": rows, "machine": machine}


def run_worker(device: str, threads: int | None, repeats: int, min_time: float) -> dict:
    """:func:`measure` in a fresh process (thread counts are read at start-up)."""
    env = dict(os.environ)
    command = [
        sys.executable,
        __file__,
        "--worker",
        device,
        "--repeats",
        str(repeats),
        "--min-time",
        str(min_time),
    ]
    if threads is not None:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
        command += ["--threads", str(threads)]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=sorted({1, min(2, os.cpu_count() or 1)}),
        help="CPU thread counts, one process each (default: 1 and 2)",
    )
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats per candidate")
    parser.add_argument(
        "--min-time",
        type=float,
        default=0.3,
        help="seconds per measurement (calls are repeated to fill it)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        threads = args.threads[0] if args.worker == "cpu" else None
        print(json.dumps(measure(args.worker, threads, args.repeats, args.min_time)))
        return

    import torch

    machine = machine_info()  # before the runs: was the machine busy?
    rows, workers = [], {}
    for threads in args.threads:
        run = run_worker("cpu", threads, args.repeats, args.min_time)
        rows += run["rows"]
        workers[f"cpu, {threads} threads"] = {
            k: run["machine"].get(k) for k in ("torch_threads", "environment", "load_average_1min")
        }
    if torch.cuda.is_available():
        run = run_worker("cuda", None, args.repeats, args.min_time)
        rows += run["rows"]
        cuda = {
            "device": torch.cuda.get_device_name(0),
            "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version(),
        }
    else:
        cuda = {
            "skipped": "no CUDA device on this machine; run the script on one to add "
            "the GPU figures"
        }
    loads = [machine["load_average_1min"], *(w["load_average_1min"] for w in workers.values())]
    busy = max(load or 0 for load in loads) > (machine["logical_cores"] or 1)
    note = (
        "busy: the 1-minute load average was above the number of cores at the start of "
        "the run or of a worker, so other processes shared the cores and the timings are "
        "slower and noisier than on an idle machine"
        if busy
        else "the 1-minute load average was at most the number of cores at the start of the "
        "run and of every worker"
    )
    path = write_result(
        "torch_layers",
        {
            "what": "tokens (B*T) per second of forward + backward (sum of the output, gradient "
            "of every parameter, none for the input), float32, batch_first=True, one "
            "layer; 'ours' = companion.nn (backward by hand), 'ours_autograd' = the same with "
            "hand_backward = False, 'torch' = torch.nn, 'torch_no_onednn' = torch.nn with "
            "oneDNN off, 'floor' = the unavoidable matrix products alone",
            "timing": {
                "repeats": args.repeats,
                "min_seconds_per_measurement": args.min_time,
                "statistic": "median over repeats, candidates interleaved in one process "
                "per thread count",
            },
            "note": note,
            "workers": workers,
            "cuda": cuda,
            "results": rows,
        },
        machine,
    )
    print(f"wrote {path}")
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    """The speeds in tokens per second, and ours against torch, oneDNN off and the floor."""
    names = ["ours", "ours_autograd", "torch", "torch_no_onednn", "floor"]
    heads = ["ours", "autograd", "torch", "no oneDNN", "floor"]
    print(
        f"{'device':>6} {'thr':>3} {'layer':>5} {'B':>3} {'T':>3} {'D':>3} {'H':>3} "
        + " ".join(f"{head:>10}" for head in heads)
        + f" {'/torch':>6} {'/no-dnn':>7} {'xfloor':>6}"
    )
    for row in rows:
        speed = row["tokens_per_s"]
        no_onednn = row.get("ratio_ours_vs_torch_no_onednn")
        print(
            f"{row['device']:>6} {row['threads'] or '':>3} {row['layer']:>5} {row['B']:>3} "
            f"{row['T']:>3} {row['D']:>3} {row['H']:>3} "
            + " ".join(f"{speed[name]:>10,}" if name in speed else f"{'':>10}" for name in names)
            + f" {row['ratio_ours_vs_torch']:>6.2f} "
            + (f"{no_onednn:>7.2f}" if no_onednn is not None else f"{'':>7}")
            + f" {row['ours_time_over_floor']:>6.2f}"
        )


if __name__ == "__main__":
    main()
