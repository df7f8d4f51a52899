"""Long memory: the adding problem and the copy task at growing lengths, RNN vs LSTM vs GRU.

The long-memory section (``book/06-future/02-long-memory.md``) trains the three cells live
on one length of the adding problem; this script runs the sweep that does not fit in a page:
every cell in ``--cells`` on every task in ``--tasks`` at every length in ``--lengths``,
each run with the same budget of ``--steps`` optimiser steps on fresh minibatches of
``--batch-size`` sequences (so every run sees the same number of training sequences,
whatever its length). The models are the course's: ``companion.nn.forecaster.Forecaster``
(the last hidden state to one number) for the adding problem, ``companion.nn.charlm.CharLM``
(embedding, recurrent layer, a softmax at every step) for the copy task, both trained with
``companion.train.fit`` (Adam, gradient clipping by norm).

For each run it records the held-out score on a fixed test set drawn with another seed,
every ``--eval-every`` steps and at the end:

* adding problem: the mean squared error, against the baseline 1/6 of predicting 1;
* copy task: the cross-entropy over the whole sequence and over the recalled steps, and the
  accuracy on the recalled steps, against the memoryless baseline (``log(8)`` nats and
  1/8 on the recalled steps).

    python benchmarks/bench_long_memory.py [--tasks adding copy] [--cells rnn lstm gru]
        [--lengths 10 50 100 200] [--steps 2000] [--threads 1]

writes ``benchmarks/results/long_memory.json`` with the command, the machine and the date.
With the defaults it takes about half an hour on one CPU thread.
"""

from __future__ import annotations

import argparse
import math
import time

from common import machine_info, write_result

SOLVED = {
    "adding": "test MSE below 0.01 (6 % of the baseline 1/6)",
    "copy": "accuracy on the recalled symbols above 0.99",
}


def is_solved(task: str, result: dict) -> bool:
    """The criterion of ``SOLVED`` applied to a run's final scores."""
    if task == "adding":
        return result["test_mse"] < 0.01
    return result["test_recall_accuracy"] > 0.99


def recall_scores(model, data, device, copy_length: int) -> dict[str, float]:
    """Cross-entropy (nats) and accuracy of a copy-task model on the recalled steps only."""
    import torch
    from torch.nn import functional as F

    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in data:
            x, y = x.to(device), y[:, -copy_length:].to(device)
            logits = model(x)[0][:, -copy_length:].float()  # (B, K, V)
            total += float(F.cross_entropy(logits.transpose(1, 2), y, reduction="sum"))
            correct += int((logits.argmax(-1) == y).sum())
            count += y.numel()
    return {"cross_entropy": total / count, "accuracy": correct / count}


class FreshBatches:
    """``per_epoch`` new minibatches at every pass, drawn from one seeded generator."""

    def __init__(self, make, batch_size: int, per_epoch: int, seed: int) -> None:
        import numpy as np

        self.make, self.batch_size, self.per_epoch = make, batch_size, per_epoch
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.per_epoch

    def __iter__(self):
        import torch

        for _ in range(self.per_epoch):
            x, y = self.make(self.batch_size, self.rng)
            yield torch.from_numpy(x), torch.from_numpy(y)


def build(task: str, cell: str, length: int, args: argparse.Namespace):
    """``(model, loss, make_batch, metrics)`` for one run."""
    import torch
    from torch.nn import functional as F

    from companion.data.synthetic import adding_problem, copy_task, copy_vocab_size
    from companion.nn.charlm import CharLM
    from companion.nn.forecaster import Forecaster

    if task == "adding":
        model = Forecaster(2, args.hidden_size, 1, cell=cell)

        def make(batch_size, rng):
            return adding_problem(batch_size, length, seed=rng)

        def loss(model, batch):
            x, y = batch
            return F.mse_loss(model(x)[:, 0], y)

        metrics = {}
    else:
        V = copy_vocab_size(args.n_symbols)
        K = args.copy_length
        model = CharLM(V, args.embedding_dim, args.hidden_size, cell=cell)

        def make(batch_size, rng):
            return copy_task(batch_size, length, n_symbols=args.n_symbols, copy_length=K, seed=rng)

        def loss(model, batch):
            x, y = batch
            logits, _ = model(x)
            return F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))

        def recall_accuracy(model, data, device):
            return recall_scores(model, data, device, K)["accuracy"]

        metrics = {"recall_accuracy": recall_accuracy}
    if cell == "lstm" and args.forget_bias:
        H = args.hidden_size
        with torch.no_grad():  # the f block of PyTorch's (i, f, g, o) order
            model.rnn.bias_ih_l0[H : 2 * H] += args.forget_bias
    return model, loss, make, metrics


def run(task: str, cell: str, length: int, args: argparse.Namespace) -> dict:
    """Train one model and return its configuration, scores, curve and time."""
    import numpy as np
    import torch

    import companion
    from companion.train import evaluate, fit

    companion.seed_everything(args.seed)
    model, loss, make, metrics = build(task, cell, length, args)
    test_x, test_y = make(args.test_size, np.random.default_rng(args.seed + 1))
    test = [
        (torch.from_numpy(test_x[i : i + 500]), torch.from_numpy(test_y[i : i + 500]))
        for i in range(0, args.test_size, 500)
    ]
    train = FreshBatches(make, args.batch_size, args.eval_every, seed=args.seed + 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    start = time.perf_counter()
    history = fit(
        model, train, test, loss=loss, optimizer=optimizer, max_steps=args.steps,
        eval_every=args.eval_every, clip=args.clip, metrics=metrics or None, progress=False,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    device = next(model.parameters()).device
    final = evaluate(model, test, loss=loss, device=device)
    steps, val_loss = history["val_loss"]
    result = {
        "task": task,
        "cell": cell,
        "length": length,
        "parameters": sum(p.numel() for p in model.parameters()),
        "seconds": round(seconds, 1),
        "train_sequences": args.steps * args.batch_size,
        "curve": {"step": steps.tolist(), "test_loss": [round(v, 6) for v in val_loss]},
    }
    if task == "adding":
        result["test_mse"] = final["loss"]
        result["baseline_mse"] = 1.0 / 6.0
    else:
        from companion.data.synthetic import copy_baseline_cross_entropy

        result["test_ce"] = final["loss"]
        recalled = recall_scores(model, test, device, args.copy_length)
        result["test_recall_ce"] = recalled["cross_entropy"]
        result["test_recall_accuracy"] = recalled["accuracy"]
        result["curve"]["test_recall_accuracy"] = [
            round(v, 4) for v in history["val_recall_accuracy"].values
        ]
        result["baseline_ce"] = copy_baseline_cross_entropy(
            length, n_symbols=args.n_symbols, copy_length=args.copy_length
        )
        result["baseline_recall_ce"] = math.log(args.n_symbols)
        result["baseline_recall_accuracy"] = 1.0 / args.n_symbols
    result["solved"] = is_solved(task, result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tasks", nargs="+", default=["adding", "copy"],
                        choices=["adding", "copy"])  # fmt: skip
    parser.add_argument("--cells", nargs="+", default=["rnn", "lstm", "gru"],
                        choices=["rnn", "lstm", "gru"])  # fmt: skip
    parser.add_argument("--lengths", nargs="+", type=int, default=[10, 50, 100, 200],
                        help="T: the adding problem's length, the copy task's delay")  # fmt: skip
    parser.add_argument("--steps", type=int, default=2000, help="optimiser steps per run")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--embedding-dim", type=int, default=16, help="copy task only")
    parser.add_argument("--n-symbols", type=int, default=8, help="copy task only")
    parser.add_argument("--copy-length", type=int, default=10, help="copy task only")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate")
    parser.add_argument("--clip", type=float, default=1.0, help="gradient clipping by norm")
    parser.add_argument("--forget-bias", type=float, default=1.0,
                        help="added to the LSTM's forget-gate bias at initialisation")  # fmt: skip
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    if args.steps % args.eval_every:
        parser.error("--steps must be a multiple of --eval-every")

    import torch

    torch.set_num_threads(args.threads)
    machine = machine_info()
    import companion

    machine["device"] = companion.describe_device(companion.get_device())
    config = {
        name: getattr(args, name)
        for name in ("steps", "batch_size", "hidden_size", "embedding_dim", "n_symbols",
                     "copy_length", "lr", "clip", "forget_bias", "eval_every", "test_size",
                     "seed")
    }  # fmt: skip
    runs = []
    start = time.perf_counter()
    for task in args.tasks:
        for length in args.lengths:
            for cell in args.cells:
                result = run(task, cell, length, args)
                runs.append(result)
                score = (
                    f"MSE {result['test_mse']:.4f}"
                    if task == "adding"
                    else f"recall accuracy {result['test_recall_accuracy']:.3f}"
                )
                print(f"{task:6s} T={length:<4d} {cell:4s} {score}  solved={result['solved']}  "
                      f"({result['seconds']:.0f} s)", flush=True)  # fmt: skip
    payload = {
        "what": (
            "held-out scores after a fixed budget of optimiser steps on fresh minibatches; "
            "T is the adding problem's sequence length and the copy task's delay (its "
            "sequences have T + 2 * copy_length steps); 'seconds' is the training time on "
            "this machine"
        ),
        "config": config,
        "tasks": args.tasks,
        "cells": args.cells,
        "lengths": args.lengths,
        "solved_when": {task: SOLVED[task] for task in args.tasks},
        "total_seconds": round(time.perf_counter() - start, 1),
        "runs": runs,
    }
    print(f"wrote {write_result('long_memory', payload, machine)}")


if __name__ == "__main__":
    main()
