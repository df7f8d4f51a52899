"""Optimisers and gradient clipping, step by step against torch.optim and torch.nn.utils."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from companion.scratch import SGD, Adagrad, Adam, RMSprop, clip_grad_norm, grad_norm

SHAPES = {"W": (4, 3), "b": (3,)}

CASES = [
    (SGD, torch.optim.SGD, {"lr": 0.1}),
    (SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    (SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.01}),
    (SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    (Adagrad, torch.optim.Adagrad, {}),
    (
        Adagrad,
        torch.optim.Adagrad,
        {
            "lr": 0.1,
            "lr_decay": 0.01,
            "weight_decay": 0.1,
            "initial_accumulator_value": 0.5,
            "eps": 1e-6,
        },
    ),
    (RMSprop, torch.optim.RMSprop, {}),
    (RMSprop, torch.optim.RMSprop, {"momentum": 0.9}),
    (RMSprop, torch.optim.RMSprop, {"centered": True}),
    (
        RMSprop,
        torch.optim.RMSprop,
        {
            "lr": 1e-3,
            "alpha": 0.9,
            "eps": 1e-6,
            "weight_decay": 0.01,
            "momentum": 0.5,
            "centered": True,
        },
    ),
    (Adam, torch.optim.Adam, {}),
    (Adam, torch.optim.Adam, {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6}),
    (Adam, torch.optim.Adam, {"lr": 1e-2, "weight_decay": 0.1}),
    (Adam, torch.optim.Adam, {"lr": 1e-2, "amsgrad": True}),
]


@pytest.mark.parametrize(
    "ours, theirs, settings", CASES, ids=lambda c: c.__name__ if isinstance(c, type) else str(c)
)
def test_100_steps_equal_torch(ours, theirs, settings):
    rng = np.random.default_rng(0)
    params = {name: rng.normal(size=shape) for name, shape in SHAPES.items()}
    tensors = {name: torch.tensor(p, requires_grad=True) for name, p in params.items()}
    opt, t_opt = ours(**settings), theirs(list(tensors.values()), **settings)
    for _ in range(100):
        scale = 10.0 ** rng.uniform(-3, 0)  # gradients of varying size exercise eps
        grads = {name: scale * rng.normal(size=shape) for name, shape in SHAPES.items()}
        kept = {name: g.copy() for name, g in grads.items()}
        opt.step(params, grads)
        for name, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[name])
        t_opt.step()
        for name in SHAPES:
            np.testing.assert_array_equal(grads[name], kept[name])  # grads left alone
            np.testing.assert_allclose(
                params[name], tensors[name].detach().numpy(), rtol=0, atol=1e-12, err_msg=name
            )


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (SGD, torch.optim.SGD),
        (Adagrad, torch.optim.Adagrad),
        (RMSprop, torch.optim.RMSprop),
        (Adam, torch.optim.Adam),
    ],
)
def test_default_hyperparameters_equal_torch(ours, theirs):
    defaults = theirs([torch.zeros(1, requires_grad=True)]).defaults
    for name, value in vars(ours()).items():
        if name != "state":
            assert value == defaults[name], name


def test_state_is_kept_per_parameter_name():
    opt = Adam()
    params = {"a": np.zeros(2), "b": np.zeros(3)}
    opt.step(params, {"a": np.ones(2), "b": np.ones(3)})
    assert set(opt.state) == {"a", "b"} and opt.state["a"]["step"] == 1
    assert opt.state["b"]["exp_avg"].shape == (3,)


def test_float32_parameters_stay_float32():
    params = {"w": np.ones(3, dtype=np.float32)}
    for opt in (SGD(lr=0.1, momentum=0.9), Adagrad(), RMSprop(centered=True), Adam()):
        opt.step(params, {"w": np.ones(3, dtype=np.float32)})
        assert params["w"].dtype == np.float32


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: SGD(lr=-1.0), ValueError, "lr: expected a value in >= 0.0, got -1.0"),
        (lambda: SGD(nesterov=True), ValueError, "nesterov: needs momentum > 0 and dampening = 0"),
        (
            lambda: Adam(betas=(0.9, 1.0)),
            ValueError,
            "betas[1]: expected a value in [0.0, 1.0), got 1.0",
        ),
        (lambda: RMSprop(lr="fast"), TypeError, "lr: expected a number, got str"),
    ],
)
def test_bad_hyperparameters(make, error, match):
    with pytest.raises(error, match=re.escape(match)):
        make()


def test_step_checks_keys_and_shapes():
    params = {"w": np.zeros((2, 3))}
    message = "grads: expected the keys of params ['w'], got ['v']"
    with pytest.raises(ValueError, match=re.escape(message)):
        SGD().step(params, {"v": np.zeros((2, 3))})
    message = "grads['w']: expected shape (2, 3) like params['w'], got (3, 2)"
    with pytest.raises(ValueError, match=re.escape(message)):
        SGD().step(params, {"w": np.zeros((3, 2))})


@pytest.mark.parametrize("max_norm", [0.1, 1.0, 3.0, 1e3])
def test_clip_grad_norm_equals_torch(max_norm):
    rng = np.random.default_rng(0)
    grads = {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=3)}
    tensors = [
        torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()
    ]
    for tensor, g in zip(tensors, grads.values(), strict=True):
        tensor.grad = torch.tensor(g)
    total = clip_grad_norm(grads, max_norm)
    t_total = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    assert total == pytest.approx(t_total.item(), abs=1e-12)
    for g, tensor in zip(grads.values(), tensors, strict=True):
        np.testing.assert_allclose(g, tensor.grad.numpy(), rtol=0, atol=1e-12)
    assert grad_norm(grads) == pytest.approx(min(total, max_norm), rel=1e-6)


def test_clip_grad_norm_arguments():
    with pytest.raises(ValueError, match="max_norm: expected a positive finite number, got 0"):
        clip_grad_norm({"w": np.ones(2)}, 0)
    grads = {"w": np.array([np.nan, 1.0])}
    assert np.isnan(clip_grad_norm(grads, 1.0))
