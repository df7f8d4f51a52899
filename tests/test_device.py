"""companion.device: cuda > mps > cpu, COMPANION_DEVICE overrides, bad values are clear errors."""

import pytest
import torch

from companion import device as dev


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv(dev.ENV_VAR, raising=False)


def _fake_available(monkeypatch, *kinds):
    monkeypatch.setattr(dev, "_available", lambda kind: kind == "cpu" or kind in kinds)


@pytest.mark.parametrize(
    ("available", "expected"),
    [((), "cpu"), (("mps",), "mps"), (("cuda",), "cuda"), (("cuda", "mps"), "cuda")],
)
def test_picks_cuda_then_mps_then_cpu(monkeypatch, no_env, available, expected):
    _fake_available(monkeypatch, *available)
    assert dev.get_device() == torch.device(expected)


def test_environment_variable_overrides(monkeypatch):
    _fake_available(monkeypatch, "cuda")
    monkeypatch.setenv(dev.ENV_VAR, "cpu")
    assert dev.get_device() == torch.device("cpu")


def test_argument_overrides_environment(monkeypatch):
    _fake_available(monkeypatch, "cuda")
    monkeypatch.setenv(dev.ENV_VAR, "cuda")
    assert dev.get_device("cpu") == torch.device("cpu")


def test_index_is_kept(monkeypatch, no_env):
    _fake_available(monkeypatch, "cuda")
    assert dev.get_device("cuda:1") == torch.device("cuda", 1)


def test_empty_environment_variable_means_automatic(monkeypatch):
    _fake_available(monkeypatch)
    monkeypatch.setenv(dev.ENV_VAR, "")
    assert dev.get_device() == torch.device("cpu")


def test_unknown_value_in_environment_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(dev.ENV_VAR, "tpu")
    with pytest.raises(
        ValueError, match=r"COMPANION_DEVICE: expected one of cpu, cuda, mps.*'tpu'"
    ):
        dev.get_device()


def test_unknown_argument_is_a_clear_error(no_env):
    with pytest.raises(ValueError, match=r"argument 'preferred'.*'gpu'"):
        dev.get_device("gpu")


def test_malformed_index_is_a_clear_error(no_env):
    with pytest.raises(ValueError, match=r"'cpu:x' is not a valid device"):
        dev.get_device("cpu:x")


def test_unavailable_device_is_a_clear_error(monkeypatch):
    _fake_available(monkeypatch)
    monkeypatch.setenv(dev.ENV_VAR, "cuda")
    with pytest.raises(RuntimeError, match="cuda is not available on this machine"):
        dev.get_device()


def test_real_machine_gives_a_usable_device(no_env):
    device = dev.get_device()
    assert torch.ones(2, device=device).sum().item() == 2.0


def test_describe_device_names_the_cpu():
    assert dev.describe_device(torch.device("cpu")).startswith("cpu (")


@pytest.mark.cuda
def test_cuda_is_picked_when_present(no_env):
    assert dev.get_device().type == "cuda"
    assert dev.describe_device().startswith("cuda:")
