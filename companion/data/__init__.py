"""Offline datasets and batching, each in a module of its own (import the one you need).

* :mod:`~companion.data.text`: Python's documentation text, :class:`CharVocab`.
* :mod:`~companion.data.words`: word tokens, a vocabulary with a cut-off, Zipf's law.
* :mod:`~companion.data.names`: surnames and their language of origin (``faker``).
* :mod:`~companion.data.timeseries`: sunspots and CO2 (``statsmodels``), windows, splits,
  baseline forecasts (persistence, seasonal naive) and their errors.
* :mod:`~companion.data.dates`: dates written by ``babel`` in many locales and formats.
* :mod:`~companion.data.synthetic`: the adding problem and the copy task.
* :mod:`~companion.data.missing`: missing values and time gaps as model inputs.
* :mod:`~companion.data.panel`: a family of related series (shared dynamics, lead-lag),
  per-series standardisation, pooled and stacked windows.
* :mod:`~companion.data.resample`: down-sampling by a whole factor (keep one sample, or average).
* :mod:`~companion.data.docstrings`: docstrings of the standard library as (body, summary line)
  pairs; ROUGE-1 and ROUGE-L F1.
* :mod:`~companion.data.anomalies`: seasonal series with injected anomalies (spikes, level
  shifts, pattern changes), thresholds for a false-alarm rate, detection rates.
* :mod:`~companion.data.batching`: padding and collating variable-length sequences (torch).
* :mod:`~companion.data.baselines`: compression baselines in bits per character.

Importing :mod:`companion.data` imports none of them, so NumPy-only code (``scratch``)
never pulls in torch.
"""
