"""The standalone notebooks (``make notebooks``): what Colab, Binder and a download open."""

from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import standalone_notebooks as sn  # noqa: E402

MYST_LEFT = re.compile(r":::\{|```\{|\{doc\}`|\{cite|\{glue|\{eq\}`|\{numref\}`|^\([\w-]+\)=", re.M)


@pytest.fixture(scope="module")
def site() -> sn.Site:
    return sn.Site.from_repository(ROOT)


@pytest.fixture(scope="module")
def written(tmp_path_factory, site) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("notebooks")
    paths = sn.write_notebooks(ROOT, out)
    return {path.relative_to(out).with_suffix("").as_posix(): path for path in paths}


def convert(site: sn.Site, text: str, docname: str = "book/03-math/03-bptt") -> str:
    return sn.Converter(site, docname).markdown(text)


def test_every_page_exercise_and_solution_is_written(written, site):
    expected = [n for n in site.docnames if n.startswith(("book/", "exercises/", "solutions/"))]
    assert sorted(written) == sorted(expected)
    assert {"book/03-math/03-bptt", "exercises/05-code", "solutions/05-code"} <= set(written)


def test_no_myst_markup_is_left_in_any_notebook(written):
    for name, path in written.items():
        text = path.read_text(encoding="utf-8")
        notebook = json.loads(text)
        for cell in notebook["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "markdown":
                assert not MYST_LEFT.search(source), (name, MYST_LEFT.search(source).group(0))
            assert not re.search(r"\{(doc|cite:[pt]|eq|numref)\}`", json.dumps(cell["metadata"]))


def test_code_cells_are_untouched_and_the_setup_cell_comes_first(written, site):
    for name, path in written.items():
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        setup, *cells = notebook.cells
        assert setup.metadata["tags"] == ["remove-cell"]
        assert 'importlib.metadata.version("rnn-course")' in setup.source
        assert f'"rnn-course[data]=={site.version}"' in setup.source
        source_code = [c.source for c in site.source(name).cells if c.cell_type == "code"]
        assert [c.source for c in cells if c.cell_type == "code"] == source_code, name


def test_display_math_is_untouched_but_numbered(written, site):
    for name, path in written.items():
        original = "\n".join(c.source for c in site.source(name).cells if c.cell_type == "markdown")
        converted = "\n".join(
            c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"
        )
        bodies = [body for body, _ in sn.LABELLED_MATH.findall(original)]
        for number, body in enumerate(bodies, start=1):
            assert f"$$\n{body}\n\\tag{{{number}}}\n$$" in converted, name


def test_the_same_sources_give_the_same_files(tmp_path, written):
    again = sn.write_notebooks(ROOT, tmp_path)
    for path in again:
        name = path.relative_to(tmp_path).with_suffix("").as_posix()
        assert path.read_bytes() == written[name].read_bytes(), name


def test_pages_that_use_a_device_ask_colab_for_a_gpu(written):
    def metadata(name):
        return nbformat.read(written[name], as_version=4).metadata

    assert metadata("book/05-code/03-lstm-gru")["accelerator"] == "GPU"
    assert "accelerator" not in metadata("book/03-math/03-bptt")


def test_an_admonition_becomes_a_block_quote(site):
    text = ":::{admonition} In this section\n:class: tip\n**You will** learn.\n\nMore.\n:::"
    assert convert(site, text) == "> **In this section**\n>\n> **You will** learn.\n>\n> More."


def test_a_rubric_becomes_bold(site):
    assert convert(site, "```{rubric} The sections\n```") == "**The sections**"


def test_doc_links_point_into_the_published_book(site):
    url = "https://rnn-course.github.io/rnn-from-scratch-to-gpu/book/03-math/01-forward.html"
    title = site.title("book/03-math/01-forward")
    assert convert(site, "See {doc}`01-forward`.") == f"See [{title}]({url})."
    assert convert(site, "{doc}`the forward pass <../03-math/01-forward>`") == (
        f"[the forward pass]({url})"
    )
    with pytest.raises(ValueError, match="no page 'book/03-math/no-such-page'"):
        convert(site, "{doc}`no-such-page`")


def test_markdown_links_to_pages_point_into_the_published_book(site):
    url = "https://rnn-course.github.io/rnn-from-scratch-to-gpu/book/03-math/01-forward.html"
    title = site.title("book/03-math/01-forward")
    assert convert(site, "See [](01-forward.md).") == f"See [{title}]({url})."
    assert convert(site, "[the pass](../03-math/01-forward.md#the-setting)") == (
        f"[the pass]({url}#the-setting)"
    )
    kept = "[PyTorch](https://pytorch.org/docs/stable/nn.md) and [below](#the-setting)"
    assert convert(site, kept) == kept
    with pytest.raises(ValueError, match="no page 'book/03-math/gone'"):
        convert(site, "[](gone.md)")


def test_citations_name_authors_and_years(site):
    refs = "https://rnn-course.github.io/rnn-from-scratch-to-gpu/book/appendix/references.html"
    assert (
        convert(site, "{cite:t}`hochreiter1997`") == f"[Hochreiter and Schmidhuber (1997)]({refs})"
    )
    assert convert(site, "{cite:p}`mccullochpitts1943,hochreiter1997`") == (
        f"([McCulloch and Pitts, 1943]({refs}); [Hochreiter and Schmidhuber, 1997]({refs}))"
    )
    with pytest.raises(ValueError, match="unknown key 'nobody2099'"):
        convert(site, "{cite:p}`nobody2099`")


def test_equation_and_figure_references_are_numbered_links(site):
    docname = "book/06-future/06-linear-recurrences"
    assert convert(site, "{eq}`ch6-linrec`", docname) == "[Eq. (1)](#equation-ch6-linrec)"
    figure = site.labels["ch6-linrec-depth-work"]
    assert convert(site, "{numref}`ch6-linrec-depth-work`", docname) == (
        f"[Figure {figure.number}](#ch6-linrec-depth-work)"
    )
    elsewhere = convert(site, "{eq}`ch6-linrec`", "book/06-future/07-state-space")
    assert elsewhere.startswith("[Eq. (1) of “Linear recurrences and parallel scans”](https://")
    assert elsewhere.endswith("06-linear-recurrences.html#equation-ch6-linrec)")
    with pytest.raises(ValueError, match="unknown label 'no-such-label'"):
        convert(site, "{eq}`no-such-label`")


def test_a_glued_value_becomes_its_name(site):
    assert convert(site, "took {glue:text}`loop_ms:.1f` ms") == "took `loop_ms` ms"


def test_literalinclude_becomes_the_included_object(site):
    from companion.nn.recurrent import RNN

    text = (
        "```{literalinclude} ../../companion/nn/recurrent.py\n"
        ":language: python\n:pyobject: RNN._step\n```"
    )
    expected = inspect.getsource(RNN._step)
    lines = expected.rstrip("\n").split("\n")
    assert convert(site, text) == "\n".join(["```python", *lines, "```"])
    captioned = text.replace(":language:", ":caption: companion/nn/recurrent.py\n:language:")
    assert convert(site, captioned).startswith("*companion/nn/recurrent.py*\n\n```python\n")
    missing = text.replace("RNN._step", "RNN._no_such_method")
    with pytest.raises(ValueError, match="defines no RNN._no_such_method"):
        convert(site, missing)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (":::{figure} x.png\n:::", r"no plain-Jupyter form for the \{figure\} directive"),
        (":::{admonition} Open\nnever closed", r"the \{admonition\} directive is never closed"),
        ("{term}`hidden state`", r"no plain-Jupyter form for the \{term\} role"),
    ],
)
def test_markup_without_a_plain_form_stops_with_the_page_named(site, text, message):
    with pytest.raises(ValueError, match=message) as error:
        convert(site, text)
    assert "book/03-math/03-bptt" in str(error.value)


def test_a_figure_caption_becomes_a_numbered_line_under_the_figure(site, written):
    name = "book/06-future/06-linear-recurrences"
    cells = nbformat.read(written[name], as_version=4).cells
    index = next(i for i, c in enumerate(cells) if "ch6-linrec-depth-work" in c.source)
    assert cells[index].cell_type == "markdown" and cells[index - 1].cell_type == "code"
    assert cells[index].source.startswith('<a id="ch6-linrec-depth-work"></a>\n\n**Figure 1.** ')


def test_pages_that_glue_values_explain_the_names(written):
    notebook = nbformat.read(written["book/06-future/06-linear-recurrences"], as_version=4)
    assert "stands for a number that a code cell computes" in notebook.cells[2].source
    source = jupytext.read(ROOT / "book" / "03-math" / "01-forward.md")
    glues = any("{glue" in c.source for c in source.cells)
    notes = [
        c
        for c in nbformat.read(written["book/03-math/01-forward"], as_version=4).cells
        if "stands for a number" in c.source
    ]
    assert bool(notes) == glues
