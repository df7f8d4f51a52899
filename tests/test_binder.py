"""Binder's environment (``binder/``): the course's pins with PyTorch's CPU build, and a
``postBuild`` that installs the package and makes the ``.md`` pages open as notebooks."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
import tomllib
from helpers import ROOT
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

BINDER = ROOT / "binder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# What a student needs besides the package's own dependencies, to run a page in JupyterLab.
STUDENT_TOOLS = ["jupyterlab", "jupyterlab-myst", "jupytext", "ipykernel", "ipywidgets", "myst-nb"]


def _requirement_lines(path: Path) -> tuple[list[str], list[str]]:
    """The requirement lines and the option lines (``--...``) of a pip requirements file."""
    lines = [line.split(" #")[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    options = [line for line in lines if line.startswith("-")]
    return [line for line in lines if not line.startswith("-")], options


def _shown(path: Path) -> str:
    """``path`` relative to the repository when it lies inside it, for messages."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def pins(path: Path) -> tuple[dict[str, str], list[str]]:
    """The exact pins of a requirements file, as {normalised name: version}, and the lines that
    are not an exact ``name==version`` pin."""
    found, problems = {}, []
    for line in _requirement_lines(path)[0]:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            problems.append(f"{_shown(path)}: {line!r} is not a requirement")
            continue
        specs = list(req.specifier)
        if len(specs) != 1 or specs[0].operator != "==":
            problems.append(f"{_shown(path)}: {line!r} is not pinned with ==")
            continue
        found[canonicalize_name(req.name)] = specs[0].version
    return found, problems


def pin_mismatches(binder: Path, course: Path) -> list[str]:
    """Every way the pins of ``binder`` differ from those of ``course``: a line that is not an
    exact pin, a package the course does not pin, or another version (only the local label
    ``+cpu`` may differ). Empty when they agree."""
    binder_pins, problems = pins(binder)
    course_pins, _ = pins(course)
    for name, version in binder_pins.items():
        if name not in course_pins:
            problems.append(f"{name}=={version}: not pinned in {_shown(course)}")
        elif Version(version).local not in (None, "cpu") or (
            Version(version).public != Version(course_pins[name]).public
        ):
            problems.append(f"{name}=={version}: {_shown(course)} pins {course_pins[name]}")
    return problems


def test_binder_pins_agree_with_the_course():
    assert pin_mismatches(BINDER / "requirements.txt", ROOT / "requirements.txt") == []


def test_a_pin_that_disagrees_is_caught(tmp_path):
    lines = (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines()
    numpy = next(i for i, line in enumerate(lines) if line.startswith("numpy=="))
    lines[numpy] = "numpy==1.26.4"
    lines.append("tqdm>=4")
    lines.append("cowsay==6.1")
    copy = tmp_path / "requirements.txt"
    copy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    course_numpy = pins(ROOT / "requirements.txt")[0]["numpy"]
    assert sorted(pin_mismatches(copy, ROOT / "requirements.txt")) == sorted(
        [
            f"numpy==1.26.4: requirements.txt pins {course_numpy}",
            f"{copy}: 'tqdm>=4' is not pinned with ==",
            "cowsay==6.1: not pinned in requirements.txt",
        ]
    )


def test_binder_has_what_a_page_needs():
    binder_pins, _ = pins(BINDER / "requirements.txt")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = [*project["dependencies"], *project["optional-dependencies"]["data"]]
    needed = [Requirement(r).name for r in needed] + STUDENT_TOOLS
    missing = sorted({canonicalize_name(n) for n in needed} - set(binder_pins))
    assert not missing, f"binder/requirements.txt lacks {missing}"


def test_torch_comes_from_the_cpu_index():
    _, options = _requirement_lines(BINDER / "requirements.txt")
    cpu_index = [["--extra-index-url", CPU_INDEX], ["--index-url", CPU_INDEX]]
    assert any(option.split() in cpu_index for option in options), (
        f"binder/requirements.txt does not name PyTorch's CPU index {CPU_INDEX}: found {options}"
    )
    torch = pins(BINDER / "requirements.txt")[0]["torch"]
    assert Version(torch).local == "cpu", f"torch=={torch}: expected the CPU build (+cpu)"


def test_binder_python_is_the_course_python():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    assert runtime == "python-3.11", f"binder/runtime.txt: expected python-3.11, found {runtime!r}"


@pytest.mark.skipif(os.name != "posix", reason="postBuild is a bash script")
def test_post_build_installs_the_package_and_the_jupyterlab_settings(tmp_path):
    """Run postBuild with a stand-in ``python`` that logs what it is asked to do."""
    post_build = BINDER / "postBuild"
    assert post_build.stat().st_mode & stat.S_IXUSR, "binder/postBuild is not executable"
    prefix, log = tmp_path / "env", tmp_path / "python.log"
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake_python = fake_bin / "python"
    fake_python.write_text(
        "#!/usr/bin/env bash\n"
        f'echo "$PWD: $*" >> "{log}"\n'
        f'if [ "$1" = -c ]; then echo "{prefix}"; fi\n',
        encoding="utf-8",
    )
    fake_python.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([str(post_build)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{ROOT}: -m pip install --no-deps ." in log.read_text(encoding="utf-8").splitlines()
    installed = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert json.loads(installed.read_text(encoding="utf-8")) == json.loads(
        (BINDER / "overrides.json").read_text(encoding="utf-8")
    )
