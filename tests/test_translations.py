"""The Chinese edition's catalogues: in step with the English, complete, sound, consistent.

``book/_ext/translations.py`` extracts the messages of every page and keeps the catalogues
``locales/zh_CN/LC_MESSAGES/<page>.po``; the HTML tests (tests/test_book_html.py) build and
open the Chinese edition. Here: the catalogues hold exactly the messages the English pages
have now, every one is translated (none fuzzy) with its markup intact, and the core terms of
the glossary are translated as the glossary says.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from helpers import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import translations  # noqa: E402
from language_switch import other_edition  # noqa: E402

# Core terms of the glossary (book/appendix/glossary.md): an English message that uses the
# term has a translation that contains its Chinese form. BPTT's form is the part common to
# 时间反向传播 and 随时间反向传播, which Chinese texts both use.
TERMS = {
    r"hidden states?": "隐藏状态",
    r"time steps?": "时间步",
    r"minibatch(?:es)?": "小批量",
    r"cell states?": "细胞状态",
    r"gradient clipping": "梯度裁剪",
    r"learning rates?": "学习率",
    r"backpropagation through time": "时间反向传播",
    r"recurrent neural networks?": "循环神经网络",
    r"vanishing gradients?": "梯度消失",
    r"exploding gradients?": "梯度爆炸",
    r"encoders?": "编码器",
    r"decoders?": "解码器",
    r"perplexity": "困惑度",
    r"teacher forcing": "教师强制",
    r"language models?": "语言模型",
    r"activation functions?": "激活函数",
    r"overfitting": "过拟合",
    r"cross-entropy": "交叉熵",
    r"gradient descent": "梯度下降",
    r"loss functions?": "损失函数",
    r"gradient checks?": "梯度检验",
    r"sequence lengths?": "序列长度",
    r"parameter sharing": "参数共享",
    r"forget gates?": "遗忘门",
    r"beam search": "束搜索",
    r"spectral radius": "谱半径",
    r"finite differences?": "有限差分",
    r"reset gates?": "重置门",
    r"update gates?": "更新门",
}


def _catalogue(tmp_path: Path, english: str, chinese: str, fuzzy: bool = False) -> Path:
    """A one-message catalogue in ``tmp_path``."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="zh_CN")
    catalog.add(english, chinese, flags=("fuzzy",) if fuzzy else ())
    path = tmp_path / "page.po"
    with path.open("wb") as handle:
        write_po(handle, catalog, width=-1)
    return path


def test_markup_that_must_survive_translation():
    english = (
        "The gradient {eq}`ch3-grad` of $L$ with `W_hh` ({cite:p}`werbos1990`), see [](01-a.md) "
        "and [the page](02-b.md#x), {glue:text}`bpc:.2f` bits, {numref}`Figure %s <fig-x>`."
    )
    kept = translations.protected(english)
    assert kept == {
        "{eq}ch3-grad": 1,
        "$L$": 1,
        "`W_hh`": 1,
        "{cite:p}werbos1990": 1,
        "](01-a.md)": 1,
        "](02-b.md#x)": 1,
        "{glue:text}bpc:.2f": 1,
        "{numref}fig-x": 1,
    }
    # A role's title may be translated; its target may not.
    assert translations.protected("{numref}`图 %s <fig-x>`") == {"{numref}fig-x": 1}


@pytest.mark.parametrize(
    ("chinese", "fuzzy", "why"),
    [
        ("", False, "untranslated"),
        ("矩阵 $W$ 见 [](a.md)。", True, "fuzzy"),
        ("矩阵 $W_h$ 见 [](a.md)。", False, "markup changed (missing $W$; not in the English"),
        ("矩阵 $W$ 见 [](b.md)。", False, "markup changed (missing ](a.md); not in the English"),
        ("矩阵 $W$ 见 [](a.md)。", False, None),
    ],
)
def test_a_problem_is_found_in_a_catalogue(tmp_path, chinese, fuzzy, why):
    path = _catalogue(tmp_path, "The matrix $W$, see [](a.md).", chinese, fuzzy)
    found = list(translations.problems(path))
    if why is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].why.startswith(why), found


def test_display_math_is_copied_unchanged(tmp_path):
    path = _catalogue(tmp_path, "\nh_t = \\tanh(a_t)\n", "\nh_t = \\tanh(a_t) \n")
    assert [p.why for p in translations.problems(path)] == ["display math must be copied unchanged"]


def test_the_language_switch_links_the_same_page():
    assert other_edition("book/03-math/03-bptt", "en")[0] == "../../zh_CN/book/03-math/03-bptt.html"
    assert other_edition("book/03-math/03-bptt", "zh_CN")[0] == "../../../book/03-math/03-bptt.html"
    assert other_edition("index", "en")[0] == "zh_CN/index.html"
    assert other_edition("index", "zh_CN")[0] == "../index.html"


def test_catalogues_hold_the_messages_of_the_english_pages_now(tmp_path):
    """A changed English paragraph must reach the catalogues (``make catalogues``), where it
    shows as untranslated or fuzzy: otherwise the Chinese page would show stale text."""
    templates = tmp_path / "gettext"
    translations.extract(ROOT, templates)
    pages = {p.relative_to(templates).with_suffix("").as_posix() for p in templates.rglob("*.pot")}
    catalogues = {
        p.relative_to(translations.CATALOGUES).with_suffix("").as_posix()
        for p in translations.catalogue_files()
    }
    assert pages == catalogues, (
        f"pages without a catalogue: {sorted(pages - catalogues)}; catalogues of no page: "
        f"{sorted(catalogues - pages)}: run `make catalogues`"
    )
    stale = [
        page
        for page in sorted(pages)
        if translations.message_ids(templates / f"{page}.pot")
        != translations.message_ids(translations.CATALOGUES / f"{page}.po")
    ]
    assert not stale, f"catalogues behind their English pages: {stale}: run `make catalogues`"


def test_every_message_is_translated_with_its_markup():
    found = [
        str(problem)
        for path in translations.catalogue_files()
        for problem in translations.problems(path)
    ]
    assert not found, f"{len(found)} messages not ready:\n" + "\n".join(found[:40])


def _messages() -> list[tuple[str, str, str]]:
    """(catalogue, English, Chinese) of every translated message."""
    rows = []
    for path in translations.catalogue_files():
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string:
                    rows.append((path.name, str(message.id), str(message.string)))
    return rows


def test_core_terms_are_translated_as_the_glossary_says():
    assert len(TERMS) >= 25
    glossary = (ROOT / "book" / "appendix" / "glossary.md").read_text(encoding="utf-8")
    for chinese in TERMS.values():
        assert chinese in glossary, f"{chinese} is not in the glossary's Chinese column"
    markup = re.compile(r"\{[\w:.-]+\}`[^`]*`|`[^`]*`|\$[^$]*\$|\]\([^)]*\)")
    wrong = []
    for catalogue, english, chinese in _messages():
        if english.startswith("\n") or chinese == english:
            continue  # display math, and the glossary's English terms: copied as they are
        prose = markup.sub(" ", english)
        for term, form in TERMS.items():
            if re.search(rf"\b{term}\b", prose, re.I) and form not in chinese:
                wrong.append(f"{catalogue}: '{term}' not as {form}: {chinese[:80]!r}")
    assert not wrong, f"{len(wrong)} translations use another term:\n" + "\n".join(wrong[:40])
