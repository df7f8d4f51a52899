"""The training history shared by the NumPy and torch loops."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from companion.history import History


def test_log_and_read_back():
    history = History()
    history.log(1, train_loss=2.5, grad_norm=np.float32(3.0))
    history.log(2, train_loss=2.0)
    history.log(2, val_bpc=1.5)
    steps, values = history["train_loss"]
    np.testing.assert_array_equal(steps, [1, 2])
    np.testing.assert_array_equal(values, [2.5, 2.0])
    assert history["val_bpc"].steps.tolist() == [2]
    assert history.names == ["train_loss", "grad_norm", "val_bpc"]
    assert "val_bpc" in history and "val_loss" not in history
    assert history.last("train_loss") == 2.0
    assert repr(history) == "History(train_loss: 2, grad_norm: 1, val_bpc: 1)"


def test_round_trip_through_json():
    history = History()
    for step in range(5):
        history.log(step, loss=1.0 / (step + 1))
    history.log(4, acc=0.9)
    data = json.loads(json.dumps(history.to_dict()))
    assert History.from_dict(data) == history
    assert data["acc"] == {"steps": [4], "values": [0.9]}


def test_errors():
    history = History()
    with pytest.raises(KeyError, match=re.escape("'loss': no such metric; logged metrics are []")):
        history["loss"]
    with pytest.raises(TypeError, match="step: expected an int, got 1.5 of type float"):
        history.log(1.5, loss=1.0)
    with pytest.raises(TypeError, match="loss: expected a number, got str"):
        history.log(1, loss="low")
    with pytest.raises(ValueError, match=re.escape("data['x']: expected as many steps as values")):
        History.from_dict({"x": {"steps": [1, 2], "values": [1.0]}})
