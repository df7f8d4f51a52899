"""Docstrings of CPython's standard library as a summarisation task, and ROUGE to score it.

By convention (PEP 257) a docstring's first line summarises what follows it: the source
is the *body* of a docstring, the text after the blank line, and the target its *summary
line*::

    pairs = docstring_pairs(split="train")      # [DocPair(module, name, summary, body)]
    rouge1_f1("return the value", pairs[0].summary)

- :func:`docstring_pairs` reads the running interpreter's ``Lib/`` from disk with
  :mod:`ast` (nothing is imported or downloaded), keeps the docstrings of functions,
  methods and classes that have the form "one summary line, a blank line, a body of
  bounded length", drops repeated bodies and splits by file with a fixed seeded hash.
  How many pairs there are depends on the Python version: count them, never assume it.
- :func:`words`, :func:`rouge1_f1` and :func:`rouge_l_f1` score a candidate summary
  against a reference by the words they share (Lin, 2004).
- :func:`lead_summary` and :func:`name_words` are two baselines that need no training.

The standard library only.
"""

from __future__ import annotations

import ast
import functools
import re
import sysconfig
import warnings
import zlib
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from companion._validate import check_fraction, check_int

SKIPPED_DIRECTORIES = frozenset({"site-packages", "test", "tests", "idle_test", "__pycache__"})
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


class DocPair(NamedTuple):
    """One docstring: where it is, and its summary line and body.

    ``module`` is the file's path relative to ``Lib/`` (``"json/decoder.py"``), ``name`` the
    function's, method's or class's name, ``summary`` the first line, stripped, and ``body``
    the rest after the blank line, its white space collapsed to single spaces.
    """

    module: str
    name: str
    summary: str
    body: str


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a str, got {type(value).__name__}")
    return value


def _check_split(test_fraction: float, seed: int) -> None:
    check_fraction(test_fraction, "test_fraction")
    check_int(seed, "seed", minimum=0)


def _split_docstring(docstring: str) -> tuple[str, str] | None:
    """``(summary, body)`` of a cleaned docstring of the form "line, blank line, body", where
    the line has at least one of :func:`words`; ``None`` for any other docstring."""
    lines = docstring.split("\n")
    if len(lines) < 3 or lines[1].strip() or not _WORD.search(lines[0].lower()):
        return None
    body = " ".join(" ".join(lines[2:]).split())
    return (lines[0].strip(), body) if body else None


@functools.lru_cache(maxsize=4)
def _all_docstrings(lib: Path) -> tuple[DocPair, ...]:
    """Every docstring of the form "line, blank line, body" under ``lib``, in file order."""
    found = []
    paths = sorted(
        path
        for path in lib.rglob("*.py")
        if not SKIPPED_DIRECTORIES.intersection(path.relative_to(lib).parts[:-1])
    )
    for path in paths:
        with warnings.catch_warnings():  # old escape sequences in some files
            warnings.simplefilter("ignore", SyntaxWarning)
            try:
                tree = ast.parse(path.read_bytes(), filename=str(path))
            except (SyntaxError, ValueError):  # a file meant for another Python version
                continue
        module = path.relative_to(lib).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                docstring = ast.get_docstring(node, clean=True)
                parts = _split_docstring(docstring) if docstring else None
                if parts is not None:
                    found.append(DocPair(module, node.name, *parts))
    return tuple(found)


def is_test_module(module: str, test_fraction: float = 0.2, seed: int = 0) -> bool:
    """Whether the docstrings of ``module`` (a path such as ``"json/decoder.py"``) are test pairs.

    A fixed hash of ``seed`` and the path (CRC-32), not a random draw: the same file is on
    the same side for every Python version and process. About ``test_fraction`` of the
    files are test files.
    """
    _check_text("module", module)
    _check_split(test_fraction, seed)
    return zlib.crc32(f"{seed}:{module}".encode()) / 2**32 < test_fraction


def docstring_pairs(
    split: str | None = None,
    *,
    min_body_words: int = 5,
    max_body_words: int = 100,
    test_fraction: float = 0.2,
    seed: int = 0,
    lib: str | Path | None = None,
) -> list[DocPair]:
    """``(module, name, summary, body)`` pairs from the docstrings of the standard library.

    Reads every ``.py`` file under ``lib`` (by default the running interpreter's ``Lib/``,
    ``sysconfig.get_paths()["stdlib"]``), in sorted path order, except those in the
    directories :data:`SKIPPED_DIRECTORIES` (the test suites and installed packages). Of
    the docstrings of functions, methods and classes it keeps those whose first line holds
    at least one of :func:`words` and is followed by a blank line and a body of
    ``min_body_words .. max_body_words`` words (split on white space); a body seen before,
    with any summary, is dropped.

    Args:
        split: ``None`` for every pair; ``"train"`` or ``"test"`` for the pairs of the files
            on one side of :func:`is_test_module`, so that no file (and no class) has
            docstrings on both sides.
        min_body_words, max_body_words: the bounds on the body's length, in words.
        test_fraction, seed: the split, as in :func:`is_test_module`.
        lib: the directory to read instead of the standard library.

    Returns:
        The pairs, in the order of their files and, within a file, of :func:`ast.walk`.
    """
    if split not in (None, "train", "test"):
        raise ValueError(f"split: expected None, 'train' or 'test', got {split!r}")
    check_int(min_body_words, "min_body_words", minimum=1)
    check_int(max_body_words, "max_body_words", minimum=min_body_words)
    if lib is None:
        lib = sysconfig.get_paths()["stdlib"]
    if not isinstance(lib, (str, Path)):
        raise TypeError(f"lib: expected a directory path, got {type(lib).__name__}")
    lib = Path(lib).resolve()
    if not lib.is_dir():
        raise ValueError(f"lib: expected an existing directory, got {str(lib)!r}")
    _check_split(test_fraction, seed)
    pairs, seen = [], set()
    for pair in _all_docstrings(lib):
        if not min_body_words <= len(pair.body.split()) <= max_body_words or pair.body in seen:
            continue
        seen.add(pair.body)
        if split is None or is_test_module(pair.module, test_fraction, seed) == (split == "test"):
            pairs.append(pair)
    return pairs


def words(text: str) -> list[str]:
    """The words of ``text`` as ROUGE compares them: lower case, runs of ``[a-z0-9]``.

    ``words("Return the file's size.") == ["return", "the", "file", "s", "size"]``.
    """
    return _WORD.findall(_check_text("text", text).lower())


def _f1(overlap: float, candidate_length: int, reference_length: int) -> float:
    if overlap == 0:
        return 0.0
    precision, recall = overlap / candidate_length, overlap / reference_length
    return 2 * precision * recall / (precision + recall)


def rouge1_f1(candidate: str, reference: str) -> float:
    """ROUGE-1 F1: the harmonic mean of the shares of shared words in each text.

    The overlap counts every word at most as often as it occurs in each text (clipped
    counts); precision divides it by the candidate's number of :func:`words`, recall by
    the reference's. 0 when either text has no words.
    """
    candidate_words, reference_words = words(candidate), words(reference)
    overlap = sum((Counter(candidate_words) & Counter(reference_words)).values())
    return _f1(overlap, len(candidate_words), len(reference_words))


def _lcs_length(a: list[str], b: list[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l_f1(candidate: str, reference: str) -> float:
    """ROUGE-L F1: as :func:`rouge1_f1`, with the overlap the longest common subsequence.

    The longest common subsequence of the two lists of :func:`words` rewards words that
    appear in the same order, not necessarily next to each other. F1 weighs precision and
    recall equally (Lin's F-measure with beta = 1). 0 when either text has no words.
    """
    candidate_words, reference_words = words(candidate), words(reference)
    overlap = _lcs_length(candidate_words, reference_words)
    return _f1(overlap, len(candidate_words), len(reference_words))


def lead_summary(body: str, max_words: int) -> str:
    """The *lead* baseline: the body's first sentence, cut to its first ``max_words`` words.

    A sentence ends at ``.``, ``!`` or ``?`` followed by white space (so ``os.path`` does
    not end one); words are split on white space.
    """
    check_int(max_words, "max_words", minimum=1)
    first = _SENTENCE_END.split(_check_text("body", body).strip(), maxsplit=1)[0]
    return " ".join(first.split()[:max_words])


def name_words(name: str) -> str:
    """The words of an identifier, lower case: ``"getLoggerClass"`` -> ``"get logger class"``.

    Splits at underscores, at changes from lower to upper case and around digits.
    """
    return " ".join(part.lower() for part in _CAMEL.findall(_check_text("name", name)))
