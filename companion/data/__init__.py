"""Offline datasets and batching, each in a module of its own (import the one you need).

* :mod:`~companion.data.text`: Python's documentation text, :class:`CharVocab`.
* :mod:`~companion.data.words`: word tokens, a vocabulary with a cut-off, Zipf's law.
* :mod:`~companion.data.names`: surnames and their language of origin (``faker``).
* :mod:`~companion.data.timeseries`: sunspots and CO2 (``statsmodels``), windows, splits,
  baseline forecasts (persistence, seasonal naive) and their errors.
* :mod:`~companion.data.dates`: dates written by ``babel`` in many locales and formats.
* :mod:`~companion.data.synthetic`: the adding problem and the copy task.
* :mod:`~companion.data.missing`: missing values and time gaps as model inputs.
* :mod:`~companion.data.batching`: padding and collating variable-length sequences (torch).
* :mod:`~companion.data.baselines`: compression baselines in bits per character.

Importing :mod:`companion.data` imports none of them, so NumPy-only code (``scratch``)
never pulls in torch.
"""
