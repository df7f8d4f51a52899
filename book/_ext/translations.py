"""The Chinese edition: one English source, gettext catalogues, a second build.

The English MyST pages stay the only source. Sphinx's gettext builder extracts every
translatable message (paragraphs, headings, list items, table cells, captions) of every page
into one ``.pot`` template per page; the catalogues ``locales/zh_CN/LC_MESSAGES/<page>.po``
hold the translations. When an English paragraph changes, updating the catalogues turns its
translation fuzzy (or leaves the message untranslated), and the tests fail until someone
translates it again: the Chinese edition cannot silently fall behind.

    python book/_ext/translations.py update          # refresh the catalogues from the sources
    python book/_ext/translations.py check           # every message translated, markup kept

``book/_ext/build_book.py --language zh_CN`` builds the Chinese HTML from the catalogues.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE = "zh_CN"
LOCALES = ROOT / "locales"
CATALOGUES = LOCALES / LANGUAGE / "LC_MESSAGES"
TITLE = "循环神经网络：从零开始到 GPU"

# Markup a translation must keep exactly as the English has it: roles with their targets
# (a role's title before "<" may be translated), inline code, inline and display math, link
# targets, and the substitutions and HTML of MyST.
_ROLE = re.compile(r"\{[\w:.-]+\}`(?:[^`<]*<)?([^`>]*)>?`")
_CODE = re.compile(r"(?<![}`])`([^`]+)`(?!`)")
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", re.S)
_LINK_TARGET = re.compile(r"\]\(([^)\s]*)\)")
_URL = re.compile(r"https?://[^\s)>\]]+")


def protected(text: str) -> Counter[str]:
    """The markup of ``text`` that a translation must keep, as a multiset of strings."""
    kept: Counter[str] = Counter()
    for match in _ROLE.finditer(text):
        role = match.group(0)[: match.group(0).index("`")]
        kept[f"{role}{match.group(1)}"] += 1
    without_roles = _ROLE.sub("", text)
    kept.update(f"`{m}`" for m in _CODE.findall(_MATH.sub("", without_roles)))
    kept.update(m.strip() for m in _MATH.findall(without_roles))
    kept.update(f"]({m})" for m in _LINK_TARGET.findall(text))
    kept.update(_URL.findall(text))
    return kept


def _unrendered_emphasis(text: str) -> int:
    """Asterisks that Markdown leaves as text: ``**注意：**下面`` is not bold, because a closing
    ``**`` after punctuation must be followed by a space or punctuation (CommonMark)."""
    from markdown_it import MarkdownIt

    plain = _MATH.sub("M", _CODE.sub("C", _ROLE.sub("R", text)))
    html = MarkdownIt("commonmark").render(plain)
    return re.sub(r"<[^>]+>", "", html).count("*")


@dataclass(frozen=True)
class Problem:
    """One message of one catalogue that is not ready for the Chinese edition."""

    catalogue: str
    msgid: str
    why: str

    def __str__(self) -> str:
        shown = self.msgid if len(self.msgid) < 90 else self.msgid[:87] + "..."
        return f"{self.catalogue}: {self.why}: {shown!r}"


def catalogue_files(directory: Path = CATALOGUES) -> list[Path]:
    """Every ``.po`` catalogue under ``directory``, sorted."""
    return sorted(directory.rglob("*.po"))


def problems(path: Path) -> Iterator[Problem]:
    """The untranslated, fuzzy and damaged messages of one catalogue."""
    from babel.messages.pofile import read_po

    name = path.relative_to(CATALOGUES).as_posix() if path.is_relative_to(CATALOGUES) else path.name
    with path.open("rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if not message.id:
            continue  # the header
        english, chinese = str(message.id), str(message.string or "")
        if not chinese:
            yield Problem(name, english, "untranslated")
        elif message.fuzzy:
            yield Problem(name, english, "fuzzy (the English changed: check the translation)")
        elif english.startswith("\n") and chinese != english:
            yield Problem(name, english, "display math must be copied unchanged")
        elif _unrendered_emphasis(chinese) > _unrendered_emphasis(english):
            yield Problem(name, english, "emphasis not rendered (move punctuation out of **...**)")
        else:
            lost = protected(english) - protected(chinese)
            added = protected(chinese) - protected(english)
            if lost or added:
                detail = "; ".join(
                    part
                    for part in (
                        "missing " + ", ".join(sorted(lost)) if lost else "",
                        "not in the English " + ", ".join(sorted(added)) if added else "",
                    )
                    if part
                )
                yield Problem(name, english, f"markup changed ({detail})")


def counts(directory: Path = CATALOGUES) -> dict[str, tuple[int, int]]:
    """Per part (book, exercises, solutions): (translated and sound messages, all messages)."""
    from babel.messages.pofile import read_po

    totals: dict[str, list[int]] = {}
    for path in catalogue_files(directory):
        part = path.relative_to(directory).parts[0]
        with path.open("rb") as handle:
            total = sum(1 for message in read_po(handle) if message.id)
        bad = sum(1 for _ in problems(path))
        entry = totals.setdefault(part, [0, 0])
        entry[0] += total - bad
        entry[1] += total
    return {part: (done, total) for part, (done, total) in sorted(totals.items())}


def extract(source: Path, templates: Path) -> None:
    """Write one ``.pot`` template per page of the book in ``source`` into ``templates``.

    The notebooks are not executed (only their Markdown cells hold messages).
    """
    from build_book import run_sphinx  # it imports this module: imported here, when needed

    doctrees = templates.parent / f".doctrees-{templates.name}"
    # A fresh read every time: Sphinx would reuse the doctrees of unchanged pages even when
    # an extension (book/_ext/translation_gaps.py) changed what a read records.
    for folder in (templates, doctrees):
        shutil.rmtree(folder, ignore_errors=True)
    overrides = {
        "nb_execution_mode": "off",
        "gettext_compact": False,  # one catalogue per page
        "gettext_uuid": False,
        "gettext_location": False,  # no line numbers: editing a page elsewhere changes nothing
        "gettext_last_translator": "The course authors",
        "project": "rnn-course",
        # Without execution the figures a page refers to are absent: those warnings are
        # expected here, and the HTML builds check every reference.
        "nitpicky": False,
    }
    result = run_sphinx(
        source,
        templates,
        builder="gettext",
        doctrees=doctrees,
        overrides=overrides,
        keep_going=True,
        really_quiet=True,
    )
    if result:
        raise RuntimeError(f"the gettext build of {source} failed with status {result}")


def message_ids(path: Path) -> set[str]:
    """The messages (English) of a ``.pot`` template or a ``.po`` catalogue, obsolete ones
    left out."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        return {str(message.id) for message in read_po(handle) if message.id}


def update(source: Path = ROOT) -> None:
    """Extract the messages of ``source`` and refresh the catalogues: new messages come in
    untranslated, changed ones fuzzy (with the old translation to start from)."""
    from sphinx_intl.basic import update as update_catalogues

    templates = source / "_build" / "gettext"
    extract(source, templates)
    update_catalogues(str(LOCALES), str(templates), [LANGUAGE], line_width=-1, jobs=1)
    for part, (done, total) in counts().items():
        print(f"{part}: {done} of {total} messages translated")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update", help="refresh the catalogues from the English sources")
    checked = commands.add_parser("check", help="every message translated, not fuzzy, markup kept")
    checked.add_argument("catalogues", type=Path, nargs="*", help="only these .po files")
    args = parser.parse_args()
    if args.command == "update":
        update()
    else:
        paths = [path.resolve() for path in args.catalogues] or catalogue_files()
        found = [problem for path in paths for problem in problems(path)]
        for problem in found:
            print(problem)
        for part, (done, total) in counts().items():
            print(f"{part}: {done} of {total} messages translated")
        sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
