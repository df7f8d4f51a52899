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

import dataclasses
import functools
import math
import os
import random
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Protocol, SupportsFloat, cast

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence
from torch.optim.lr_scheduler import LRScheduler
from tqdm.auto import tqdm

from companion._validate import check_positive_int, check_positive_number
from companion.device import get_device
from companion.history import History


class LossFn(Protocol):
    """A loss function ``loss(model, batch) -> scalar tensor``.

    ``batch`` is one item of the data, already on the device: a tensor, or a tuple, list or
    dict of tensors.
    """

    def __call__(self, model: nn.Module, batch: Any, /) -> torch.Tensor: ...


class Metric(Protocol):
    """A metric ``fn(model, data, device) -> float``, measured on the validation data.

    The result is passed through ``float()``: a float, or anything ``float()`` accepts, such
    as a one-element tensor.
    """

    def __call__(
        self, model: nn.Module, data: Iterable[Any], device: torch.device, /
    ) -> SupportsFloat: ...


CHECKPOINT_FORMAT = "companion.train/2"
_END = object()


# --- batches ---------------------------------------------------------------------------------


def _to_device(batch: Any, device: torch.device) -> Any:
    """``batch`` with every tensor (also inside tuples, lists and dicts) moved to ``device``."""
    if isinstance(batch, (torch.Tensor, PackedSequence)):
        # torch types PackedSequence.to with only the first overload of Tensor.to, to(dtype)
        return batch.to(device)  # type: ignore[arg-type]
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
    if _length(data) == 0:  # without a length, it is checked when it is iterated
        raise ValueError(f"{name}: expected at least one batch, got none")


def _length(data: Any) -> int | None:
    """``len(data)``, or ``None`` for data without one (a DataLoader over an iterable
    dataset has ``__len__``, but it raises ``TypeError``)."""
    try:
        return len(data)
    except TypeError:
        return None


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
    # the global RandomState is an MT19937, whose state is the legacy tuple (numpy's stub
    # declares the dict of get_state(legacy=False))
    legacy = cast(tuple[str, np.ndarray, int, int, float], np.random.get_state())  # noqa: NPY002
    _, keys, pos, has_gauss, cached = legacy
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
    if not isinstance(saved, dict) or not str(saved.get("format", "")).startswith(
        "companion.train/"
    ):
        raise ValueError(f"checkpoint: {path} is not a checkpoint written by companion.train.fit")
    if saved["format"] != CHECKPOINT_FORMAT:
        raise ValueError(
            f"checkpoint: {path} has the format {saved['format']}, written by another version "
            f"of companion.train.fit, which writes {CHECKPOINT_FORMAT}; resume=False starts afresh"
        )
    return saved


# --- arguments ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Plan:
    """How long to train and when to validate, from ``fit``'s checked arguments."""

    epochs: int | None
    max_steps: int | None
    eval_every: int | None

    @classmethod
    def checked(cls, epochs: object, max_steps: object, eval_every: object) -> _Plan:
        """The plan of exactly one of ``epochs`` and ``max_steps``, each checked."""
        if (epochs is None) == (max_steps is None):
            raise ValueError(
                f"epochs, max_steps: give exactly one of the two, got epochs={epochs!r} and "
                f"max_steps={max_steps!r}"
            )
        return cls(
            _optional_positive_int(epochs, "epochs"),
            _optional_positive_int(max_steps, "max_steps"),
            _optional_positive_int(eval_every, "eval_every"),
        )

    def finished(self, run: _Run) -> bool:
        """Whether ``run`` has trained as long as planned, or stopped early."""
        if run.stopping.stopped:
            return True
        if self.max_steps is not None:
            return run.step >= self.max_steps
        return self.epochs is not None and run.epoch >= self.epochs

    def total_steps(self, train_data: Iterable) -> int | None:
        """The steps of the whole run, when ``train_data`` has a length."""
        if self.max_steps is not None:
            return self.max_steps
        length = _length(train_data)
        return None if length is None or self.epochs is None else self.epochs * length


def _optional_positive_int(value: object, name: str) -> int | None:
    return None if value is None else check_positive_int(value, name)


def _check_arguments(
    model: nn.Module,
    train_data: Iterable,
    val_data: Iterable | None,
    *,
    loss: nn.Module | LossFn,
    optimizer: torch.optim.Optimizer,
    scheduler: LRScheduler | None,
    clip: float | None,
    checkpoint: str | os.PathLike | None,
    resume: bool,
    early_stopping: int | None,
    metrics: Mapping[str, Metric] | None,
) -> dict[str, Metric]:
    """Raise a named error for a bad argument of :func:`fit`; return the checked metrics."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer: expected a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    ours = {id(p) for p in model.parameters()}
    if any(id(p) not in ours for group in optimizer.param_groups for p in group["params"]):
        raise ValueError("optimizer: holds parameters that are not the model's")
    if not (isinstance(loss, nn.Module) or callable(loss)):
        raise TypeError(
            f"loss: expected a criterion module or a function, got {type(loss).__name__}"
        )
    if clip is not None:
        check_positive_number(clip, "clip")
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        raise TypeError(
            "scheduler: fit steps the scheduler once per optimiser step without a metric, "
            "so ReduceLROnPlateau does not fit; use a step-based scheduler"
        )
    if resume and checkpoint is None:
        raise ValueError("resume: resume=True needs a checkpoint path")
    if early_stopping is not None and val_data is None:
        raise ValueError("early_stopping: needs val_data to measure val_loss on")
    _check_data(train_data, "train_data")
    if val_data is not None:
        _check_data(val_data, "val_data")
    metrics = _check_metrics(metrics)
    if metrics and val_data is None:
        raise ValueError("metrics: are measured on val_data, but val_data is None")
    return metrics


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


# --- the state of a run ----------------------------------------------------------------------


def _fields_state(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The dataclass ``obj``'s fields (less ``skip``) as a dict: what a checkpoint keeps."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name not in skip}


def _load_fields(obj: Any, state: dict[str, Any], skip: tuple[str, ...] = ()) -> None:
    """Set the dataclass ``obj``'s fields from ``state``, which must hold exactly them."""
    expected = set(_fields_state(obj, skip))
    if set(state) != expected:
        raise ValueError(
            f"checkpoint: expected the fields {sorted(expected)} of a {type(obj).__name__}, "
            f"got {sorted(state)}"
        )
    for name, value in state.items():
        setattr(obj, name, value)


@dataclasses.dataclass
class _EarlyStopping:
    """Counts validations in a row without a lower ``val_loss``; keeps the best weights."""

    patience: int | None  # None: never stop early (and keep no weights)
    best_val_loss: float = math.inf
    bad_validations: int = 0
    best_model: dict[str, torch.Tensor] | None = None
    stopped: bool = False

    def update(self, val_loss: float, model: nn.Module) -> None:
        """Record one validation of ``model``."""
        if self.patience is None:
            return
        if val_loss < self.best_val_loss:
            self.best_val_loss, self.bad_validations = val_loss, 0
            self.best_model = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.bad_validations += 1
            self.stopped = self.bad_validations >= self.patience

    def state_dict(self) -> dict[str, Any]:
        return _fields_state(self, skip=("patience",))

    def load_state_dict(self, state: dict[str, Any]) -> None:
        _load_fields(self, state, skip=("patience",))


@dataclasses.dataclass
class _Run:
    """Where a run stands: what a checkpoint holds besides the model, optimiser and scheduler.

    ``rng_at_epoch`` is the random state as the current epoch began (``None`` between
    epochs), so that a run resumed in the middle of an epoch can draw its batches again.
    """

    stopping: _EarlyStopping
    history: History = dataclasses.field(default_factory=History)
    step: int = 0  # optimiser steps taken
    epoch: int = 0  # epochs completed
    batch_in_epoch: int = 0  # batches of the current epoch already trained on
    rng_at_epoch: dict[str, Any] | None = None
    last_point: int | None = None  # the step of the last validation and checkpoint

    def log_step(self, **values: float) -> None:
        """Count one optimiser step and log ``values`` at it."""
        self.step += 1
        self.batch_in_epoch += 1
        self.history.log(self.step, **values)

    def end_epoch(self) -> None:
        self.epoch, self.batch_in_epoch, self.rng_at_epoch = self.epoch + 1, 0, None

    def state_dict(self) -> dict[str, Any]:
        state = _fields_state(self, skip=("stopping", "last_point"))
        return state | {"history": self.history.to_dict(), "stopping": self.stopping.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        state = dict(state)
        self.stopping.load_state_dict(state.pop("stopping"))
        state["history"] = History.from_dict(state["history"])
        _load_fields(self, state, skip=("stopping", "last_point"))
        self.last_point = self.step


def _save_checkpoint(
    path: Path,
    run: _Run,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: LRScheduler | None,
) -> None:
    """Write ``run`` with the model, optimiser and scheduler and the random state, atomically."""
    state = {
        "format": CHECKPOINT_FORMAT,
        "model_class": type(model).__qualname__,
        "model": model.state_dict(),
        "optimizer_class": type(optimizer).__qualname__,
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "rng": _rng_state(),
        "run": run.state_dict(),
    }
    _save_atomically(state, path)


def _resume(
    path: Path,
    run: _Run,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: LRScheduler | None,
) -> dict[str, Any]:
    """Load the checkpoint at ``path`` into ``run``, the model, optimiser and scheduler.

    Returns the random state saved with it, which the first epoch restores
    (:func:`_epoch_batches`).
    """
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
    run.load_state_dict(saved["run"])
    return saved["rng"]


def _epoch_batches(
    train_data: Iterable, run: _Run, resumed_rng: dict[str, Any] | None
) -> Iterator[Any]:
    """The batches of the epoch ``run`` is in, from the first it has not trained on.

    A fresh epoch first records the random state in ``run.rng_at_epoch``. A run just resumed
    from a checkpoint (``resumed_rng``: the random state saved with it) in the middle of an
    epoch restores the state that epoch began with, so that a shuffling ``DataLoader`` draws
    the same order again, skips the batches already trained on, and then restores
    ``resumed_rng``: from there on the run draws what the uninterrupted run drew.
    """
    if resumed_rng is not None and run.batch_in_epoch == 0:  # resumed at an epoch's start
        _set_rng_state(resumed_rng)
        resumed_rng = None
    if resumed_rng is None:
        run.rng_at_epoch = _rng_state()
    else:
        assert run.rng_at_epoch is not None  # a checkpoint taken mid-epoch always holds it
        _set_rng_state(run.rng_at_epoch)
    batches = iter(train_data)
    for _ in range(run.batch_in_epoch):
        if next(batches, _END) is _END:
            raise ValueError(
                f"train_data: has fewer batches than the {run.batch_in_epoch} that the "
                f"checkpoint's epoch had seen"
            )
    if resumed_rng is not None:
        _set_rng_state(resumed_rng)
    yield from batches


def _validate_and_save(
    run: _Run,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: LRScheduler | None,
    *,
    val_data: Iterable | None,
    loss: nn.Module | LossFn,
    device: torch.device,
    metrics: dict[str, Metric],
    path: Path | None,
    bar: tqdm,
) -> None:
    """Validate (logging ``val_*`` and updating early stopping), then write the checkpoint."""
    run.last_point = run.step
    if val_data is not None:
        result = _evaluate(model, val_data, loss, device, metrics, "val_data")
        run.history.log(run.step, **{f"val_{name}": value for name, value in result.items()})
        train_loss = run.history.last("train_loss")
        bar.set_postfix_str(f"loss={train_loss:.4g} val_loss={result['loss']:.4g}")
        run.stopping.update(result["loss"], model)
    if path is not None:
        _save_checkpoint(path, run, model, optimizer, scheduler)


# --- the loop --------------------------------------------------------------------------------


def _train_step(
    model: nn.Module,
    batch: Any,
    loss: nn.Module | LossFn,
    optimizer: torch.optim.Optimizer,
    *,
    scheduler: LRScheduler | None,
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
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    if clip is None:  # 0 when no parameter has a gradient
        norm = float(torch.nn.utils.get_total_norm(grads))
    else:  # returns the norm before clipping
        params = [p for p in model.parameters() if p.grad is not None]
        norm = float(torch.nn.utils.clip_grad_norm_(params, clip))
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
    scheduler: LRScheduler | None = None,
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
    plan = _Plan.checked(epochs, max_steps, eval_every)
    patience = _optional_positive_int(early_stopping, "early_stopping")
    metrics = _check_arguments(
        model,
        train_data,
        val_data,
        loss=loss,
        optimizer=optimizer,
        scheduler=scheduler,
        clip=clip,
        checkpoint=checkpoint,
        resume=resume,
        early_stopping=patience,
        metrics=metrics,
    )
    device = get_device(device)
    use_amp = _use_amp(amp, device)
    model.to(device)
    path = None if checkpoint is None else Path(checkpoint)
    run = _Run(stopping=_EarlyStopping(patience))
    resumed_rng = (
        _resume(path, run, model, optimizer, scheduler)
        if resume and path is not None and path.exists()
        else None
    )
    bar = tqdm(
        total=plan.total_steps(train_data),
        initial=run.step,
        disable=not progress,
        desc="training",
        unit="step",
    )
    point = functools.partial(
        _validate_and_save,
        run,
        model,
        optimizer,
        scheduler,
        val_data=val_data,
        loss=loss,
        device=device,
        metrics=metrics,
        path=path,
        bar=bar,
    )

    was_training = model.training
    model.train()
    with bar:
        while not plan.finished(run):
            batches = _epoch_batches(train_data, run, resumed_rng)
            resumed_rng = None
            for batch in batches:
                batch = _to_device(batch, device)
                train_loss, norm, lr = _train_step(
                    model,
                    batch,
                    loss,
                    optimizer,
                    scheduler=scheduler,
                    clip=clip,
                    amp=use_amp,
                    step=run.step + 1,
                )
                run.log_step(train_loss=train_loss, grad_norm=norm, lr=lr)
                bar.update()
                bar.set_postfix_str(f"loss={train_loss:.4g}", refresh=False)
                if plan.eval_every is not None and run.step % plan.eval_every == 0:
                    point()
                if plan.finished(run):
                    break
            else:  # the epoch ran to its end
                if run.batch_in_epoch == 0:
                    raise ValueError("train_data: expected at least one batch, got none")
                run.end_epoch()
                if plan.eval_every is None:
                    point()
        if run.last_point != run.step:
            point()
    if run.stopping.best_model is not None:
        model.load_state_dict(run.stopping.best_model)
    model.train(was_training)
    return run.history
