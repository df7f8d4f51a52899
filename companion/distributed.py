"""Data-parallel training on several devices: ``torchrun`` and ``DistributedDataParallel``.

Launch one process per device with ``torchrun``, which comes with PyTorch (it is
``python -m torch.distributed.run``)::

    torchrun --standalone --nproc_per_node=1 -m companion.distributed --steps 20
    torchrun --standalone --nproc_per_node=4 -m companion.distributed --steps 20  # 4 GPUs

``torchrun`` starts ``nproc_per_node`` copies of this program and gives each one its
``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` (``W``) in environment variables. Every copy

1. joins the process group: NCCL between CUDA GPUs, gloo on CPUs;
2. builds the same model from the same seed and wraps it in
   ``torch.nn.parallel.DistributedDataParallel`` (DDP), which copies rank 0's weights to
   every process and, during the backward pass, averages the gradients of all processes
   (an *all-reduce*), so that every copy takes the same optimiser step;
3. reads its own share of each global minibatch: a ``DistributedSampler`` hands rank ``r``
   the examples ``r, r + W, r + 2W, ...`` of a permutation that all ranks share.

With a global minibatch of ``G`` examples cut into ``W`` local minibatches of ``G / W``,
the averaged gradient is the gradient of the mean loss over all ``G`` examples, so ``W``
processes compute the update one process would compute alone, up to rounding.

The model is a small GRU character language model (:class:`companion.nn.charlm.CharLM`)
trained on windows of CPython's documentation (:func:`companion.data.text.load_pydoc_corpus`),
each window read from a zero state. Run without ``torchrun``
(``python -m companion.distributed``), the program trains as a single process.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

from companion.data.text import CharVocab, load_pydoc_corpus, train_val_split
from companion.nn.charlm import CharLM
from companion.seeding import seed_everything


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="torchrun --standalone --nproc_per_node=N -m companion.distributed",
        description="Train a GRU character model with DistributedDataParallel.",
    )
    parser.add_argument("--steps", type=int, default=20, help="optimiser steps")
    parser.add_argument(
        "--global-batch", type=int, default=32, help="G: windows per step, all ranks"
    )
    parser.add_argument("--seq-len", type=int, default=64, help="T: characters per window")
    parser.add_argument("--hidden", type=int, default=128, help="H: hidden units of the GRU")
    parser.add_argument("--lr", type=float, default=3e-3, help="learning rate of Adam")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-every", type=int, default=5, help="print the loss every k steps")
    parser.add_argument(
        "--backend", choices=("auto", "gloo", "nccl"), default="auto", help="auto: nccl on CUDA"
    )
    parser.add_argument("--out", type=Path, help="rank 0 writes a JSON summary here")
    parser.add_argument("--save", type=Path, help="rank 0 saves the final weights here")
    args = parser.parse_args(argv)
    for name in ("steps", "global_batch", "seq_len", "hidden", "log_every"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')}: expected a positive int")
    return args


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup(backend: str = "auto") -> tuple[int, int, torch.device]:
    """Join the process group; returns ``(rank, world_size, device)``.

    Without ``torchrun`` (no ``RANK`` in the environment) a group of one process is made.

    Taught in the book's appendix, book/appendix/scale.md.
    """
    if "RANK" not in os.environ:  # a plain `python -m companion.distributed`
        os.environ.update(RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(_free_port()))
    local_rank = int(os.environ["LOCAL_RANK"])
    if backend == "auto":
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    dist.init_process_group(backend=backend)
    return dist.get_rank(), dist.get_world_size(), device


def windows(seq_len: int) -> tuple[TensorDataset, int]:
    """Non-overlapping windows ``(x, y)`` of the training text, ``(N, T)`` each; and ``V``."""
    text = load_pydoc_corpus()
    vocab = CharVocab(text)
    ids = vocab.encode(train_val_split(text)[0])
    count = (len(ids) - 1) // seq_len
    x = torch.as_tensor(ids[: count * seq_len].reshape(count, seq_len))
    y = torch.as_tensor(ids[1 : count * seq_len + 1].reshape(count, seq_len))
    return TensorDataset(x, y), vocab.size


def train(args: argparse.Namespace) -> dict:
    """Train on every rank; returns rank 0's summary (other ranks return an empty dict).

    Taught in the book's appendix, book/appendix/scale.md.
    """
    rank, world, device = setup(args.backend)
    try:
        if args.global_batch % world:
            raise ValueError(
                f"--global-batch: expected a multiple of the {world} processes, "
                f"got {args.global_batch}"
            )
        seed_everything(args.seed)
        dataset, vocab_size = windows(args.seq_len)
        model = CharLM(vocab_size, 32, args.hidden, cell="gru").to(device)
        ddp = DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)
        optimizer = torch.optim.Adam(ddp.parameters(), lr=args.lr)
        sampler: DistributedSampler[int] = DistributedSampler(
            dataset, num_replicas=world, rank=rank, seed=args.seed
        )
        loader = DataLoader(dataset, batch_size=args.global_batch // world, sampler=sampler)

        losses, step, epoch, start = [], 0, 0, time.perf_counter()
        while step < args.steps:
            sampler.set_epoch(epoch)  # a new permutation, the same on every rank
            for x, y in loader:
                logits, _ = ddp(x.to(device))
                loss = F.cross_entropy(logits.reshape(-1, vocab_size), y.to(device).reshape(-1))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()  # DDP averages the gradients across ranks here
                optimizer.step()
                mean = loss.detach().clone()
                dist.all_reduce(mean)  # the sum over ranks ...
                losses.append(mean.item() / world)  # ... over W: the global minibatch's mean
                step += 1
                if rank == 0 and (step % args.log_every == 0 or step == args.steps):
                    print(f"step {step:4d}/{args.steps}  loss {losses[-1]:.4f} nats", flush=True)
                if step == args.steps:
                    break
            epoch += 1
        seconds = (time.perf_counter() - start) / args.steps

        # Every rank should hold the same weights: compare them with rank 0's.
        flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
        reference = flat.clone()
        dist.broadcast(reference, src=0)
        difference = (flat - reference).abs().max()
        dist.all_reduce(difference, op=dist.ReduceOp.MAX)
        if rank != 0:
            return {}
        summary = {
            "world_size": world,
            "backend": dist.get_backend(),
            "device": str(device),
            "global_batch": args.global_batch,
            "local_batch": args.global_batch // world,
            "seq_len": args.seq_len,
            "steps": args.steps,
            "loss": losses,
            "seconds_per_step": seconds,
            "parameters": int(flat.numel()),
            "max_weight_difference_between_ranks": float(difference),
        }
        if args.save is not None:
            _atomic(args.save, lambda path: torch.save(model.state_dict(), path))
        if args.out is not None:
            text = json.dumps(summary, indent=2) + "\n"
            _atomic(args.out, lambda path: Path(path).write_text(text, encoding="utf-8"))
        return summary
    finally:
        dist.destroy_process_group()


def _atomic(target: Path, write: Callable[[Path], object]) -> None:
    """Write ``target`` through a temporary file in the same folder, then rename it."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    write(tmp)
    tmp.replace(target)


def main(argv: list[str] | None = None) -> dict:
    return train(parse_args(argv))


if __name__ == "__main__":
    main()
