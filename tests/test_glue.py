"""companion.glue: myst-nb's glue in the book, a printed value anywhere else."""

from __future__ import annotations

import builtins
import sys

import pytest

from companion.glue import glue


def test_glue_delegates_to_myst_nb(monkeypatch):
    seen = []
    fake = type(sys)("myst_nb")
    fake.glue = lambda name, value, display=True: seen.append((name, value, display))
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    glue("loss", 0.5, display=False)
    assert seen == [("loss", 0.5, False)]


def test_glue_prints_the_value_without_myst_nb(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_myst_nb(name, *args, **kwargs):
        if name == "myst_nb":
            raise ImportError("no myst_nb here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_myst_nb)
    glue("loss", 0.123456789, display=False)
    glue("steps", 300)
    glue("word", "cat")
    assert capsys.readouterr().out.splitlines() == ["loss = 0.123457", "steps = 300", "word = cat"]


@pytest.mark.parametrize("name", ["", 3, None])
def test_glue_rejects_a_name_that_is_not_a_string(name):
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        glue(name, 1.0)
