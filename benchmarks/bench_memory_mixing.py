"""A character LSTM mixed with a memory of what it has read, against gzip, bz2 and xz.

Section 6.8 (``book/06-future/08-memory.md``) mixes a briefly trained LSTM with order-k
context counts and a match model (``companion.memory``) within its time budget; this
script does the same with the larger LSTM trained for longer, and records every piece:

* ``compressors``: gzip, bz2 and xz, conditional on the training text;
* ``runs``: for each LSTM (the page's configuration and the longer one of
  ``bench_charlm_long.py``, trained here) and without one, the held-out bits per character
  of each piece alone and of the mixture, split between the characters inside a repeat of
  ``REPEAT`` or more characters of the training text and the rest;
* ``learning_rates``: the longer run's mixture at a few learning rates of the mixer.

Every number is measured on the held-out 10 % of ``pydoc_data.topics``, read as one
stream after the training text, strictly causally (``companion.memory.mix_stream``).

    python benchmarks/bench_memory_mixing.py [--threads 1]

writes ``benchmarks/results/memory_mixing.json``.
"""

from __future__ import annotations

import argparse
import time

from bench_charlm_long import LONG, PAGE, corpus, model_and_schedule, now
from common import machine_info, write_result

REPEAT = 32
LONG_RUN = {**LONG[0], "max_steps": 4000}  # fits in 10 minutes of one thread
LEARNING_RATES = [0.0005, 0.001, 0.002, 0.005, 0.02]


def train_lstm(config: dict):
    """A ``CharLM`` trained as ``bench_charlm_long.train_torch`` trains it; and the seconds."""

    import companion
    from companion.nn.charlm import CarriedStateLoss, stream_windows
    from companion.train import fit

    vocab, train_ids, _ = corpus()
    companion.seed_everything(config["seed"])
    model, optimizer, scheduler = model_and_schedule(config, vocab.size)
    start = time.perf_counter()
    fit(
        model, stream_windows(train_ids, config["batch_size"], config["seq_len"]), None,
        loss=CarriedStateLoss(), optimizer=optimizer, scheduler=scheduler,
        max_steps=config["max_steps"], clip=config["clip"], progress=False,
    )  # fmt: skip
    return model, time.perf_counter() - start


def summarise(result, covered) -> dict:
    """Bits per character of each piece: all, inside the repeats, elsewhere."""
    return {
        name: {
            "all": float(bits.mean()),
            "repeats": float(bits[covered].mean()),
            "rest": float(bits[~covered].mean()),
        }
        for name, bits in result.bits.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()

    import torch

    from companion.data.baselines import compression_bpc
    from companion.memory import charlm_log_probs, mix_stream, repeat_mask

    torch.set_num_threads(args.threads)
    machine = machine_info()
    vocab, train_ids, val_ids = corpus()
    covered = repeat_mask(train_ids, val_ids, REPEAT)
    compressors = compression_bpc(vocab.decode(train_ids), vocab.decode(val_ids))
    payload: dict = {
        "compressors": {name: bpc["conditional"] for name, bpc in compressors.items()},
        "repeat_length": REPEAT,
        "repeat_share": float(covered.mean()),
        "runs": {},
    }
    print(payload["compressors"], flush=True)
    start = time.perf_counter()
    payload["runs"]["no LSTM"] = {
        "bpc": summarise(mix_stream(train_ids, val_ids, vocab.size), covered),
        "mix_seconds": round(time.perf_counter() - start, 1),
        "date": now(),
    }
    print("no LSTM", payload["runs"]["no LSTM"]["bpc"]["mixture"], flush=True)
    for name, config in [("page LSTM", PAGE), ("long LSTM", LONG_RUN)]:
        model, seconds = train_lstm(config)
        log_probs = charlm_log_probs(model, train_ids, val_ids)
        start = time.perf_counter()
        result = mix_stream(train_ids, val_ids, vocab.size, lstm_log_probs=log_probs)
        payload["runs"][name] = {
            "config": config,
            "train_seconds": round(seconds, 1),
            "mix_seconds": round(time.perf_counter() - start, 1),
            "bpc": summarise(result, covered),
            "date": now(),
        }
        print(name, {k: round(v["all"], 3) for k, v in payload["runs"][name]["bpc"].items()},
              flush=True)  # fmt: skip
    payload["learning_rates"] = {
        str(lr): float(
            mix_stream(train_ids, val_ids, vocab.size, lstm_log_probs=log_probs, learning_rate=lr)
            .bits["mixture"].mean()
        )
        for lr in LEARNING_RATES
    }  # fmt: skip
    print(payload["learning_rates"], flush=True)
    payload["what"] = (
        "held-out bits per character on the last 10 % of pydoc_data.topics, one stream read "
        "after the training text, strictly causal; compressors conditional on the training text"
    )
    print(f"wrote {write_result('memory_mixing', payload, machine)}")


if __name__ == "__main__":
    main()
