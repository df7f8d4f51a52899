"""PyTorch code of the course: recurrent layers written by hand, and the task models.

* :mod:`~companion.nn.recurrent`: :class:`RNN`, :class:`LSTM`, :class:`GRU`, drop-ins for
  ``torch.nn.RNN/LSTM/GRU`` (same arguments, parameters and return values), and the
  exceptions they raise, :class:`RecurrentInputError` and :class:`ArgumentTypeError`;
  :mod:`~companion.nn.bptt` holds their backward pass, written out by hand.
* :mod:`~companion.nn.charlm`: :class:`CharLM`, the character language model (chapter 5).
* :mod:`~companion.nn.classifier`: :class:`SequenceClassifier` for variable-length sequences.
* :mod:`~companion.nn.forecaster`: :class:`Forecaster`, many-to-one and multi-step forecasts.
* :mod:`~companion.nn.seq2seq`: :class:`Seq2Seq` with :class:`AdditiveAttention`, greedy and
  beam-search decoding.
* :mod:`~companion.nn.transformer`: scaled dot-product attention and
  :class:`TransformerClassifier` (chapter 6).
* :mod:`~companion.nn.scan`: linear recurrences by a loop and by a parallel scan, and
  :class:`MinGRU` (:mod:`~companion.nn.mingru`) built on them (chapter 6).
"""

from companion.nn.charlm import CharLM
from companion.nn.classifier import SequenceClassifier
from companion.nn.forecaster import Forecaster
from companion.nn.mingru import MinGRU
from companion.nn.recurrent import GRU, LSTM, RNN, ArgumentTypeError, RecurrentInputError
from companion.nn.scan import linear_recurrence_loop, linear_recurrence_scan
from companion.nn.seq2seq import AdditiveAttention, Seq2Seq
from companion.nn.transformer import TransformerClassifier

__all__ = [
    "RNN",
    "LSTM",
    "GRU",
    "RecurrentInputError",
    "ArgumentTypeError",
    "CharLM",
    "SequenceClassifier",
    "Forecaster",
    "AdditiveAttention",
    "Seq2Seq",
    "TransformerClassifier",
    "MinGRU",
    "linear_recurrence_loop",
    "linear_recurrence_scan",
]
