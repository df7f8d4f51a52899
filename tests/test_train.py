"""companion.train: fit and evaluate on tiny models (CPU; the bf16 path on CUDA only)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from companion.history import History
from companion.train import evaluate, fit


def regression_batches(n_batches=8, batch_size=16, seed=0, dtype=torch.float64):
    """(x, y) batches of y = x @ w + 0.5 with x of 3 features; a list, the same every epoch."""
    g = torch.Generator().manual_seed(seed)
    w = torch.tensor([[1.5], [-2.0], [0.5]], dtype=dtype)
    batches = []
    for _ in range(n_batches):
        x = torch.randn(batch_size, 3, generator=g, dtype=dtype)
        batches.append((x, x @ w + 0.5))
    return batches


def linear(seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    return nn.Linear(3, 1).to(dtype)


def mse(model, batch):
    x, y = batch
    return ((model(x) - y) ** 2).mean()


# --- learning --------------------------------------------------------------------------------


def test_learns_a_linear_regression():
    model, data = linear(), regression_batches()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    history = fit(
        model,
        data,
        data[:2],
        loss=nn.MSELoss(),
        optimizer=opt,
        epochs=5,
        device="cpu",
        progress=False,
    )
    losses = history["train_loss"].values
    assert losses[-1] < losses[0] / 100  # stated factor: the loss falls 100-fold
    assert history.last("val_loss") < 1e-3


def test_learns_a_classification_with_a_metric():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(256, 2, generator=g)
    y = (x[:, 0] * x[:, 1] > 0).long()  # XOR of the signs: needs the hidden layer
    train = list(zip(x[:192].split(32), y[:192].split(32), strict=True))
    val = list(zip(x[192:].split(32), y[192:].split(32), strict=True))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 2))

    def accuracy(model, data, device):
        right = sum((model(x.to(device)).argmax(1) == y.to(device)).sum().item() for x, y in data)
        return right / sum(len(y) for _, y in data)

    history = fit(
        model,
        train,
        val,
        loss=nn.CrossEntropyLoss(),
        optimizer=torch.optim.Adam(model.parameters(), lr=0.02),
        epochs=40,
        device="cpu",
        metrics={"accuracy": accuracy},
        progress=False,
    )
    loss = history["train_loss"].values
    assert loss[-6:].mean() < loss[:6].mean() / 4  # stated factor: 4-fold
    assert history.names[:3] == ["train_loss", "grad_norm", "lr"]
    steps, acc = history["val_accuracy"]
    assert len(steps) == 40 and acc[-1] > 0.85  # chance is 0.5
    result = evaluate(
        model, val, loss=nn.CrossEntropyLoss(), device="cpu", metrics={"accuracy": accuracy}
    )
    assert result == {"loss": history.last("val_loss"), "accuracy": acc[-1]}


def test_criterion_module_and_function_forms_agree():
    runs = []
    for loss in (nn.MSELoss(), mse):
        model = linear()
        history = fit(
            model,
            regression_batches(),
            loss=loss,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.05),
            max_steps=12,
            device="cpu",
            progress=False,
        )
        runs.append((history, model.weight.detach().clone()))
    assert runs[0][0] == runs[1][0]
    assert torch.equal(runs[0][1], runs[1][1])


def test_history_steps_and_validation_points():
    model, data = linear(), regression_batches(n_batches=4)
    history = fit(
        model,
        data,
        data[:1],
        loss=mse,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        max_steps=10,
        eval_every=4,
        device="cpu",
        progress=False,
    )
    for name in ("train_loss", "grad_norm", "lr"):
        assert history[name].steps.tolist() == list(range(1, 11))
    assert history["val_loss"].steps.tolist() == [4, 8, 10]  # and always after the last step
    assert isinstance(history, History)


def test_validation_at_the_end_of_every_epoch_by_default():
    model, data = linear(), regression_batches(n_batches=3)
    history = fit(
        model,
        data,
        data,
        loss=mse,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        epochs=4,
        device="cpu",
        progress=False,
    )
    assert history["val_loss"].steps.tolist() == [3, 6, 9, 12]


def test_val_loss_is_weighted_by_batch_size():
    model = linear()
    x = torch.randn(5, 3, dtype=torch.float64)
    y = torch.randn(5, 1, dtype=torch.float64)
    batches = [(x[:4], y[:4]), (x[4:], y[4:])]
    with torch.no_grad():
        expected = ((model(x) - y) ** 2).mean().item()
        unweighted = sum(mse(model, b).item() for b in batches) / 2
    got = evaluate(model, batches, loss=mse, device="cpu")["loss"]
    assert got == pytest.approx(expected, rel=1e-12)
    assert got != pytest.approx(unweighted, rel=1e-6)


def test_batches_of_dicts_with_other_values_pass_through():
    seen = []

    def loss(model, batch):
        seen.append(batch["name"])
        return mse(model, (batch["x"], batch["y"]))

    data = [{"x": x, "y": y, "name": "b"} for x, y in regression_batches(n_batches=2)]
    model = linear()
    fit(
        model,
        data,
        loss=loss,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        epochs=1,
        device="cpu",
        progress=False,
    )
    assert seen == ["b", "b"]


# --- clipping and scheduling -----------------------------------------------------------------


@pytest.mark.parametrize("clip", [None, 0.1])
def test_clipping_caps_the_update(clip):
    model = linear()
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    history = fit(
        model,
        regression_batches(n_batches=1),
        loss=mse,
        optimizer=torch.optim.SGD(model.parameters(), lr=1.0),
        max_steps=1,
        clip=clip,
        device="cpu",
        progress=False,
    )
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    norm = history.last("grad_norm")  # logged before clipping
    update = torch.linalg.vector_norm(after - before).item()
    assert norm > 1.0
    assert update == pytest.approx(norm if clip is None else clip, rel=1e-6)


def test_scheduler_is_stepped_after_every_step():
    model = linear()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(
        model,
        regression_batches(n_batches=2),
        loss=mse,
        optimizer=opt,
        max_steps=4,
        scheduler=scheduler,
        device="cpu",
        progress=False,
    )
    assert history["lr"].values.tolist() == pytest.approx([0.1, 0.05, 0.025, 0.0125])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**4)


# --- checkpoints and resuming ----------------------------------------------------------------


def test_checkpoint_is_written_atomically_and_loads_with_weights_only(tmp_path):
    path = tmp_path / "run.pt"
    model = linear()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=6)
    history = fit(
        model,
        regression_batches(n_batches=3),
        regression_batches(1, seed=1),
        loss=mse,
        optimizer=opt,
        scheduler=scheduler,
        epochs=2,
        checkpoint=path,
        device="cpu",
        early_stopping=5,
        progress=False,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]  # no temporary file left
    saved = torch.load(path, weights_only=True)
    run = saved["run"]
    assert run["step"] == 6 and run["epoch"] == 2 and saved["model_class"] == "Linear"
    assert History.from_dict(run["history"]) == history
    assert torch.equal(saved["model"]["weight"], model.weight.detach())
    assert saved["optimizer"]["state"][0]["step"] == 6
    assert saved["scheduler"]["last_epoch"] == 6


def test_a_failed_write_leaves_the_old_checkpoint_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "run.pt"
    path.write_bytes(b"old")

    def broken_save(obj, f):
        f.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    model = linear()
    with pytest.raises(OSError, match="disk full"):
        fit(
            model,
            regression_batches(n_batches=2),
            loss=mse,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
            max_steps=2,
            checkpoint=path,
            device="cpu",
            progress=False,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]
    assert path.read_bytes() == b"old"


class Interrupted(Exception):
    pass


class Net(nn.Module):
    """A GRU with dropout (so that resuming must restore the random state too)."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(2, 8, batch_first=True)
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(self.drop(out[:, -1]))


def resumable_run(path, eval_every, interrupt_at=None):
    """Train Net on a shuffled DataLoader; raise Interrupted before step ``interrupt_at``."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(3)
    x = torch.randn(40, 5, 2, generator=g)
    loader = DataLoader(
        TensorDataset(x, x.sum(dim=(1, 2)).unsqueeze(1)), batch_size=8, shuffle=True
    )
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.7)
    steps = []

    def loss(model, batch):
        steps.append(None)
        if len(steps) == interrupt_at:
            raise Interrupted
        return mse(model, batch)

    history = fit(
        model,
        loader,
        [(x[:8], x[:8].sum(dim=(1, 2)).unsqueeze(1))],
        loss=loss,
        optimizer=opt,
        scheduler=scheduler,
        epochs=4,
        eval_every=eval_every,
        clip=1.0,
        checkpoint=path,
        resume=True,
        device="cpu",
        progress=False,
    )
    return model, history


@pytest.mark.parametrize("eval_every", [None, 3])  # checkpoints at epoch ends / mid-epoch
def test_an_interrupted_and_resumed_run_equals_an_uninterrupted_one(tmp_path, eval_every):
    model, history = resumable_run(tmp_path / "a.pt", eval_every)
    with pytest.raises(Interrupted):
        resumable_run(tmp_path / "b.pt", eval_every, interrupt_at=14)
    partial = History.from_dict(torch.load(tmp_path / "b.pt", weights_only=True)["run"]["history"])
    assert 0 < len(partial["train_loss"].steps) < 14
    resumed, resumed_history = resumable_run(tmp_path / "b.pt", eval_every)
    assert resumed_history == history
    assert len(history["train_loss"].steps) == 20
    for (name, a), b in zip(model.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_resuming_a_finished_run_trains_no_further(tmp_path):
    path = tmp_path / "run.pt"
    model = linear()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    first = fit(
        model,
        regression_batches(n_batches=2),
        loss=mse,
        optimizer=opt,
        max_steps=3,
        checkpoint=path,
        device="cpu",
        progress=False,
    )
    again = linear(seed=1)
    second = fit(
        again,
        regression_batches(n_batches=2),
        loss=mse,
        optimizer=torch.optim.SGD(again.parameters(), lr=0.01),
        max_steps=3,
        checkpoint=path,
        resume=True,
        device="cpu",
        progress=False,
    )
    assert second == first
    assert torch.equal(again.weight, model.weight)


class Other(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(3, 1).double()

    def forward(self, x):
        return self.layer(x)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (Other, "holds a Linear model, but the model to resume is a Other"),
        (lambda: nn.Linear(3, 2).double(), r"other parameter names or shapes: .*weight"),
    ],
)
def test_a_checkpoint_of_another_model_is_a_clear_error(tmp_path, make, message):
    path = tmp_path / "run.pt"
    model = linear()
    fit(
        model,
        regression_batches(n_batches=1),
        loss=mse,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        max_steps=1,
        checkpoint=path,
        device="cpu",
        progress=False,
    )
    other = make()
    with pytest.raises(ValueError, match=message):
        fit(
            other,
            regression_batches(n_batches=1),
            loss=lambda m, b: m(b[0]).sum(),
            optimizer=torch.optim.SGD(other.parameters(), lr=0.01),
            max_steps=2,
            checkpoint=path,
            resume=True,
            device="cpu",
            progress=False,
        )


def test_a_checkpoint_of_another_format_is_a_clear_error(tmp_path):
    path = tmp_path / "run.pt"
    model = linear()
    arguments = {
        "loss": mse,
        "max_steps": 1,
        "checkpoint": path,
        "device": "cpu",
        "progress": False,
    }
    fit(
        model,
        regression_batches(n_batches=1),
        optimizer=torch.optim.SGD(model.parameters()),
        **arguments,
    )
    saved = torch.load(path, weights_only=True)
    torch.save(saved | {"format": "companion.train/1"}, path)
    with pytest.raises(ValueError, match="has the format companion.train/1, written by another"):
        fit(
            model,
            regression_batches(n_batches=1),
            optimizer=torch.optim.SGD(model.parameters()),
            resume=True,
            **arguments,
        )
    run = saved["run"]
    del run["stopping"]["bad_validations"]
    torch.save(saved, path)
    with pytest.raises(ValueError, match=r"checkpoint: expected the fields .*bad_validations"):
        fit(
            model,
            regression_batches(n_batches=1),
            optimizer=torch.optim.SGD(model.parameters()),
            resume=True,
            **arguments,
        )


@pytest.mark.parametrize("clip", [None, 1.0])
def test_a_step_where_no_parameter_has_a_gradient_logs_a_zero_norm(clip):
    # The loss depends on a tensor outside the model: backward leaves every .grad None.
    model, outside = linear(), torch.ones(1, dtype=torch.float64, requires_grad=True)
    before = model.weight.detach().clone()
    history = fit(
        model,
        regression_batches(n_batches=2),
        loss=lambda model, batch: (outside * batch[1]).mean(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        max_steps=2,
        clip=clip,
        device="cpu",
        progress=False,
    )
    assert list(history["grad_norm"].values) == [0.0, 0.0]
    assert torch.equal(model.weight, before)


# --- failures and arguments ------------------------------------------------------------------


def test_a_non_finite_loss_names_the_step(tmp_path):
    calls = []

    def loss(model, batch):
        calls.append(None)
        value = mse(model, batch)
        return value * math.nan if len(calls) == 3 else value

    model = linear()
    with pytest.raises(FloatingPointError, match=r"step 3 .*clip.*smaller learning rate"):
        fit(
            model,
            regression_batches(),
            loss=loss,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
            max_steps=5,
            device="cpu",
            progress=False,
        )


def test_early_stopping_stops_and_restores_the_best_weights():
    # Trained towards y = 2x, validated on y = x/2: val_loss falls, then rises.
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 1, generator=g, dtype=torch.float64)
    train = [(x[i : i + 8], 2 * x[i : i + 8]) for i in range(0, 32, 8)]
    val = [(x, x / 2)]
    model = nn.Linear(1, 1, bias=False).double()
    nn.init.zeros_(model.weight)
    history = fit(
        model,
        train,
        val,
        loss=mse,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.02),
        max_steps=400,
        eval_every=2,
        early_stopping=3,
        device="cpu",
        progress=False,
    )
    steps, val_loss = history["val_loss"]
    assert steps[-1] < 400  # stopped early
    assert val_loss.argmin() == len(val_loss) - 4  # three validations without improvement
    assert evaluate(model, val, loss=mse, device="cpu")["loss"] == val_loss.min()


def test_early_stopping_needs_val_data():
    model = linear()
    with pytest.raises(ValueError, match="early_stopping"):
        fit(
            model,
            regression_batches(),
            loss=mse,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
            epochs=1,
            early_stopping=2,
            device="cpu",
            progress=False,
        )


def test_amp_on_the_cpu_is_an_error():
    model = linear()
    with pytest.raises(ValueError, match="amp"):
        fit(
            model,
            regression_batches(),
            loss=mse,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
            epochs=1,
            amp=True,
            device="cpu",
            progress=False,
        )


def _gen():
    yield from regression_batches(n_batches=1)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"epochs": 1, "max_steps": 1}, ValueError, "epochs, max_steps"),
        ({}, ValueError, "epochs, max_steps"),
        ({"epochs": 0}, ValueError, "epochs"),
        ({"max_steps": -2}, ValueError, "max_steps"),
        ({"max_steps": 1.5}, TypeError, "max_steps"),
        ({"epochs": 1, "eval_every": 0}, ValueError, "eval_every"),
        ({"epochs": 1, "clip": 0.0}, ValueError, "clip"),
        ({"epochs": 1, "clip": -1}, ValueError, "clip"),
        ({"epochs": 1, "early_stopping": 0}, ValueError, "early_stopping"),
        ({"epochs": 1, "resume": True}, ValueError, "resume"),
        ({"epochs": 1, "train_data": []}, ValueError, "train_data"),
        ({"epochs": 1, "train_data": _gen()}, TypeError, "train_data"),
        ({"epochs": 1, "train_data": (b for b in [])}, TypeError, "train_data"),
        (
            {"epochs": 1, "loss": nn.MSELoss(), "train_data": [torch.ones(2, 3)]},
            TypeError,
            "loss: a criterion module",
        ),
        ({"epochs": 1, "loss": lambda m, b: m(b[0])}, ValueError, r"loss: expected a scalar"),
        ({"epochs": 1, "metrics": {"acc": len}}, ValueError, "metrics"),
        ({"epochs": 1, "optimizer": "sgd"}, TypeError, "optimizer"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, error, name):
    model = linear()
    arguments = {
        "train_data": regression_batches(n_batches=1),
        "loss": mse,
        "optimizer": torch.optim.SGD(model.parameters(), lr=0.01),
    }
    arguments.update(kwargs)
    train_data = arguments.pop("train_data")
    with pytest.raises(error, match=name):
        fit(model, train_data, device="cpu", progress=False, **arguments)


def test_an_optimizer_of_another_model_is_an_error():
    model = linear()
    with pytest.raises(ValueError, match="optimizer"):
        fit(
            model,
            regression_batches(),
            loss=mse,
            optimizer=torch.optim.SGD(linear().parameters(), lr=0.01),
            epochs=1,
            device="cpu",
            progress=False,
        )


def test_an_iterable_without_batches_is_an_error():
    class Empty:
        def __iter__(self):
            return iter(())

    model = linear()
    with pytest.raises(ValueError, match="train_data: expected at least one batch"):
        fit(
            model,
            Empty(),
            loss=mse,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
            epochs=1,
            device="cpu",
            progress=False,
        )


# --- CUDA ------------------------------------------------------------------------------------


@pytest.mark.cuda
def test_bf16_autocast_on_cuda_trains_and_moves_everything():
    dtypes = []

    def loss(model, batch):
        x, y = batch
        out = model(x)
        dtypes.append((out.dtype, x.device.type))
        return ((out.float() - y) ** 2).mean()

    model = linear(dtype=torch.float32)
    data = regression_batches(dtype=torch.float32)
    history = fit(
        model,
        data,
        data[:2],
        loss=loss,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
        epochs=8,
        device="cuda",
        progress=False,
    )
    assert set(dtypes[:3]) == {(torch.bfloat16, "cuda")}
    assert model.weight.device.type == "cuda" and model.weight.dtype == torch.float32
    losses = history["train_loss"].values
    assert losses[-1] < losses[0] / 10


@pytest.mark.cuda
def test_amp_false_on_cuda_keeps_float32():
    dtypes = []

    def loss(model, batch):
        dtypes.append(model(batch[0]).dtype)
        return mse(model, batch)

    model = linear(dtype=torch.float32)
    fit(
        model,
        regression_batches(n_batches=1, dtype=torch.float32),
        loss=loss,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        max_steps=1,
        device="cuda",
        amp=False,
        progress=False,
    )
    assert dtypes == [torch.float32]


def test_the_progress_bar_shows_the_losses(capsys):
    model, data = linear(), regression_batches(n_batches=2)
    fit(
        model,
        data,
        data,
        loss=mse,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        epochs=2,
        device="cpu",
    )
    err = capsys.readouterr().err
    assert "training" in err and "4/4" in err and "val_loss=" in err
