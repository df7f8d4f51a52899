"""Choose the recurrent layer a task model is built from: PyTorch's, or the course's own.

The task models (``Forecaster``, ``Seq2Seq``) take ``cell`` (``"rnn"``, ``"lstm"``,
``"gru"``) and ``backend``: ``"torch"`` builds ``torch.nn.RNN/LSTM/GRU``, ``"companion"``
builds the hand-written drop-ins ``companion.nn.RNN/LSTM/GRU``, which take the same
constructor arguments and return the same values.
"""

from __future__ import annotations

from torch import nn

CELLS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
BACKENDS = ("torch", "companion")


def recurrent_layer(cell: str, backend: str = "torch") -> type[nn.Module]:
    """The class of the recurrent layer ``cell`` from ``backend``.

    Raises:
        ValueError: an unknown ``cell`` or ``backend``.
    """
    if cell not in CELLS:
        raise ValueError(f"cell: expected one of {', '.join(CELLS)}, got {cell!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "torch":
        return getattr(nn, CELLS[cell])
    import companion.nn as companion_nn  # the package of this module, complete by now

    return getattr(companion_nn, CELLS[cell])
