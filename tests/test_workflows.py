"""The repository host's workflows (``.github/workflows/``) cannot run here: actionlint, from
the wheel that ships its binary, checks them offline, as ``make lint`` does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = Path(sys.executable).with_name("actionlint")


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    """actionlint over ``files``, with the Makefile's flags (no shellcheck, no pyflakes: the
    result must not depend on what else the machine has)."""
    return subprocess.run(
        [str(ACTIONLINT), "-shellcheck=", "-pyflakes=", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_workflows_pass_actionlint():
    assert WORKFLOWS, "no workflow under .github/workflows/"
    done = actionlint(*WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ("actions/checkout@v6", "actions/checkout@v2", "actions/checkout@v2"),
        ("github.event_name", "github.event_nam", "event_nam"),
        ("runs-on: ubuntu-latest", "runs-of: ubuntu-latest", "runs-of"),
    ],
    ids=["retired-action", "unknown-context-property", "unknown-key"],
)
def test_a_broken_workflow_fails(tmp_path, old, new, complaint):
    """The linter is not a rubber stamp: each breakage of the real workflow is reported."""
    source = ROOT / ".github" / "workflows" / "publish.yml"
    text = source.read_text(encoding="utf-8")
    assert old in text, f"the workflow no longer contains {old!r}: update this test"
    broken = tmp_path / ".github" / "workflows" / "publish.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    done = actionlint(broken)
    assert done.returncode != 0 and complaint in done.stdout, done.stdout + done.stderr


def test_publishing_takes_what_the_build_made():
    """Pages get _build/html, the notebooks' branch _build/notebooks/, PyPI _build/dist/."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text())
    jobs = workflow["jobs"]
    uploads = {
        step["with"].get("name", "github-pages"): step["with"]["path"]
        for step in jobs["test"]["steps"]
        if step.get("uses", "").startswith(("actions/upload-artifact@", "actions/upload-pages-"))
    }
    assert uploads["github-pages"] == "_build/html"
    assert uploads["notebooks"] == "_build/notebooks/"
    assert uploads["dist"] == "_build/dist/"
    assert jobs["pages"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["notebooks-branch"]["permissions"] == {"contents": "write"}
    assert jobs["pypi"]["permissions"] == {"id-token": "write"}
    assert workflow["permissions"] == {"contents": "read"}, "the default must stay read-only"
