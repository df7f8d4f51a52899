"""Regularising a two-layer LSTM character model that over-fits: the runs a page cannot afford.

Section 5.5 (``book/05-code/05-deep-rnns.md``) trains the model of ``PAGE`` on a small
sample of the training text of ``pydoc_data.topics`` (every ``every``-th block of ``block``
characters), validates on the blocks halfway between, and scores on the held-out last
10 %, twice live: without dropout and with the page's dropout. This script repeats that over
seeds and settings, and writes what the page plots:

* ``dropout``: the dropout rates ``DROPOUTS``, each with the seeds ``SEEDS``;
* ``weight_decay``: AdamW's decoupled weight decay ``WEIGHT_DECAYS``, without dropout;
* ``full_text``: the same model and number of steps on every block of the training text
  except the validation blocks, without dropout and with the page's: what dropout does when
  the data are plentiful for the budget.

Every run records, at each validation, the training loss (mean over the steps since the
last validation), the validation loss and the held-out loss, all in bits per character; the
held-out bits per character of the final weights; and those of the weights at the lowest
validation loss, which are what ``fit(..., early_stopping=...)`` would have restored.

    python benchmarks/bench_regularisation.py [--parts dropout weight_decay full_text] [--threads 1]

writes ``benchmarks/results/regularisation.json``. The parts not run are kept from the
earlier file.
"""

from __future__ import annotations

import argparse
import math
import time

from common import kept_parts, machine_info, write_result

PAGE = {
    "embedding_dim": 32, "hidden_size": 128, "num_layers": 2, "dropout": 0.3, "block": 1000,
    "every": 20, "batch_size": 16, "seq_len": 32, "lr": 0.01, "max_steps": 800,
    "eval_every": 40, "clip": 1.0, "weight_decay": 0.0, "seed": 0,
}  # fmt: skip
SEEDS = [0, 1, 2]
DROPOUTS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
WEIGHT_DECAYS = [0.1, 0.3, 1.0, 3.0]


def corpus(config: dict, full_text: bool = False):
    """``(vocab, train_ids, val_ids, heldout_ids)`` as the page cuts them.

    The training part of the 90/10 split is cut into blocks of ``config["block"]``
    characters; the validation text is the blocks ``every // 2``, ``every // 2 + every``, ...;
    the training text is the blocks ``0, every, 2 * every, ...`` (the page's sample) or, with
    ``full_text``, every block but the validation ones.
    """
    import numpy as np

    from companion.data.text import CharVocab, load_pydoc_corpus, train_val_split

    text = load_pydoc_corpus()
    train_text, heldout_text = train_val_split(text, val_fraction=0.1)
    vocab = CharVocab(text)
    ids = vocab.encode(train_text)
    size, every = config["block"], config["every"]
    blocks = [ids[i : i + size] for i in range(0, len(ids) - size + 1, size)]
    val = [i for i in range(len(blocks)) if i % every == every // 2]
    if full_text:
        train = [i for i in range(len(blocks)) if i % every != every // 2]
    else:
        train = list(range(0, len(blocks), every))
    train_ids = np.concatenate([blocks[i] for i in train])
    val_ids = np.concatenate([blocks[i] for i in val])
    return vocab, train_ids, val_ids, vocab.encode(heldout_text)


def train(config: dict, full_text: bool = False) -> dict:
    """Train a ``CharLM`` as the page does; its curves and held-out bits per character."""
    import numpy as np
    import torch

    import companion
    from companion.nn.charlm import CarriedStateLoss, CharLM, evaluate_bpc, stream_windows
    from companion.train import fit

    vocab, train_ids, val_ids, heldout_ids = corpus(config, full_text)
    companion.seed_everything(config["seed"])
    model = CharLM(
        vocab.size, config["embedding_dim"], config["hidden_size"],
        num_layers=config["num_layers"], dropout=config["dropout"],
    )  # fmt: skip
    if config["weight_decay"]:
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"]
        )
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
    start = time.perf_counter()
    history = fit(
        model, stream_windows(train_ids, config["batch_size"], config["seq_len"]),
        stream_windows(val_ids, 16), loss=CarriedStateLoss(), optimizer=optimizer,
        max_steps=config["max_steps"], eval_every=config["eval_every"], clip=config["clip"],
        metrics={"heldout_bpc": lambda model, data, device: evaluate_bpc(model, heldout_ids)},
        device="cpu", progress=False,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    steps, val_loss = history["val_loss"]
    _, train_loss = history["train_loss"]
    _, heldout = history["val_heldout_bpc"]
    every = config["eval_every"]
    train_bpc = [float(train_loss[s - every : s].mean()) / math.log(2) for s in steps]
    best = int(np.argmin(val_loss))
    return {
        "config": config,
        "full_text": full_text,
        "train_characters": len(train_ids),
        "seconds": round(seconds, 1),
        "curve": {
            "step": steps.tolist(),
            "train_bpc": train_bpc,
            "val_bpc": (val_loss / math.log(2)).tolist(),
            "heldout_bpc": heldout.tolist(),
        },
        "heldout_bpc": float(heldout[-1]),
        "best_step": int(steps[best]),
        "early_stopping_heldout_bpc": float(heldout[best]),
    }


def main() -> None:
    parts = ["dropout", "weight_decay", "full_text"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--parts", nargs="+", default=parts, choices=parts)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    machine = machine_info()
    payload = kept_parts("regularisation", parts)
    settings = {
        "dropout": [({"dropout": p}, False) for p in DROPOUTS],
        "weight_decay": [({"dropout": 0.0, "weight_decay": wd}, False) for wd in WEIGHT_DECAYS],
        "full_text": [({"dropout": p}, True) for p in (0.0, PAGE["dropout"])],
    }
    for part in args.parts:
        payload[part] = []
        for change, full_text in settings[part]:
            for seed in SEEDS:
                run = train({**PAGE, **change, "seed": seed}, full_text)
                payload[part].append(run)
                print(
                    f"{part} {change} seed {seed}: held-out {run['heldout_bpc']:.3f} bpc, "
                    f"early stopping {run['early_stopping_heldout_bpc']:.3f} at step "
                    f"{run['best_step']} ({run['seconds']:.0f} s)",
                    flush=True,
                )
    payload["page"] = PAGE
    payload["seeds"] = SEEDS
    payload["what"] = (
        "bits per character of a CharLM trained on a sample of the training text of "
        "pydoc_data.topics (or all of it but the validation blocks: full_text); validation on "
        "other blocks of the training text; held-out: the last 10 % (16 streams, state carried)"
    )
    payload["parts_run_now"] = args.parts
    print(f"wrote {write_result('regularisation', payload, machine)}")


if __name__ == "__main__":
    main()
