"""The recurrent network from scratch, in NumPy only (no torch anywhere in this package).

* :mod:`~companion.scratch.rnn`: :class:`RNN`, forward and backpropagation through time.
* :mod:`~companion.scratch.losses`: stable softmax, log-softmax, softmax cross-entropy.
* :mod:`~companion.scratch.init`: seeded initialisers (uniform, normal, Xavier, orthogonal).
* :mod:`~companion.scratch.optim`: SGD, Adagrad, RMSprop, Adam, equal to ``torch.optim``'s.
* :mod:`~companion.scratch.clip`: gradient clipping by global norm.
* :mod:`~companion.scratch.gradcheck`: gradients against finite differences.
* :mod:`~companion.scratch.charlm`: a character language model: batching, training,
  bits per character, sampling.
"""

from companion.scratch.charlm import StreamBatcher, evaluate_bpc, sample, train_char_lm
from companion.scratch.clip import clip_grad_norm, grad_norm
from companion.scratch.gradcheck import GradcheckResult, gradcheck, relative_error
from companion.scratch.init import (
    as_generator,
    normal,
    orthogonal,
    uniform,
    xavier_normal,
    xavier_std,
    xavier_uniform,
)
from companion.scratch.losses import log_softmax, softmax, softmax_cross_entropy
from companion.scratch.optim import SGD, Adagrad, Adam, Optimizer, RMSprop
from companion.scratch.rnn import RNN, sum_rows_by_id

__all__ = [
    "RNN",
    "sum_rows_by_id",
    "softmax",
    "log_softmax",
    "softmax_cross_entropy",
    "as_generator",
    "uniform",
    "normal",
    "xavier_std",
    "xavier_uniform",
    "xavier_normal",
    "orthogonal",
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "grad_norm",
    "clip_grad_norm",
    "gradcheck",
    "GradcheckResult",
    "relative_error",
    "StreamBatcher",
    "train_char_lm",
    "evaluate_bpc",
    "sample",
]
