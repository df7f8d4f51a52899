"""PyTorch code of the course: recurrent layers written by hand, and the task models.

* :mod:`~companion.nn.recurrent`: :class:`RNN`, :class:`LSTM`, :class:`GRU`, drop-ins for
  ``torch.nn.RNN/LSTM/GRU`` (same arguments, parameters and return values).
"""

from companion.nn.recurrent import GRU, LSTM, RNN

__all__ = ["RNN", "LSTM", "GRU"]
