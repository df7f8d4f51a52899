"""companion.data.docstrings: the pairs read from Lib/, the split, ROUGE and the baselines."""

from __future__ import annotations

import sysconfig
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion.data.docstrings import (
    DocPair,
    docstring_pairs,
    is_test_module,
    lead_summary,
    name_words,
    rouge1_f1,
    rouge_l_f1,
    words,
)

LIBRARY = textwrap.dedent(
    '''
    def kept(x):
        """Return x doubled.

        The value is multiplied
        by two, then returned.
        """


    def one_line():
        """Return nothing of interest."""


    def no_blank_line():
        """Return something
        without a blank line after the first line of the docstring.
        """


    def too_short():
        """Do it.

        Two words.
        """


    def punctuation_only():
        """...

        A body that is long enough to be kept by the length filter.
        """


    class Kept:
        """A class whose docstring counts.

        Classes and their methods are read as well as functions.
        """

        def method(self):
            """Return the same body as another.

            The value is multiplied by two, then returned.
            """

        async def fetch(self):
            """Fetch the page.

            Coroutines are functions too, and their docstrings are read.
            """
    '''
)


@pytest.fixture()
def lib(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(LIBRARY)
    for skipped in ("test", "site-packages"):  # never read
        (tmp_path / skipped).mkdir()
        body = f"A body found in {skipped} only."
        (tmp_path / skipped / "mod.py").write_text(f'def g():\n    """Skip.\n\n    {body}"""\n')
    (tmp_path / "py2.py").write_text('def f():\n    print "not Python 3"\n')  # skipped
    return tmp_path


def test_keeps_summary_blank_line_body_and_drops_repeated_bodies(lib):
    pairs = docstring_pairs(lib=lib)
    assert [p.name for p in pairs] == ["kept", "Kept", "fetch"]
    assert pairs[0] == DocPair(
        "pkg/mod.py", "kept", "Return x doubled.", "The value is multiplied by two, then returned."
    )
    assert pairs[1].body == "Classes and their methods are read as well as functions."


def test_body_length_bounds_are_inclusive(lib):
    # "The value is multiplied by two, then returned." has 8 words
    assert "kept" in [p.name for p in docstring_pairs(lib=lib, max_body_words=8)]
    assert "kept" not in [p.name for p in docstring_pairs(lib=lib, max_body_words=7)]
    assert "too_short" in [p.name for p in docstring_pairs(lib=lib, min_body_words=2)]


def test_split_is_by_file_disjoint_and_complete(lib):
    for i in range(12):  # m3, m5, m6 and m10 are test files for seed 0
        (lib / f"m{i}.py").write_text(f'def f():\n    """Do {i}.\n\n    A body for {i} here."""\n')
    everything = docstring_pairs(lib=lib)
    train, test = docstring_pairs("train", lib=lib), docstring_pairs("test", lib=lib)
    assert sorted(p.module for p in test) == ["m10.py", "m3.py", "m5.py", "m6.py"]
    assert sorted(train + test) == sorted(everything) and len(everything) == 12 + 3
    assert not {p.module for p in train} & {p.module for p in test}
    for p in test:
        assert is_test_module(p.module)
    assert docstring_pairs("test", lib=lib) == test  # the same every time


def test_is_test_module_is_a_fixed_hash_with_the_asked_share():
    modules = [f"pkg/module_{i}.py" for i in range(4000)]
    share = sum(map(is_test_module, modules)) / len(modules)
    assert 0.18 < share < 0.22
    assert [is_test_module(m) for m in modules[:50]] == [is_test_module(m) for m in modules[:50]]
    other_seed = [is_test_module(m, seed=1) for m in modules]
    assert other_seed != [is_test_module(m) for m in modules]


def test_standard_library_pairs_are_well_formed():
    pairs = docstring_pairs()
    assert len(pairs) > 500  # the count depends on the Python version; never hard-coded
    assert len({p.body for p in pairs}) == len(pairs)
    for p in pairs:
        assert p.summary and "\n" not in p.summary and words(p.summary)
        assert 5 <= len(p.body.split()) <= 100 and "  " not in p.body
        assert (Path(sysconfig.get_paths()["stdlib"]) / p.module).is_file()
        assert not {"test", "tests", "site-packages"} & set(Path(p.module).parts[:-1])
    train, test = docstring_pairs("train"), docstring_pairs("test")
    assert len(train) + len(test) == len(pairs) and len(test) > 0.05 * len(pairs)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"split": "val"}, ValueError, "split: expected None, 'train' or 'test', got 'val'"),
        ({"min_body_words": 0}, ValueError, "min_body_words: expected a positive int, got 0"),
        ({"max_body_words": 3}, ValueError, "max_body_words: expected an int >= 5, got 3"),
        (
            {"min_body_words": 2.0},
            TypeError,
            "min_body_words: expected a positive int, got 2.0 of type float",
        ),
        ({"test_fraction": 1.0}, ValueError, r"test_fraction: expected a number in \(0, 1\)"),
        (
            {"test_fraction": "0.2"},
            TypeError,
            "test_fraction: expected a number in .0, 1., got '0.2' of type str",
        ),
        ({"seed": -1}, ValueError, "seed: expected a non-negative int, got -1"),
        ({"lib": 3}, TypeError, "lib: expected a directory path, got int"),
        ({"lib": "/no/such/directory"}, ValueError, "lib: expected an existing directory"),
    ],
)
def test_docstring_pairs_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        docstring_pairs(**kwargs)


def test_words_lowers_and_keeps_letters_and_digits():
    assert words("Return the file's size, in KiB (base 2).") == [
        "return", "the", "file", "s", "size", "in", "kib", "base", "2",
    ]  # fmt: skip
    assert words("...") == []
    with pytest.raises(TypeError, match="text: expected a str, got list"):
        words(["a"])


def test_rouge_on_a_worked_example():
    candidate, reference = "Return the size of the file.", "Return the file's size in bytes."
    # shared words (clipped): return, the, size, file -> P = 4/6, R = 4/7, F1 = 8/13
    assert rouge1_f1(candidate, reference) == pytest.approx(8 / 13)
    # longest common subsequence: "return the size" (3) -> P = 3/6, R = 3/7, F1 = 6/13
    assert rouge_l_f1(candidate, reference) == pytest.approx(6 / 13)


def test_rouge_clips_repeated_words_and_punishes_order_only_in_rouge_l():
    assert rouge1_f1("the the the", "the cat") == pytest.approx(2 * (1 / 3) * (1 / 2) / (5 / 6))
    assert rouge1_f1("b a", "a b") == 1.0
    assert rouge_l_f1("b a", "a b") == pytest.approx(0.5)
    assert rouge1_f1("", "a b") == rouge_l_f1("a b", "...") == 0.0
    assert rouge1_f1("x y", "a b") == 0.0


@given(st.text(alphabet="ab c", max_size=20), st.text(alphabet="ab c", max_size=20))
def test_rouge_is_symmetric_bounded_and_l_never_above_1(candidate, reference):
    r1, rl = rouge1_f1(candidate, reference), rouge_l_f1(candidate, reference)
    assert 0.0 <= rl <= r1 <= 1.0
    assert r1 == pytest.approx(rouge1_f1(reference, candidate))
    assert rl == pytest.approx(rouge_l_f1(reference, candidate))
    if words(candidate):
        assert rouge1_f1(candidate, candidate) == pytest.approx(1.0)


def test_lead_summary_takes_the_first_sentence_and_cuts_it():
    body = "Read the file at os.path.join(a, b). Then close it."
    assert lead_summary(body, 20) == "Read the file at os.path.join(a, b)."
    assert lead_summary(body, 3) == "Read the file"
    assert lead_summary("  No full stop at all  ", 10) == "No full stop at all"
    with pytest.raises(ValueError, match="max_words: expected a positive int, got 0"):
        lead_summary(body, 0)
    with pytest.raises(TypeError, match="body: expected a str, got NoneType"):
        lead_summary(None, 3)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("create_default_context", "create default context"),
        ("getLoggerClass", "get logger class"),
        ("HTTPServer", "http server"),
        ("__init__", "init"),
        ("b64encode", "b 64 encode"),
    ],
)
def test_name_words_splits_identifiers(name, expected):
    assert name_words(name) == expected
