"""The student's path in JupyterLab, in a real browser: pages open as notebooks, MyST renders.

A JupyterLab server starts on 127.0.0.1 with a token, settings, workspace and runtime folders
of its own, and the committed ``binder/overrides.json`` copied into its app settings folder,
as ``make lab`` copies it into the environment's. It serves a copy of ``book/`` and
``exercises/``: JupyterLab marks a page modified as soon as it opens, and its autosave
would rewrite the course's sources through jupytext. Headless Chromium then opens a chapter
page and an exercise notebook as a student does, runs the exercise's first cells and its
first checker. Screenshots go to ``_build/screenshots/jupyterlab/``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jupytext
import pytest
from helpers import ROOT
from test_book_html import SCREENSHOTS, browser  # noqa: F401 (browser: a fixture)

OVERRIDES = ROOT / "binder" / "overrides.json"
SHOTS = SCREENSHOTS / "jupyterlab"
CHAPTER_PAGE = "book/03-math/03-bptt.md"
EXERCISE = "exercises/03-math.md"
START_TIMEOUT_S = 60
UI_TIMEOUT_MS = 60_000
# How JupyterLab shows an exception (and anything else written to stderr) under a cell.
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'

# MyST left as text: a directive fence, or a role name in braces. Without jupyterlab-myst,
# JupyterLab shows `{doc}`01-forward`` as "{doc}" followed by code, ":::{admonition}" as is.
RAW_MYST = re.compile(
    r"(?::::|```)\{[\w:-]+\}"
    r"|\{(?:doc|eq|ref|numref|cite(?::[pt])?|glue(?::text)?|term|download|math)\}"
)


def raw_myst(text: str) -> list[str]:
    """The pieces of MyST markup left unrendered in ``text``, the text a reader sees."""
    return RAW_MYST.findall(text)


@dataclass
class Lab:
    """A running JupyterLab: its URL, token, the folder it serves and its process."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen

    def api(self, path: str) -> dict:
        """GET ``path`` from the server's REST API, as JSON."""
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def open_url(self, notebook: str) -> str:
        """The URL that opens ``notebook`` in a fresh workspace (``?reset``)."""
        return f"{self.url}lab/tree/{notebook}?reset&token={self.token}"


def _wait_for_server(process: subprocess.Popen, runtime: Path, log: Path) -> dict:
    """The server's runtime record (URL, port) once it is listening; fails with its log."""
    record = runtime / f"jpserver-{process.pid}.json"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if record.is_file():
            try:
                return json.loads(record.read_text(encoding="utf-8"))
            except json.JSONDecodeError:  # caught while being written
                pass
        time.sleep(0.25)
    state = "exited" if process.poll() is not None else f"not ready after {START_TIMEOUT_S} s"
    pytest.fail(f"JupyterLab {state}; its log:\n{log.read_text(encoding='utf-8')[-4000:]}")


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and its kernels (its process group): SIGTERM, then SIGKILL."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # kernels left behind, if any
    except ProcessLookupError:
        pass
    process.wait(timeout=5)


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root = tmp / "course"
    for name in ("book", "exercises"):
        shutil.copytree(
            ROOT / name, root / name, ignore=shutil.ignore_patterns("_build", "__pycache__")
        )
    app_settings = tmp / "app-settings"
    app_settings.mkdir()
    shutil.copy2(OVERRIDES, app_settings / "overrides.json")  # what `make lab` does
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    for variable, folder in [
        ("JUPYTERLAB_SETTINGS_DIR", "user-settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
    ]:
        env[variable] = str(tmp / folder)
    token = secrets.token_hex(16)
    command = [
        str(Path(sys.executable).with_name("jupyter-lab")),
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=0",  # a free port, read back from the runtime record
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.app_settings_dir={app_settings}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = tmp / "jupyterlab.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        record = _wait_for_server(process, Path(env["JUPYTER_RUNTIME_DIR"]), log)
        yield Lab(url=record["url"], token=token, root=root, process=process)
    finally:
        _stop(process)


def _kernel_command(lab: Lab, notebook: str) -> list[str]:
    """The command line of the kernel process the server started for ``notebook``."""
    sessions = [s for s in lab.api("api/sessions") if s["path"] == notebook]
    assert len(sessions) == 1, f"sessions for {notebook}: {sessions}"
    connection_file = f"kernel-{sessions[0]['kernel']['id']}.json"
    commands = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            argv = (stat.parent / "cmdline").read_bytes().decode().split("\0")
        except (OSError, IndexError, ValueError):
            continue  # a process that ended meanwhile
        if parent == lab.process.pid and any(a.endswith(connection_file) for a in argv):
            commands.append(argv)
    assert len(commands) == 1, f"processes of the kernel of {notebook}: {commands}"
    return commands[0]


def _open_notebook(context, lab: Lab, notebook: str):
    """A browser page with ``notebook`` open in JupyterLab, every cell and rendering there."""
    cells = jupytext.read(lab.root / notebook).cells
    markdown = sum(cell.cell_type == "markdown" for cell in cells)
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    page.goto(lab.open_url(notebook))
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    # Every cell of the file, and every Markdown cell rendered (by jupyterlab-myst or not).
    page.wait_for_function(
        """([cells, markdown]) => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            if (!panel) return false;
            const all = panel.querySelectorAll('.jp-Notebook .jp-Cell').length;
            const rendered = panel.querySelectorAll(
                '.jp-MarkdownCell .myst, .jp-MarkdownCell .jp-RenderedMarkdown').length;
            return all === cells && rendered >= markdown;
        }""",
        arg=[len(cells), markdown],
    )
    return page, panel, cells


def _markdown_text(panel) -> str:
    """The text a reader sees in the rendered Markdown cells, without code and math."""
    return panel.evaluate(
        """panel => Array.from(panel.querySelectorAll('.jp-MarkdownCell')).map(cell => {
            const copy = cell.cloneNode(true);
            copy.querySelectorAll('.jp-Editor, .jp-InputPrompt, jp-toolbar, code, pre, '
                + '.katex, math, mjx-container, script, style').forEach(e => e.remove());
            return copy.textContent;
        }).join('\\n')"""
    )


def _run_cell(panel, index: int) -> None:
    """Select code cell ``index`` (its prompt, as a student clicks) and press Shift+Enter."""
    cell = panel.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputPrompt").first.click()
    cell.press("Shift+Enter")


def test_the_detector_finds_markup_left_as_text():
    """What plain JupyterLab shows for the exercises' first cell is caught; rendered text not."""
    plain = ":::{admonition} How to work through these exercises :class: tip These exercises go "
    plain += "with {doc}../book/03-math/index. See {cite:p}werbos1990 and {eq}ch3-forward-step."
    assert raw_myst(plain) == [":::{admonition}", "{doc}", "{cite:p}", "{eq}"]
    assert raw_myst("These exercises go with ../book/03-math/index. See (1), W_{hh}.") == []


def test_the_settings_switch_off_the_news_and_open_markdown_as_notebooks(lab):
    """The committed overrides are the defaults the server hands to the browser."""
    notification = lab.api("lab/api/settings/@jupyterlab/apputils-extension:notification")
    defaults = {k: v.get("default") for k, v in notification["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false", defaults
    docmanager = lab.api("lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    viewers = docmanager["schema"]["properties"]["defaultViewers"]["default"]
    assert viewers.get("markdown") == "Jupytext Notebook", viewers


def test_a_chapter_page_opens_as_a_notebook_with_its_myst_rendered(lab, browser):  # noqa: F811
    """Every cell is there; the admonition is a box, page links are links, math is typeset."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, panel, _ = _open_notebook(browser, lab, CHAPTER_PAGE)
    try:
        raw = raw_myst(_markdown_text(panel))
        assert not raw, f"{CHAPTER_PAGE}: MyST shown as text in JupyterLab: {raw}"
        box = panel.locator("aside.myst-admonition", has_text="In this section")
        assert box.count() == 1, "the 'In this section' admonition is not drawn as a box"
        assert panel.locator(".jp-MarkdownCell a", has_text="01-forward").count() > 0, (
            "no link to the page 01-forward"
        )
        assert panel.locator(".katex").count() > 0, "no typeset math"
        titles = panel.locator(".jp-MarkdownCell h1").all_inner_texts()
        assert len(titles) == 1, f"{CHAPTER_PAGE}: the title shows {len(titles)} times: {titles}"
        assert "Jupyter news" not in page.locator("body").inner_text(), "the news pop-up shows"
        page.screenshot(path=str(SHOTS / "chapter-03-bptt.png"))
    finally:
        page.close()


def test_an_exercise_runs_and_its_checker_asks_for_the_code(lab, browser):  # noqa: F811
    """The first cell runs in the course's kernel; the untouched stub's checker points at it."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, panel, cells = _open_notebook(browser, lab, EXERCISE)
    try:
        raw = raw_myst(_markdown_text(panel))
        assert not raw, f"{EXERCISE}: MyST shown as text in JupyterLab: {raw}"
        assert panel.locator("aside.myst-admonition").count() >= 1
        titles = panel.locator(".jp-MarkdownCell h1").all_inner_texts()
        assert len(titles) == 1, f"{EXERCISE}: the title shows {len(titles)} times: {titles}"
        page.screenshot(path=str(SHOTS / "exercise-03-math.png"))

        code = [i for i, cell in enumerate(cells) if cell.cell_type == "code"]
        stub = next(i for i in code if "# YOUR CODE HERE" in cells[i].source)
        checker = next(i for i in code if i > stub)
        assert "checks.check_" in cells[checker].source
        all_cells = panel.locator(".jp-Notebook .jp-Cell")

        _run_cell(panel, code[0])
        first = all_cells.nth(code[0])
        first.locator(".jp-InputPrompt", has_text="[1]").wait_for()
        errors = first.locator(ERROR_OUTPUT)
        assert errors.count() == 0, f"the first cell failed:\n{first.inner_text()}"
        kernel = _kernel_command(lab, EXERCISE)
        assert Path(kernel[0]).parent == Path(sys.executable).parent, (
            f"the kernel runs {kernel[0]}, not the course's Python {sys.executable}"
        )
        assert kernel[1:3] == ["-m", "ipykernel_launcher"], kernel

        _run_cell(panel, stub)
        _run_cell(panel, checker)
        output = all_cells.nth(checker).locator(ERROR_OUTPUT)
        output.filter(has_text="NotImplementedError").first.wait_for()
        text = output.first.inner_text()
        assert "YOUR CODE HERE" in text, f"the traceback does not point at the stub:\n{text}"
        output.first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "exercise-03-math-checker.png"))
    finally:
        page.close()
