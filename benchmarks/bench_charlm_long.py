"""Character language models on Python's documentation: runs longer than a page can afford.

Section 5.4 (``book/05-code/04-text-generation.md``) trains an LSTM live within its time
budget and compares it with figures it reads from the JSON this script writes:

* ``numpy_rnn``: the NumPy RNN of section 4.6, trained with that page's configuration
  (``NUMPY_RNN`` below; keep the two in step), and its held-out bits per character;
* ``page``: the LSTM, GRU and tanh RNN trained with section 5.4's configuration
  (``PAGE``; the page checks that its own configuration is the one recorded here), each
  at the learning rates ``LEARNING_RATES`` (the three cells do not share a best one);
* ``long``: larger LSTMs trained for longer (``LONG``), with the held-out curve.

Every model reads the same 90/10 split of ``pydoc_data.topics`` and is scored on the
held-out 10 % with the state carried through 16 parallel streams, as both pages do.

    python benchmarks/bench_charlm_long.py [--parts numpy_rnn page long] [--threads 1]

writes ``benchmarks/results/charlm_long.json``. The parts not run are kept from the
earlier file; every run records its own date, the file's ``command`` and ``date`` are
those of the last invocation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import time

from common import kept_parts, machine_info, write_result

PAGE = {
    "cell": "lstm", "embedding_dim": 32, "hidden_size": 256, "num_layers": 1, "dropout": 0.0,
    "batch_size": 32, "seq_len": 32, "lr": 0.01, "pct_start": 0.1, "max_steps": 2400,
    "clip": 1.0, "seed": 0,
}  # fmt: skip
LEARNING_RATES = [0.005, 0.01, 0.02]
NUMPY_RNN = {
    "hidden_size": 384, "W_xh_std": 1.0, "W_hh_gain": 0.5, "batch_size": 32, "seq_len": 64,
    "phases": [[5, 1.5e-3], [3, 4e-4]], "clip": 5.0, "seed": 0,
}  # fmt: skip
LONG = [
    {**PAGE, "hidden_size": 512, "dropout": 0.2, "lr": 0.01, "max_steps": 4500},
]


def now() -> str:
    """The date and time in UTC: each run records when it ended (parts may be rerun alone)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def corpus():
    """``(vocab, train_ids, val_ids)``: the split both pages use."""
    from companion.data.text import CharVocab, load_pydoc_corpus, train_val_split

    text = load_pydoc_corpus()
    train_text, val_text = train_val_split(text, val_fraction=0.1)
    vocab = CharVocab(text)
    return vocab, vocab.encode(train_text), vocab.encode(val_text)


def model_and_schedule(config: dict, vocab_size: int) -> tuple:
    """The ``CharLM`` of ``config``, its Adam optimiser and its one-cycle schedule."""
    import torch

    from companion.nn.charlm import CharLM

    model = CharLM(
        vocab_size, config["embedding_dim"], config["hidden_size"],
        num_layers=config["num_layers"], cell=config["cell"], dropout=config["dropout"],
    )  # fmt: skip
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config["lr"], total_steps=config["max_steps"],
        pct_start=config["pct_start"],
    )  # fmt: skip
    return model, optimizer, scheduler


def train_torch(config: dict, evaluations: int = 10) -> dict:
    """Train a ``CharLM`` as section 5.4 does; the held-out curve and the seconds it took."""

    import companion
    from companion.nn.charlm import CarriedStateLoss, evaluate_bpc, stream_windows
    from companion.train import fit

    vocab, train_ids, val_ids = corpus()
    companion.seed_everything(config["seed"])
    model, optimizer, scheduler = model_and_schedule(config, vocab.size)
    start = time.perf_counter()
    history = fit(
        model, stream_windows(train_ids, config["batch_size"], config["seq_len"]),
        stream_windows(val_ids, 16), loss=CarriedStateLoss(), optimizer=optimizer,
        scheduler=scheduler, max_steps=config["max_steps"], clip=config["clip"],
        eval_every=config["max_steps"] // evaluations, progress=False,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    steps, val_loss = history["val_loss"]
    return {
        "config": config,
        "date": now(),
        "seconds": round(seconds, 1),
        "val_bpc": evaluate_bpc(model, val_ids),
        "curve": {"step": steps.tolist(), "val_bpc": (val_loss / math.log(2)).tolist()},
        "sample": model.sample(vocab, "The ", 300, temperature=0.8, seed=1),
    }


def train_numpy_rnn(config: dict) -> dict:
    """The NumPy RNN of section 4.6, trained as that page trains it."""
    import numpy as np

    from companion.scratch import (
        RNN,
        Adam,
        StreamBatcher,
        evaluate_bpc,
        normal,
        orthogonal,
        train_char_lm,
    )

    vocab, train_ids, val_ids = corpus()
    size, dtype = config["hidden_size"], np.float32
    rnn = RNN(vocab.size, size, vocab.size, seed=config["seed"], dtype=dtype)
    rnn.params["W_xh"] = normal((vocab.size, size), std=config["W_xh_std"], seed=1, dtype=dtype)
    rnn.params["W_hh"] = orthogonal((size, size), gain=config["W_hh_gain"], seed=1, dtype=dtype)
    batches = StreamBatcher(train_ids, config["batch_size"], config["seq_len"])
    optimizer = Adam(lr=config["phases"][0][1])
    start = time.perf_counter()
    for passes, lr in config["phases"]:
        optimizer.lr = lr
        train_char_lm(
            rnn, train_ids, optimizer=optimizer, max_steps=passes * len(batches),
            batch_size=config["batch_size"], seq_len=config["seq_len"], clip=config["clip"],
            progress=False,
        )  # fmt: skip
    return {
        "config": config,
        "date": now(),
        "seconds": round(time.perf_counter() - start, 1),
        "val_bpc": evaluate_bpc(rnn, val_ids),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--parts", nargs="+", default=["numpy_rnn", "page", "long"],
                        choices=["numpy_rnn", "page", "long"])  # fmt: skip
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    machine = machine_info()
    payload = kept_parts("charlm_long", ("numpy_rnn", "page", "long"))
    if "numpy_rnn" in args.parts:
        payload["numpy_rnn"] = train_numpy_rnn(NUMPY_RNN)
        print(f"numpy_rnn: {payload['numpy_rnn']['val_bpc']:.3f} bpc", flush=True)
    if "page" in args.parts:
        payload["page"] = {cell: [] for cell in ("lstm", "gru", "rnn")}
        for cell, runs in payload["page"].items():
            for lr in LEARNING_RATES:
                runs.append(train_torch({**PAGE, "cell": cell, "lr": lr}))
                print(f"page {cell} lr={lr}: {runs[-1]['val_bpc']:.3f} bpc", flush=True)
    if "long" in args.parts:
        payload["long"] = [train_torch(config, evaluations=20) for config in LONG]
        for run in payload["long"]:
            print(f"long {run['config']}: {run['val_bpc']:.3f} bpc", flush=True)
    payload["what"] = (
        "held-out bits per character on the last 10 % of pydoc_data.topics (16 streams, "
        "state carried); 'seconds' is the training time on this machine"
    )
    payload["parts_run_now"] = args.parts
    print(f"wrote {write_result('charlm_long', payload, machine)}")


if __name__ == "__main__":
    main()
