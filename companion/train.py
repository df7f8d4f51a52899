"""One training loop for every PyTorch model of the course.

    history = fit(model, train_loader, val_loader, loss=nn.CrossEntropyLoss(),
                  optimizer=torch.optim.Adam(model.parameters(), lr=3e-3),
                  epochs=5, clip=1.0, checkpoint="run.pt", resume=True)

:func:`fit` moves the model and every batch to the device (``companion.get_device()``),
runs the forward pass under bf16 autocast on CUDA, clips the gradient by its global norm,
steps the optimiser and the learning-rate scheduler, validates, writes checkpoints
atomically, stops early, and returns a :class:`~companion.history.History` with
``train_loss``, ``grad_norm`` and ``lr`` at every step and ``val_loss`` (and
``val_<metric>``) at every validation. Steps are counted from 1: the values logged at step
``s`` belong to the ``s``-th optimiser step.

A checkpoint holds everything a resumed run needs to continue the same run: the weights,
the optimiser and scheduler state, the history, the counters, the early-stopping state and
the random number generators (Python, NumPy, torch, CUDA), both as they are at the
checkpoint and as they were when its epoch began, so that the epoch's shuffling is replayed.
It contains only tensors, numbers, strings and plain containers, and is read with
``torch.load(..., weights_only=True)``.

Taught in the book's section 5.1, book/05-code/01-numpy-to-pytorch.md.
"""

from __future__ import annotations

import math
import os
import random
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence
from tqdm.auto import tqdm

from companion.device import get_device
from companion.history import History

LossFn = Callable[[nn.Module, Any], torch.Tensor]
Metric = Callable[[nn.Module, Iterable, torch.device], float]

CHECKPOINT_FORMAT = "companion.train/1"
_END = object()


# --- batches ---------------------------------------------------------------------------------


def _to_device(batch: Any, device: torch.device) -> Any:
    """``batch`` with every tensor (also inside tuples, lists and dicts) moved to ``device``."""
    if isinstance(batch, (torch.Tensor, PackedSequence)):
        return batch.to(device)
    if isinstance(batch, Mapping):
        return {key: _to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):  # a namedtuple
        return type(batch)(*(_to_device(value, device) for value in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(_to_device(value, device) for value in batch)
    return batch


def _batch_size(batch: Any) -> int | None:
    """The length of the first tensor in ``batch`` (``None`` when it holds no tensor)."""
    if isinstance(batch, torch.Tensor):
        return batch.shape[0] if batch.ndim else 1
    if isinstance(batch, PackedSequence):
        return int(batch.batch_sizes[0])
    if isinstance(batch, Mapping):
        batch = list(batch.values())
    if isinstance(batch, (tuple, list)):
        for item in batch:
            size = _batch_size(item)
            if size is not None:
                return size
    return None


def _compute_loss(loss: nn.Module | LossFn, model: nn.Module, batch: Any) -> torch.Tensor:
    """The scalar loss of ``batch``: ``criterion(model(x), y)`` or ``loss(model, batch)``."""
    if isinstance(loss, nn.Module):
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise TypeError(
                "loss: a criterion module is applied as criterion(model(x), y) to batches "
                f"(x, y), got a batch of type {type(batch).__name__}"
                + (f" with {len(batch)} items" if isinstance(batch, (tuple, list)) else "")
                + "; for other batches pass a function loss(model, batch) -> scalar tensor"
            )
        inputs, targets = batch
        value = loss(model(inputs), targets)
    else:
        value = loss(model, batch)
    if not isinstance(value, torch.Tensor) or value.ndim != 0:
        got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise ValueError(f"loss: expected a scalar tensor (shape ()), got {got}")
    return value


# --- validation ------------------------------------------------------------------------------


def _check_metrics(metrics: Mapping[str, Metric] | None) -> dict[str, Metric]:
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise TypeError(f"metrics: expected a dict {{name: fn}}, got {type(metrics).__name__}")
    for name, fn in metrics.items():
        if not isinstance(name, str) or not name.isidentifier() or name == "loss":
            raise ValueError(f"metrics: names must be identifiers other than 'loss', got {name!r}")
        if not callable(fn):
            raise TypeError(f"metrics[{name!r}]: expected fn(model, data, device) -> float")
    return dict(metrics)


def _check_data(data: Any, name: str) -> None:
    if not isinstance(data, Iterable):
        raise TypeError(f"{name}: expected an iterable of batches, got {type(data).__name__}")
    if isinstance(data, Iterator):
        raise TypeError(
            f"{name}: expected data that can be iterated again every epoch (a list or a "
            f"DataLoader), got a one-shot iterator ({type(data).__name__})"
        )
    try:
        size = len(data)
    except TypeError:  # an iterable without a length: checked when it is iterated
        return
    if size == 0:
        raise ValueError(f"{name}: expected at least one batch, got none")


def _evaluate(
    model: nn.Module,
    data: Iterable,
    loss: nn.Module | LossFn,
    device: torch.device,
    metrics: dict[str, Metric],
    name: str,
) -> dict[str, float]:
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        with torch.no_grad():
            for batch in data:
                batch = _to_device(batch, device)
                size = _batch_size(batch) or 1
                total += float(_compute_loss(loss, model, batch)) * size
                count += size
            if count == 0:
                raise ValueError(f"{name}: expected at least one batch, got none")
            result = {"loss": total / count}
            for metric, fn in metrics.items():
                result[metric] = float(fn(model, data, device))
    finally:
        model.train(was_training)
    return result


def evaluate(
    model: nn.Module,
    data: Iterable,
    *,
    loss: nn.Module | LossFn,
    device: str | torch.device | None = None,
    metrics: Mapping[str, Metric] | None = None,
) -> dict[str, float]:
    """The loss of ``model`` on ``data`` and each metric, in eval mode without gradients.

    Args:
        model: a ``torch.nn.Module``; it is moved to ``device``.
        data: an iterable of batches (a ``DataLoader`` or a list); see :func:`fit`.
        loss: a criterion module, applied as ``loss(model(x), y)`` to batches ``(x, y)``, or
            a function ``loss(model, batch) -> scalar tensor``.
        device: ``None`` picks ``companion.get_device()``.
        metrics: ``{name: fn(model, data, device) -> float}``.

    Returns:
        ``{"loss": ..., name: ...}``: ``"loss"`` is the mean of the per-batch losses weighted
        by batch size (the length of each batch's first tensor).
    """
    device = get_device(device)
    _check_data(data, "data")
    model.to(device)
    return _evaluate(model, data, loss, device, _check_metrics(metrics), "data")


# --- random number generators ----------------------------------------------------------------


def _rng_state() -> dict[str, Any]:
    """Every generator's state, as tensors, numbers and plain containers."""
    version, internal, gauss = random.getstate()
    _, keys, pos, has_gauss, cached = np.random.get_state()  # noqa: NPY002 (global state)
    state = {
        "python": [version, list(internal), gauss],
        "numpy": [torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state(("MT19937", keys.numpy().astype(np.uint32), pos, has_gauss, cached))  # noqa: NPY002
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# --- checkpoints -----------------------------------------------------------------------------


def _save_atomically(obj: dict[str, Any], path: Path) -> None:
    """``torch.save`` to a temporary file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _check_same_model(saved: dict[str, Any], model: nn.Module, path: Path) -> None:
    """A clear ValueError when the checkpoint at ``path`` belongs to another model."""
    mine = type(model).__qualname__
    if saved["model_class"] != mine:
        raise ValueError(
            f"checkpoint: {path} holds a {saved['model_class']} model, but the model to "
            f"resume is a {mine}; use another checkpoint path or resume=False"
        )
    ours = {name: tuple(value.shape) for name, value in model.state_dict().items()}
    theirs = {name: tuple(value.shape) for name, value in saved["model"].items()}
    problems = [f"missing {name}" for name in ours.keys() - theirs.keys()]
    problems += [f"unexpected {name}" for name in theirs.keys() - ours.keys()]
    problems += [
        f"{name}: saved {theirs[name]}, model {ours[name]}"
        for name in ours.keys() & theirs.keys()
        if ours[name] != theirs[name]
    ]
    if problems:
        shown = "; ".join(sorted(problems)[:5]) + ("; ..." if len(problems) > 5 else "")
        raise ValueError(
            f"checkpoint: {path} holds the weights of another {mine} (other parameter "
            f"names or shapes: {shown}); use another checkpoint path or resume=False"
        )


def _load_checkpoint(path: Path) -> dict[str, Any]:
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(saved, dict) or saved.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"checkpoint: {path} is not a checkpoint written by companion.train.fit")
    return saved


# --- arguments -------------------------------------------------------------------------------


def _positive_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected a positive int, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name}: expected a positive int, got {value}")
    return int(value)


def _use_amp(amp: bool | None, device: torch.device) -> bool:
    cuda_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    if amp is None:
        return cuda_bf16
    if amp and not cuda_bf16:
        raise ValueError(
            f"amp: bf16 autocast runs on a CUDA device that supports bfloat16, but the "
            f"device is {device}; pass amp=None (automatic) or amp=False"
        )
    return bool(amp)


# --- the loop --------------------------------------------------------------------------------


def _train_step(
    model: nn.Module,
    batch: Any,
    loss: nn.Module | LossFn,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    clip: float | None,
    amp: bool,
    step: int,
) -> tuple[float, float, float]:
    """Optimiser step number ``step`` on ``batch`` (on the device): ``(loss, grad_norm, lr)``."""
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast("cuda", dtype=torch.bfloat16) if amp else nullcontext():
        value = _compute_loss(loss, model, batch)  # the forward pass
    train_loss = float(value.detach())
    if not math.isfinite(train_loss):  # stop before the step spoils the weights
        raise FloatingPointError(
            f"fit: the training loss at step {step} is {train_loss}; try gradient "
            f"clipping (clip=1.0) or a smaller learning rate"
        )
    value.backward()  # autograd: BPTT and everything else
    parameters = [p for p in model.parameters() if p.grad is not None]
    if clip is None:
        norm = float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in parameters])))
    else:  # returns the norm before clipping
        norm = float(torch.nn.utils.clip_grad_norm_(parameters, clip))
    if not math.isfinite(norm):
        raise FloatingPointError(
            f"fit: the gradient norm at step {step} is {norm}; try gradient "
            f"clipping (clip=1.0) or a smaller learning rate"
        )
    lr = optimizer.param_groups[0]["lr"]  # the learning rate this step uses
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    return train_loss, norm, lr


def fit(
    model: nn.Module,
    train_data: Iterable,
    val_data: Iterable | None = None,
    *,
    loss: nn.Module | LossFn,
    optimizer: torch.optim.Optimizer,
    epochs: int | None = None,
    max_steps: int | None = None,
    eval_every: int | None = None,
    clip: float | None = None,
    scheduler: Any = None,
    device: str | torch.device | None = None,
    amp: bool | None = None,
    metrics: Mapping[str, Metric] | None = None,
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
    early_stopping: int | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` on ``train_data`` and return its :class:`~companion.history.History`.

    Args:
        model: a ``torch.nn.Module``; moved to ``device`` with ``model.to(device)``.
        train_data: batches, iterable again every epoch (a ``DataLoader`` or a list). A batch
            is a tensor, or a tuple, list or dict of tensors (other values pass through
            unchanged); every tensor is moved to ``device``.
        val_data: batches to validate on, or ``None``.
        loss: a criterion module (e.g. ``nn.CrossEntropyLoss()``), applied as
            ``loss(model(x), y)`` to batches ``(x, y)``; or a function
            ``loss(model, batch) -> scalar tensor`` (the batch already on the device).
        optimizer: a ``torch.optim`` optimiser over the model's parameters.
        epochs: passes over ``train_data``; give exactly one of ``epochs`` and ``max_steps``.
        max_steps: optimiser steps (passes over the data repeat as needed).
        eval_every: steps between validations (and checkpoints); ``None``: at the end of
            every epoch. There is always one after the last step.
        clip: clip the gradient to this global norm; ``grad_norm`` is logged before clipping.
        scheduler: a ``torch.optim.lr_scheduler`` scheduler, stepped after every optimiser
            step.
        device: ``None`` picks ``companion.get_device()`` (``$COMPANION_DEVICE`` overrides).
        amp: bf16 autocast of the forward pass; ``None``: on CUDA only; ``True`` on another
            device is a ValueError.
        metrics: ``{name: fn(model, val_data, device) -> float}``, logged as ``val_<name>``.
        checkpoint: a file written atomically at every validation and after the last step.
        resume: when ``checkpoint`` exists, continue the run it holds (same weights,
            optimiser and scheduler state, counters, history and random state); when it
            does not, start afresh. A resumed run ends with the same weights as one never
            interrupted when the order of ``train_data`` depends only on the random state
            saved (a ``DataLoader`` with ``shuffle=True`` draws from torch's global
            generator unless given its own) or on nothing (a list).
        early_stopping: stop after this many validations in a row without a lower
            ``val_loss``; the weights with the lowest ``val_loss`` are restored at the end.
        progress: show a ``tqdm`` progress bar.

    Returns:
        The history: ``train_loss``, ``grad_norm`` and ``lr`` at every step; ``val_loss`` (the
        mean of the per-batch losses weighted by batch size) and ``val_<name>`` at every
        validation.

    Raises:
        FloatingPointError: the training loss or the gradient norm is not finite; the
            parameters are left as they were before that step.
        ValueError: a bad argument (named), or a checkpoint of another model.
    """
    if (epochs is None) == (max_steps is None):
        raise ValueError(
            f"epochs, max_steps: give exactly one of the two, got epochs={epochs!r} and "
            f"max_steps={max_steps!r}"
        )
    epochs = _positive_int(epochs, "epochs")
    max_steps = _positive_int(max_steps, "max_steps")
    eval_every = _positive_int(eval_every, "eval_every")
    patience = _positive_int(early_stopping, "early_stopping")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer: expected a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    if not (isinstance(loss, nn.Module) or callable(loss)):
        raise TypeError(
            f"loss: expected a criterion module or a function, got {type(loss).__name__}"
        )
    if clip is not None:
        if isinstance(clip, bool) or not isinstance(clip, (int, float)):
            raise TypeError(f"clip: expected a positive number, got {type(clip).__name__}")
        if not (math.isfinite(clip) and clip > 0):
            raise ValueError(f"clip: expected a positive finite number, got {clip}")
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        raise TypeError(
            "scheduler: fit steps the scheduler once per optimiser step without a metric, "
            "so ReduceLROnPlateau does not fit; use a step-based scheduler"
        )
    if resume and checkpoint is None:
        raise ValueError("resume: resume=True needs a checkpoint path")
    if patience is not None and val_data is None:
        raise ValueError("early_stopping: needs val_data to measure val_loss on")
    _check_data(train_data, "train_data")
    if val_data is not None:
        _check_data(val_data, "val_data")
    metrics = _check_metrics(metrics)
    if metrics and val_data is None:
        raise ValueError("metrics: are measured on val_data, but val_data is None")

    device = get_device(device)
    use_amp = _use_amp(amp, device)
    model.to(device)
    ours = {id(p) for p in model.parameters()}
    if any(id(p) not in ours for group in optimizer.param_groups for p in group["params"]):
        raise ValueError("optimizer: holds parameters that are not the model's")
    path = None if checkpoint is None else Path(checkpoint)

    history = History()
    step, epoch, batch_in_epoch = 0, 0, 0
    best_loss, bad_validations, best_weights, stopped = math.inf, 0, None, False
    last_point = None  # the step of the last validation / checkpoint
    rng_at_point, rng_at_epoch = None, None
    if resume and path.exists():
        saved = _load_checkpoint(path)
        _check_same_model(saved, model, path)
        if saved["optimizer_class"] != type(optimizer).__qualname__:
            raise ValueError(
                f"checkpoint: {path} was written with a {saved['optimizer_class']} optimiser, "
                f"got a {type(optimizer).__qualname__}"
            )
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        if scheduler is not None and saved["scheduler"] is not None:
            scheduler.load_state_dict(saved["scheduler"])
        history = History.from_dict(saved["history"])
        step, epoch, batch_in_epoch = saved["step"], saved["epoch"], saved["batch_in_epoch"]
        best_loss, bad_validations = saved["best_val_loss"], saved["bad_validations"]
        best_weights, stopped = saved["best_model"], saved["stopped_early"]
        last_point = saved["step"]
        rng_at_point, rng_at_epoch = saved["rng"], saved["rng_at_epoch"]

    def save() -> None:
        state = {
            "format": CHECKPOINT_FORMAT,
            "model_class": type(model).__qualname__,
            "model": model.state_dict(),
            "optimizer_class": type(optimizer).__qualname__,
            "optimizer": optimizer.state_dict(),
            "scheduler": None if scheduler is None else scheduler.state_dict(),
            "history": history.to_dict(),
            "step": step,
            "epoch": epoch,
            "batch_in_epoch": batch_in_epoch,
            "best_val_loss": best_loss,
            "bad_validations": bad_validations,
            "best_model": best_weights,
            "stopped_early": stopped,
            "rng": _rng_state(),
            "rng_at_epoch": rng_at_epoch,
        }
        _save_atomically(state, path)

    def validate_and_save() -> None:
        nonlocal best_loss, bad_validations, best_weights, stopped, last_point
        last_point = step
        if val_data is not None:
            result = _evaluate(model, val_data, loss, device, metrics, "val_data")
            history.log(step, **{f"val_{name}": value for name, value in result.items()})
            bar.set_postfix_str(
                f"loss={history.last('train_loss'):.4g} val_loss={result['loss']:.4g}"
            )
            if patience is not None:
                if result["loss"] < best_loss:
                    best_loss, bad_validations = result["loss"], 0
                    best_weights = {
                        name: value.detach().clone() for name, value in model.state_dict().items()
                    }
                else:
                    bad_validations += 1
                    stopped = bad_validations >= patience
        if path is not None:
            save()

    def finished() -> bool:
        if stopped:
            return True
        return step >= max_steps if max_steps is not None else epoch >= epochs

    try:
        total = max_steps if max_steps is not None else epochs * len(train_data)
    except TypeError:
        total = None
    bar = tqdm(total=total, initial=step, disable=not progress, desc="training", unit="step")
    was_training = model.training
    model.train()
    with bar:
        while not finished():
            if rng_at_point is not None and batch_in_epoch == 0:  # resuming at an epoch start
                _set_rng_state(rng_at_point)
                rng_at_point = None
            if rng_at_point is not None:  # resuming mid-epoch: replay the epoch's shuffling
                _set_rng_state(rng_at_epoch)
            else:
                rng_at_epoch = _rng_state()
            batches = iter(train_data)
            for _ in range(batch_in_epoch):  # the batches the resumed run had already seen
                if next(batches, _END) is _END:
                    raise ValueError(
                        f"train_data: has fewer batches than the {batch_in_epoch} that the "
                        f"checkpoint's epoch had seen"
                    )
            if rng_at_point is not None:
                _set_rng_state(rng_at_point)
                rng_at_point = None
            for batch in batches:
                batch = _to_device(batch, device)
                train_loss, norm, lr = _train_step(
                    model, batch, loss, optimizer, scheduler, clip, use_amp, step + 1
                )
                step += 1
                batch_in_epoch += 1
                history.log(step, train_loss=train_loss, grad_norm=norm, lr=lr)
                bar.update()
                bar.set_postfix_str(f"loss={train_loss:.4g}", refresh=False)
                if eval_every is not None and step % eval_every == 0:
                    validate_and_save()
                if finished():
                    break
            else:
                if batch_in_epoch == 0:
                    raise ValueError("train_data: expected at least one batch, got none")
                epoch, batch_in_epoch, rng_at_epoch = epoch + 1, 0, None
                if eval_every is None:
                    validate_and_save()
        if last_point != step:
            validate_and_save()
    if best_weights is not None:
        model.load_state_dict(best_weights)
    model.train(was_training)
    return history
