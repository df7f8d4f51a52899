"""A character LSTM mixed with a memory of what it has read, against gzip, bz2 and xz.

Section 6.8 (``book/06-future/08-memory.md``) mixes a briefly trained LSTM with order-k
context counts and a match model (``companion.memory``) within its time budget; this
script does the same with the larger LSTM trained for longer, and records every piece:

* ``compressors``: gzip, bz2 and xz, conditional on the training text;
* ``runs``: for each LSTM (the page's configuration and the longer one of
  ``bench_charlm_long.py``, trained here) and without one, the held-out bits per character
  of each piece alone and of the mixture, split between the characters inside a repeat of
  ``REPEAT`` or more characters of the training text and the rest;
* ``runs[...]["step"]``: the mixer's step, chosen without the held-out text: on the last
  ``TUNING_FRACTION`` of the training text, read as a stream after the rest of it (the
  counts and the match model have read the rest; the LSTM, trained on all of it, reads it
  too), the mixture's bits per character at each step of ``LEARNING_RATES``; the lowest
  is the step used on the held-out text;
* ``coder``: the held-out text arithmetic-coded (``companion.coding``) by the mixture with
  the longer LSTM, the network run one character at a time (``CharLMStream``) in the
  encoder and in the decoder: bytes, bits per character of the file and the ideal ones,
  whether decoding gives the text back and both saw the same distributions, bit for bit.

Every held-out number is measured on the held-out 10 % of ``pydoc_data.topics``, read as
one stream after the training text, strictly causally (``companion.memory``).

    python benchmarks/bench_memory_mixing.py [--threads 1]

writes ``benchmarks/results/memory_mixing.json``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_charlm_long import LONG, PAGE, corpus, model_and_schedule, now
from common import machine_info, write_result

REPEAT = 32
LONG_RUN = {**LONG[0], "max_steps": 4000}  # fits in 10 minutes of one thread
LEARNING_RATES = [0.0005, 0.001, 0.002, 0.005, 0.02]
TUNING_FRACTION = 0.1


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


def choose_step(train_ids, vocab_size: int, model=None) -> dict:
    """The mixer's step with the lowest bits per character on the end of the training text."""
    from companion.memory import charlm_log_probs, mixer_step_bpc

    cut = len(train_ids) - int(TUNING_FRACTION * len(train_ids))
    history, tuning = train_ids[:cut], train_ids[cut:]
    log_probs = None if model is None else charlm_log_probs(model, history, tuning)
    bpc = mixer_step_bpc(history, tuning, vocab_size, LEARNING_RATES, lstm_log_probs=log_probs)
    return {
        "chosen": min(bpc, key=bpc.get),
        "tuning_characters": len(tuning),
        "tuning_bpc": {str(lr): value for lr, value in bpc.items()},
    }


def measure_run(train_ids, val_ids, vocab_size: int, covered, model=None) -> dict:
    """Choose the step, then the held-out bits of each piece and of the mixture."""
    from companion.memory import charlm_log_probs, mix_stream

    start = time.perf_counter()
    step = choose_step(train_ids, vocab_size, model)
    step["seconds"] = round(time.perf_counter() - start, 1)
    log_probs = None if model is None else charlm_log_probs(model, train_ids, val_ids)
    start = time.perf_counter()
    result = mix_stream(
        train_ids, val_ids, vocab_size, lstm_log_probs=log_probs, learning_rate=step["chosen"]
    )
    return {
        "step": step,
        "mix_seconds": round(time.perf_counter() - start, 1),
        "bpc": summarise(result, covered),
    }


def code_held_out(model, train_ids, val_ids, vocab_size: int, step: float) -> dict:
    """Arithmetic-code the held-out text with the mixture, decode it, compare."""
    from companion.coding import Recorder, decode, encode
    from companion.memory import CharLMStream, MemoryMixture, MemoryPieces

    def mixture():
        network = CharLMStream(model, train_ids)
        return Recorder(MemoryMixture(MemoryPieces(train_ids, vocab_size, network=network), step))

    encoder, decoder = mixture(), mixture()
    start = time.perf_counter()
    data = encode(val_ids, encoder)
    encode_seconds = time.perf_counter() - start
    start = time.perf_counter()
    decoded = decode(data, len(val_ids), decoder)
    decode_seconds = time.perf_counter() - start
    seen = np.array(encoder.distributions)
    ideal_bits = -np.log2(seen[np.arange(len(val_ids)), val_ids]).sum()
    return {
        "model": "long LSTM",
        "step": step,
        "characters": len(val_ids),
        "bytes": len(data),
        "file_bpc": 8 * len(data) / len(val_ids),
        "ideal_bpc": float(ideal_bits / len(val_ids)),
        "round_trip": bool(np.array_equal(decoded, val_ids)),
        "same_distributions": bool(np.array_equal(seen, np.array(decoder.distributions))),
        "encode_seconds": round(encode_seconds, 1),
        "decode_seconds": round(decode_seconds, 1),
        "date": now(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()

    import torch

    from companion.data.baselines import compression_bpc
    from companion.memory import repeat_mask

    torch.set_num_threads(args.threads)
    machine = machine_info()
    vocab, train_ids, val_ids = corpus()
    covered = repeat_mask(train_ids, val_ids, REPEAT)
    compressors = compression_bpc(vocab.decode(train_ids), vocab.decode(val_ids))
    payload: dict = {
        "compressors": {name: bpc["conditional"] for name, bpc in compressors.items()},
        "repeat_length": REPEAT,
        "repeat_share": float(covered.mean()),
        "learning_rates": LEARNING_RATES,
        "tuning_fraction": TUNING_FRACTION,
        "runs": {},
    }
    print(payload["compressors"], flush=True)
    payload["runs"]["no LSTM"] = {
        **measure_run(train_ids, val_ids, vocab.size, covered), "date": now()
    }  # fmt: skip
    print("no LSTM", payload["runs"]["no LSTM"]["bpc"]["mixture"], flush=True)
    for name, config in [("page LSTM", PAGE), ("long LSTM", LONG_RUN)]:
        model, seconds = train_lstm(config)
        payload["runs"][name] = {
            "config": config,
            "train_seconds": round(seconds, 1),
            **measure_run(train_ids, val_ids, vocab.size, covered, model),
            "date": now(),
        }
        run = payload["runs"][name]
        print(name, run["step"], {k: round(v["all"], 3) for k, v in run["bpc"].items()},
              flush=True)  # fmt: skip
    payload["coder"] = code_held_out(
        model, train_ids, val_ids, vocab.size, payload["runs"]["long LSTM"]["step"]["chosen"]
    )
    print(payload["coder"], flush=True)
    payload["what"] = (
        "held-out bits per character on the last 10 % of pydoc_data.topics, one stream read "
        "after the training text, strictly causal, the mixer's step chosen on the end of the "
        "training text; compressors conditional on the training text; the coder's file size "
        "in bits per held-out character"
    )
    print(f"wrote {write_result('memory_mixing', payload, machine)}")


if __name__ == "__main__":
    main()
