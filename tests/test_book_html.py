"""The book's HTML: it builds with warnings as errors, and a real browser finds it whole.

Run after the notebooks (``make test`` does): nbval has written every executed notebook under
``_build/executed/``, and the book is built from those copies with execution off, so no
notebook runs twice. Then headless Chromium loads each page from a local HTTP server and
checks that the math is typeset, every image loads, no internal link or asset is missing
and no script fails. Screenshots go to ``_build/screenshots/`` for people to look at: one of
the top of each page, and one of each figure under ``figures/``.

The Chinese edition is built from the same executed copies and the catalogues under
``locales/`` into ``zh_CN/`` inside the English HTML (as ``make book`` does), and goes through
the same browser checks (screenshots under ``_build/screenshots/zh_CN/``); every page's
language switch must open the same page in the other edition.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import warnings
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse

import pytest
import yaml
from a11y import blocking, count_by_rule, describe, images_without_alt_text, run_axe
from bs4 import BeautifulSoup
from helpers import EXECUTED, ROOT, toc_files

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from language_switch import CHINESE  # noqa: E402
from standalone_notebooks import PAGE_LINK  # noqa: E402  (the converter's page-link pattern)
from translations import CATALOGUES  # noqa: E402

pytestmark = pytest.mark.html

SOURCE = ROOT / "_build" / "html-test-src"
OUTPUT = ROOT / "_build" / "html-test"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COPIED = [
    "_config.yml",
    "_toc.yml",
    "book",
    "exercises",
    "solutions",
    "companion",
    "benchmarks",
    "LICENSE",
    "LICENSE-CONTENT",
    "pyproject.toml",
]
EDITIONS = ["en", CHINESE]


def _mirror_with_executed_notebooks() -> None:
    """Copy the book's sources to SOURCE, each notebook replaced by its executed copy."""
    # Student notebooks are not executed (they stop at their stubs): they stay Markdown.
    toc = sorted(f for f in toc_files() if not f.startswith("exercises/"))
    missing = [f for f in toc if not (EXECUTED / f"{f}.ipynb").is_file()]
    if missing:
        pytest.fail(
            "no executed copy of " + ", ".join(missing) + " under _build/executed/: run the "
            "notebooks first (make test does: pytest --nbval-lax), and make sure they pass"
        )
    shutil.rmtree(SOURCE, ignore_errors=True)
    SOURCE.mkdir(parents=True)
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(
                src, SOURCE / name, ignore=shutil.ignore_patterns("_build", "__pycache__")
            )
        elif src.is_file():
            shutil.copy2(src, SOURCE / name)
    for f in toc:
        (SOURCE / f"{f}.md").unlink()
        shutil.copy2(EXECUTED / f"{f}.ipynb", SOURCE / f"{f}.ipynb")
    for f in toc_files():
        page = SOURCE / f"{f}.ipynb"
        _link_executed_copies(page if page.exists() else SOURCE / f"{f}.md")
    _mirror_catalogues()
    if (ROOT / ".mathjax").is_dir():
        os.symlink(ROOT / ".mathjax", SOURCE / ".mathjax")
    config = yaml.safe_load((SOURCE / "_config.yml").read_text(encoding="utf-8"))
    config["execute"]["execute_notebooks"] = "off"
    (SOURCE / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def _retarget_links(text: str, folder: Path) -> str:
    """``text`` (of a page in ``folder`` of the mirror) with its Markdown links ``[](x.md)``
    pointed at ``x.ipynb`` where only the executed copy exists (the exercises stay ``.md``)."""

    def retarget(match: re.Match) -> str:
        link_text, target, anchor = match.groups()
        suffix = ".md"
        if not (folder / f"{target}.md").exists() and (folder / f"{target}.ipynb").exists():
            suffix = ".ipynb"
        return f"[{link_text}]({target}{suffix}{anchor or ''})"

    return PAGE_LINK.sub(retarget, text)


def _link_executed_copies(page: Path) -> None:
    """Point the page's links at the executed copies, so that Sphinx resolves them. The page
    is a notebook or, for an exercise, its Markdown source."""
    content = page.read_text(encoding="utf-8")
    page.write_text(_retarget_links(content, page.parent), encoding="utf-8")


def _mirror_catalogues() -> None:
    """The catalogues, with the links of their messages (English and Chinese) retargeted as
    in the pages, so that each message of the mirror still finds its translation."""
    mirror = SOURCE / CATALOGUES.relative_to(ROOT)
    for catalogue in sorted(CATALOGUES.rglob("*.po")):
        page = catalogue.relative_to(CATALOGUES)
        copy = mirror / page
        copy.parent.mkdir(parents=True, exist_ok=True)
        text = catalogue.read_text(encoding="utf-8")
        copy.write_text(_retarget_links(text, SOURCE / page.parent), encoding="utf-8")


def _run_logged(cmd: list[str], log_name: str, what: str) -> None:
    """Run ``cmd`` (without MPLBACKEND), keep its output in _build/``log_name``, and fail
    with the end of that log unless it succeeds."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    log = done.stdout + done.stderr
    (ROOT / "_build").mkdir(exist_ok=True)
    (ROOT / "_build" / log_name).write_text(log, encoding="utf-8")
    assert done.returncode == 0, f"{what} failed (log in _build/{log_name}):\n{log[-6000:]}"


def _build(source: Path, output: Path, log_name: str, language: str = "en") -> Path:
    """Build the book in ``source``, in ``language``, into ``output``/_build/html (the
    Chinese edition into its zh_CN folder) as ``make book`` does: warnings as errors, two
    pages read at a time. Returns the HTML folder of the English edition."""
    html = output / "_build" / "html"
    if language == "en":
        shutil.rmtree(output, ignore_errors=True)
    script = ROOT / "book" / "_ext" / "build_book.py"
    edition = html / ("" if language == "en" else CHINESE)
    cmd = [sys.executable, str(script), str(source), str(edition), "--language", language]
    cmd += [
        "--locales",
        str(source / "locales"),
        "--doctrees",
        str(output / f"doctrees-{language}"),
    ]
    _run_logged(cmd, log_name, f"book build ({language})")
    assert (edition / "index.html").is_file()
    return html


@pytest.fixture(scope="module")
def html_dir() -> Path:
    _mirror_with_executed_notebooks()
    html = _build(SOURCE, OUTPUT, "html-test.log")
    _build(SOURCE, OUTPUT, "html-test-zh_CN.log", language=CHINESE)
    return html


def _pages(html: Path, edition: str = "en") -> list[Path]:
    root = html if edition == "en" else html / edition
    return [root / f"{f}.html" for f in sorted(toc_files())]


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_toc_page_is_built(html_dir, edition):
    absent = [str(p) for p in _pages(html_dir, edition) if not p.is_file()]
    assert not absent, f"pages missing from the build: {absent}"


def test_chinese_pages_are_in_chinese(html_dir):
    """Every Chinese page says it is Chinese, and its title and its navigation are
    translated: the captions and the entries of the sidebar (``_toc.yml`` gives some of
    them, such as each solutions page's title)."""
    english = []
    for page in _pages(html_dir, CHINESE):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        assert soup.html["lang"] == "zh-CN", page
        captions = soup.select("nav.bd-docs-nav .caption-text")
        entries = soup.select("nav.bd-docs-nav a.reference")
        assert captions and entries, f"{page}: no captions or no entries in the navigation"
        for text in [soup.select_one("main h1").get_text()] + [
            node.get_text() for node in captions + entries
        ]:
            if not re.search(r"[\u4e00-\u9fff]", text):
                english.append(f"{page.relative_to(html_dir)}: {text.strip()}")
    assert not english, "untranslated titles and navigation:\n" + "\n".join(english[:20])


def test_chinese_pages_show_the_numbers_the_english_pages_computed(html_dir):
    """A value a page glues into its text (``{glue:text}``) is looked up in the page's own
    notebook also inside a translated paragraph (book/_ext/translation_gaps.py): each Chinese
    page shows the same pasted values as the English one."""
    differ = []
    for english in _pages(html_dir):
        chinese = html_dir / CHINESE / english.relative_to(html_dir)
        pasted = [
            Counter(
                span.get_text().strip()
                for span in BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").select(
                    "main span.pasted-text"
                )
            )
            for page in (english, chinese)
        ]
        if pasted[0] != pasted[1]:
            differ.append(f"{english.relative_to(html_dir)}: {pasted[0] - pasted[1]} missing")
    assert not differ, "Chinese pages without the English pages' values:\n" + "\n".join(differ)


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_language_switch_opens_the_same_page(html_dir, edition):
    other_root = html_dir / CHINESE if edition == "en" else html_dir
    wrong = []
    for page in _pages(html_dir, edition):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        links = [i.find_parent("a") for i in soup.select("a i.fa-language")]
        expected = other_root / page.relative_to(
            html_dir if edition == "en" else html_dir / CHINESE
        )
        if len(links) != 1 or (page.parent / links[0]["href"]).resolve() != expected.resolve():
            wrong.append(f"{page.relative_to(html_dir)}: {[a and a.get('href') for a in links]}")
        elif not expected.is_file():
            wrong.append(f"{page.relative_to(html_dir)}: {expected} does not exist")
    assert not wrong, "language switches that do not open the same page:\n" + "\n".join(wrong)


def test_one_setting_leaves_the_solutions_out(html_dir):
    """``include_solutions: false`` builds a student book: no solution page, no link to one."""
    assert (html_dir / "solutions").is_dir(), "the default book has no solutions part"
    config_path = SOURCE / "_config.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["sphinx"]["config"]["include_solutions"] = False
    student_source = SOURCE.with_name("html-test-src-students")
    shutil.rmtree(student_source, ignore_errors=True)
    shutil.copytree(SOURCE, student_source, symlinks=True)
    (student_source / "_config.yml").write_text(
        yaml.safe_dump(config, sort_keys=False), encoding="utf-8"
    )
    html = _build(student_source, OUTPUT.with_name("html-test-students"), "html-students.log")
    assert not (html / "solutions").exists(), "solution pages were built"

    def links_to_solutions(page: Path) -> bool:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        return any("solutions/" in a["href"] for a in soup.select("a[href]"))

    linked = [str(p.relative_to(html)) for p in html.rglob("*.html") if links_to_solutions(p)]
    assert not linked, f"pages that still link to solutions/ in the student book: {linked}"
    assert (html / "exercises" / "03-math.html").is_file()


def test_local_mathjax_is_used(html_dir):
    if not (ROOT / ".mathjax").is_dir():
        pytest.fail("MathJax is not installed locally (.mathjax/): run `make mathjax` (needs npm)")
    page = (html_dir / "book" / "appendix" / "notation.html").read_text(encoding="utf-8")
    assert "_static/mathjax/tex-mml-chtml.js" in page
    assert "cdn.jsdelivr" not in page
    assert (html_dir / "_static" / "mathjax" / "tex-mml-chtml.js").is_file()


def test_internal_links_and_assets_resolve(html_dir):
    """Every href/src inside the book points at a file that exists (and an anchor it has)."""
    ids_cache: dict[Path, set[str]] = {}

    def ids_of(path: Path) -> set[str]:
        if path not in ids_cache:
            soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
            ids_cache[path] = {tag["id"] for tag in soup.find_all(id=True)}
        return ids_cache[path]

    broken = []
    for page in sorted(html_dir.rglob("*.html")):
        if "_static" in page.relative_to(html_dir).parts:
            continue  # theme templates (webpack-macros.html), not pages of the book
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag, attr in (("a", "href"), ("img", "src"), ("script", "src"), ("link", "href")):
            for node in soup.find_all(tag):
                ref = node.get(attr)
                if (
                    not ref
                    or urlparse(ref).scheme
                    or ref.startswith(("//", "mailto:", "javascript:"))
                ):
                    continue
                target, fragment = urldefrag(ref)
                target = urlparse(target).path  # drop cache-busting queries (?digest=...)
                path = (page.parent / unquote(target)).resolve() if target else page
                if path.is_dir():
                    path = path / "index.html"
                if not path.exists():
                    broken.append(f"{page.relative_to(html_dir)}: {ref}")
                elif (
                    fragment
                    and path.suffix == ".html"
                    and tag == "a"
                    and fragment not in ids_of(path)
                ):
                    broken.append(f"{page.relative_to(html_dir)}: {ref} (no such anchor)")
    assert not broken, "broken internal links or assets:\n" + "\n".join(broken[:50])


def test_launch_links_open_files_that_exist(html_dir):
    """Colab opens a page's standalone notebook (``make notebooks``) from the branch the
    workflow publishes, never a ``.md``; Binder opens the page's source in JupyterLab."""
    notebooks = ROOT / "_build" / "notebooks"
    if not notebooks.is_dir():
        pytest.fail("no _build/notebooks/: run `make notebooks` first (make test does)")
    colab = re.compile(
        r"^https://colab\.research\.google\.com/github/[\w-]+/[\w-]+/blob/([\w-]+)/(.+)$"
    )
    binder = re.compile(r"^https://mybinder\.org/v2/gh/[\w-]+/[\w-]+/main\?urlpath=lab/tree/(.+)$")
    problems, seen = [], {"colab": 0, "binder": 0}
    for page in _pages(html_dir):
        rel = page.relative_to(html_dir).as_posix()
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for link in soup.select("a[href]"):
            href = link["href"]
            if href.startswith("https://colab."):
                seen["colab"] += 1
                match = colab.match(href)
                branch, path = match.groups() if match else (None, "")
                if branch != "notebooks" or not path.endswith(".ipynb"):
                    problems.append(f"{rel}: Colab link not to a notebook on 'notebooks': {href}")
                elif not (notebooks / path).is_file():
                    problems.append(f"{rel}: Colab link to a missing notebook: {href}")
            elif href.startswith("https://mybinder."):
                seen["binder"] += 1
                match = binder.match(href)
                if not match or not (ROOT / match.group(1)).is_file():
                    problems.append(f"{rel}: Binder link to a missing file: {href}")
    assert not problems, "\n".join(problems)
    assert seen["colab"] >= len(_pages(html_dir)) - 1 and seen["binder"] == seen["colab"]


def test_a_downloaded_notebook_installs_the_package_and_reads_as_markdown(html_dir):
    """The page's ``.ipynb`` download (here, an exercise page built from its ``.md``)."""
    import nbformat

    notebook = nbformat.read(html_dir / "_sources" / "exercises" / "03-math.ipynb", as_version=4)
    assert 'pip", "install"' in notebook.cells[0].source
    assert notebook.cells[0].metadata["tags"] == ["remove-cell"]
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert ":::{admonition}" not in markdown and "{doc}`" not in markdown


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(html_dir):
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make chromium` installs Debian's package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


def _wait_for_mathjax(page) -> bool:
    """Wait until MathJax has typeset the loaded page; False when the page has no math."""
    if not page.evaluate("() => document.querySelector('.math') !== null"):
        return False
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000
    )
    page.evaluate("() => MathJax.startup.promise")
    return True


@pytest.mark.parametrize("edition", EDITIONS)
def test_pages_render_in_a_browser(html_dir, server, browser, edition):
    shots = SCREENSHOTS if edition == "en" else SCREENSHOTS / edition
    (shots / "figures").mkdir(parents=True, exist_ok=True)
    problems = []
    for page_path in _pages(html_dir, edition):
        rel = page_path.relative_to(html_dir).as_posix()
        url = urljoin(server, rel)
        page = browser.new_page()
        errors, missing = [], []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.on(
            "console",
            lambda msg, errors=errors: errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on(
            "response",
            lambda r, missing=missing: (
                missing.append(r.url) if r.status >= 400 and r.url.startswith(server) else None
            ),
        )
        page.goto(url, wait_until="load")
        if _wait_for_mathjax(page):
            typeset = page.evaluate("() => document.querySelectorAll('mjx-container').length")
            raw = page.evaluate(
                r"""() => Array.from(document.querySelectorAll('.math'))
                    .filter(e => !e.querySelector('mjx-container'))
                    .map(e => e.textContent.slice(0, 60))"""
            )
            if typeset == 0 or raw:
                problems.append(f"{rel}: math not typeset ({typeset} typeset, raw: {raw[:3]})")
        # The prose, without code (a regular expression such as r"\w+\(" is not TeX).
        text = page.evaluate(
            """() => { const main = document.querySelector('main').cloneNode(true);
                       main.querySelectorAll('pre, code, script, style, mjx-container')
                           .forEach(e => e.remove());
                       return main.textContent; }"""
        )
        if "\\(" in text or "$$" in text:
            problems.append(f"{rel}: raw TeX delimiters left in the page text")
        broken_images = page.evaluate(
            """() => Array.from(document.images)
                .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"""
        )
        if broken_images:
            problems.append(f"{rel}: images that do not load: {broken_images}")
        if missing:
            problems.append(f"{rel}: 404 for {missing}")
        if errors:
            problems.append(f"{rel}: JavaScript errors: {errors}")
        base = html_dir if edition == "en" else html_dir / edition
        stem = page_path.relative_to(base).as_posix().replace("/", "__")[:-5]
        page.screenshot(path=str(shots / (stem + ".png")))
        # every figure on its own, as a reader sees it, for people to look at
        for number, figure in enumerate(page.query_selector_all("main figure"), start=1):
            if figure.is_visible():  # not one folded away in a dropdown
                name = figure.get_attribute("id") or f"figure-{number}"
                figure.screenshot(path=str(shots / "figures" / f"{stem}__{name}.png"))
        page.close()
    assert not problems, "\n".join(problems)


def test_executed_output_is_on_the_pages(html_dir):
    """The pages carry the outputs nbval produced (not an unexecuted build)."""
    outputs = 0
    for page in _pages(html_dir):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        outputs += len(soup.select("div.cell_output"))
    assert outputs > 0, "no cell output anywhere in the book"


def test_no_progress_bar_is_frozen_into_a_page(html_dir):
    """A tqdm bar saved in a page is a widget frozen in its first state (or "0%|" as text):
    pages pass progress=False to companion.train.fit."""
    frozen = []
    for page in _pages(html_dir):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        text = " ".join(out.get_text() for out in soup.select("div.cell_output"))
        widgets = soup.select('script[type="application/vnd.jupyter.widget-view+json"]')
        if widgets or re.search(r"\d+%\|", text):
            frozen.append(str(page.relative_to(html_dir)))
    assert not frozen, f"progress bars in the saved output of {frozen}: use progress=False"


def test_every_image_has_alt_text(html_dir):
    """Alt text gives a figure's point to a reader who cannot see it: set it in the cell's
    metadata (``mystnb: image: alt:``, see CONTRIBUTING.md); without it, Sphinx writes the
    image's file path, which a screen reader reads out as a hash."""
    missing = [
        f"{page.relative_to(html_dir)}: {problem}"
        for page in _pages(html_dir)
        for problem in images_without_alt_text(page.read_text(encoding="utf-8"))
    ]
    assert not missing, "images without alt text:\n" + "\n".join(missing)


@pytest.mark.parametrize("edition", EDITIONS)
def test_pages_pass_an_accessibility_audit(html_dir, server, browser, edition):
    """axe-core on every page, as a reader's browser renders it (math typeset): a violation of
    impact serious or critical fails; moderate and minor ones are listed as a warning and in
    _build/accessibility.txt (accessibility-zh_CN.txt for the Chinese edition)."""
    found, counts = [], {}
    pages = _pages(html_dir, edition)
    for page_path in pages:
        rel = page_path.relative_to(html_dir).as_posix()
        page = browser.new_page()
        page.goto(urljoin(server, rel), wait_until="load")
        _wait_for_mathjax(page)
        violations = run_axe(page)
        page.close()
        found += [(rel, v) for v in violations]
        for rule, n in count_by_rule(violations).items():
            counts[rule] = counts.get(rule, 0) + n
    report = [line for rel, v in found for line in describe([v], rel)]
    summary = [f"{rule}: {n} element(s)" for rule, n in sorted(counts.items())] or [
        f"no violations on {len(pages)} pages"
    ]
    name = "accessibility.txt" if edition == "en" else f"accessibility-{edition}.txt"
    (ROOT / "_build" / name).write_text("\n".join(summary + [""] + report) + "\n", encoding="utf-8")
    failing = [line for rel, v in found for line in describe(blocking([v]), rel)]
    assert not failing, "accessibility violations (serious or critical):\n" + "\n".join(failing)
    if report:
        warnings.warn("accessibility (moderate or minor):\n" + "\n".join(report), stacklevel=1)
