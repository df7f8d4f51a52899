"""The package alone: ``make dist`` builds an sdist and a wheel of the distribution
``rnn-course`` (import name ``companion``) that twine accepts, holding the package and
nothing else of the repository; and where a student is (a fresh environment, no repository),
the standalone notebooks' setup cell installs that wheel and the notebooks run."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
import tomllib
from helpers import ROOT
from packaging.requirements import Requirement

import companion

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
NAME = PYPROJECT["name"]
VERSION = PYPROJECT["version"]
# The package's modules, as the wheel names them.
MODULES = sorted(
    p.relative_to(ROOT).as_posix()
    for p in (ROOT / "companion").rglob("*.py")
    if "__pycache__" not in p.parts
)


def make_dist(out_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run ``make dist`` (build, then ``twine check``) with its output in ``out_dir``."""
    return subprocess.run(
        ["make", "--no-print-directory", "dist", f"DIST_DIR={out_dir}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "1000"},  # twine wraps its verdict at the terminal width
    )


def wheel_problems(wheel: Path) -> list[str]:
    """What is wrong with the wheel ``wheel``: a file outside the package, a module missing,
    or metadata (name, version, dependencies, the ``data`` extra) that disagrees with
    pyproject.toml. Empty when the wheel is right."""
    dist_info = f"{NAME.replace('-', '_')}-{VERSION}.dist-info/"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = Parser().parsestr(archive.read(dist_info + "METADATA").decode("utf-8"))
    outside = [n for n in names if not n.startswith(("companion/", dist_info))]
    problems = [f"{n}: not part of the package" for n in outside]
    problems += [f"{m}: missing from the wheel" for m in MODULES if m not in names]
    for field, expected in (("Name", NAME), ("Version", VERSION)):
        if metadata[field] != expected:
            problems.append(f"METADATA {field}: expected {expected!r}, found {metadata[field]!r}")
    expected_requires = {str(Requirement(r)) for r in PYPROJECT["dependencies"]}
    expected_requires |= {
        str(Requirement(f'{r}; extra == "{extra}"'))
        for extra, reqs in PYPROJECT["optional-dependencies"].items()
        for r in reqs
    }
    found_requires = {str(Requirement(r)) for r in metadata.get_all("Requires-Dist", [])}
    if found_requires != expected_requires:
        problems.append(
            f"METADATA Requires-Dist: expected {sorted(expected_requires)}, "
            f"found {sorted(found_requires)}"
        )
    extras = set(metadata.get_all("Provides-Extra", []))
    if extras != set(PYPROJECT["optional-dependencies"]):
        problems.append(
            f"METADATA Provides-Extra: expected {sorted(PYPROJECT['optional-dependencies'])}, "
            f"found {sorted(extras)}"
        )
    return problems


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> tuple[Path, str]:
    """The folder ``make dist`` wrote to, and what it printed."""
    out = tmp_path_factory.mktemp("dist")
    done = make_dist(out)
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"make dist failed:\n{log[-4000:]}"
    return out, log


def test_the_version_is_said_once():
    assert companion.__version__ == VERSION, (
        f"companion.__version__ is {companion.__version__!r}, pyproject.toml says {VERSION!r}"
    )
    assert importlib.metadata.version(NAME) == VERSION, (
        f"the installed {NAME} is not version {VERSION}: reinstall it (pip install --no-deps -e .)"
    )


def test_make_dist_builds_an_sdist_and_a_wheel_that_twine_accepts(dist):
    out, log = dist
    stem = f"{NAME.replace('-', '_')}-{VERSION}"
    built = sorted(p.name for p in out.iterdir())
    assert built == [f"{stem}-py3-none-any.whl", f"{stem}.tar.gz"]
    for name in built:
        # twine colours its verdict: \S* skips the escape codes.
        passed = re.search(rf"Checking {re.escape(str(out / name))}: \S*PASSED", log)
        assert passed, f"twine check did not pass {name}:\n{log[-2000:]}"


def test_the_wheel_holds_the_package_and_its_metadata(dist):
    out, _ = dist
    (wheel,) = out.glob("*.whl")
    assert wheel_problems(wheel) == []


def test_a_wheel_with_a_stray_file_is_caught(dist, tmp_path):
    out, _ = dist
    (wheel,) = out.glob("*.whl")
    tampered = shutil.copy(wheel, tmp_path / wheel.name)
    with zipfile.ZipFile(tampered, "a") as archive:
        archive.writestr("tests/test_dist.py", "")
        archive.writestr("solutions/01-intro.md", "")
    assert wheel_problems(Path(tampered)) == [
        "tests/test_dist.py: not part of the package",
        "solutions/01-intro.md: not part of the package",
    ]


def test_the_sdist_holds_the_sources_the_wheel_is_built_from(dist):
    out, _ = dist
    (sdist,) = out.glob("*.tar.gz")
    top = f"{NAME.replace('-', '_')}-{VERSION}/"
    with tarfile.open(sdist) as archive:
        names = {n.removeprefix(top) for n in archive.getnames()}
    for required in ["pyproject.toml", "README.md", "LICENSE", *MODULES]:
        assert required in names, f"{required} is missing from {sdist.name}"
    stray = sorted(n for n in names if n.split("/")[0] in ("tests", "book", "solutions"))
    assert not stray, f"the sdist holds files of the repository, not the package: {stray}"


# -- Where a student is: a fresh environment, no repository, the notebooks' own setup cell ---

STANDALONE_RUNNER = ROOT / "tests" / "standalone_runner.py"
# What a student's Jupyter (Colab's, say) already has: Jupyter and the pinned numpy, torch and
# matplotlib, and the libraries whose data the pages read; never the repository.
STUDENT_PACKAGES = [
    "numpy",
    "torch",
    "matplotlib",
    "tqdm",
    "scipy",
    "pandas",
    "Faker",
    "babel",
    "statsmodels",
    "scikit-learn",
    "ipykernel",
    "nbclient",
]
STUDENT_NOTEBOOKS = [  # (notebook under _build/notebooks, stop at the first unsolved exercise)
    ("book/03-math/03-bptt.ipynb", False),  # NumPy, from scratch
    ("book/05-code/09-forecasting.ipynb", False),  # a PyTorch task
    ("exercises/05-code.ipynb", True),
]


def pinned(names: list[str]) -> list[str]:
    """``name==version`` for each name, as requirements.txt pins it."""
    pins = dict(
        line.split("==", 1)
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    )
    missing = [n for n in names if n not in pins]
    assert not missing, f"requirements.txt pins no {missing}"
    return [f"{name}=={pins[name]}" for name in names]


def fresh_venv(folder: Path, packages: list[str]) -> Path:
    """A new virtual environment in ``folder`` with ``packages``; its ``python``."""
    subprocess.run(["python3", "-m", "venv", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    if packages:
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *packages],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, f"pip install {packages} failed:\n{done.stderr[-3000:]}"
    return python


def student_env(python: Path, tmp: Path, wheel: Path | None) -> dict[str, str]:
    """The environment of a student's kernel: offline, no repository on the path."""
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "MPLBACKEND", "JUPYTER_PATH", "RNN_COURSE_WHEEL")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        PATH=f"{python.parent}:{env['PATH']}",
        PIP_NO_INDEX="1",
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        HOME=str(tmp / "home"),
    )
    (tmp / "home").mkdir(exist_ok=True)
    if wheel is not None:
        env["RNN_COURSE_WHEEL"] = str(wheel)
    return env


@pytest.fixture(scope="module")
def notebooks_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("standalone")
    done = subprocess.run(
        [sys.executable, str(ROOT / "book" / "_ext" / "standalone_notebooks.py"), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def student_runs(dist, notebooks_folder, tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """Three notebooks run in a fresh environment, from a folder outside the repository; the
    first one's setup cell installs the wheel. The environment's python, and each run."""
    out, _ = dist
    (wheel,) = out.glob("*.whl")
    tmp = tmp_path_factory.mktemp("student")
    python = fresh_venv(tmp / "venv", pinned(STUDENT_PACKAGES))
    runs = {}
    for name, until_stub in STUDENT_NOTEBOOKS:
        work = tmp / "work" / Path(name).parent  # the student's own folder, not the repository
        work.mkdir(parents=True, exist_ok=True)
        notebook = Path(shutil.copy(notebooks_folder / name, work))
        command = [str(python), str(STANDALONE_RUNNER), str(notebook)]
        done = subprocess.run(
            command + (["--until-stub"] if until_stub else []),
            cwd=work,
            env=student_env(python, tmp, wheel),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{name} failed in the student's environment:\n" + (
            done.stdout[-3000:] + done.stderr[-6000:]
        )
        runs[name] = json.loads(done.stdout.strip().splitlines()[-1])
    print("standalone runs:", {name: run["seconds"] for name, run in runs.items()})
    return python, runs


def test_the_setup_cell_installs_the_wheel_and_nothing_the_student_has(student_runs):
    python, runs = student_runs
    first = runs[STUDENT_NOTEBOOKS[0][0]]["setup_output"]
    assert re.search(rf"Successfully installed .*{NAME}-{VERSION}", first), first
    assert not re.search(r"\b(torch|numpy|matplotlib)-\d", first), f"reinstalled: {first}"
    for name, _ in STUDENT_NOTEBOOKS[1:]:
        assert runs[name]["setup_output"] == "", f"{name}: installed again"
    shown = subprocess.run(
        [str(python), "-m", "pip", "show", NAME], capture_output=True, text=True, check=True
    )
    assert f"Version: {VERSION}" in shown.stdout and str(python.parents[1]) in shown.stdout


def test_the_notebooks_run_and_the_exercise_stops_at_its_first_stub(student_runs):
    """Every cell of the pages runs; the exercise runs until the checker of its first
    exercise meets the unsolved ``raise NotImplementedError``, as a student's would."""
    _, runs = student_runs
    for name, until_stub in STUDENT_NOTEBOOKS:
        run = runs[name]
        if until_stub:
            assert run["stub_cell"] is not None and run["cells_run"] >= 2, (name, run)
            assert run["stub_source"].startswith("checks.check_"), run["stub_source"]
        else:
            assert run["stub_cell"] is None and run["cells_run"] >= 5, (name, run)


def test_the_installed_wheel_works_outside_the_repository(student_runs, tmp_path):
    python, _ = student_runs
    script = """
import companion, numpy as np, torch
from companion.nn import RNN
from companion.records import load_record
from companion.scratch import RNN as ScratchRNN
assert "site-packages" in companion.__file__, companion.__file__
rnn = ScratchRNN(input_size=3, hidden_size=4, output_size=2, seed=0)
y, _ = rnn.forward(np.zeros((2, 5, 3)))
layer = RNN(input_size=3, hidden_size=4, batch_first=True)
out, h = layer(torch.zeros(2, 5, 3))
print(y.shape, tuple(out.shape), load_record("charlm_long")["command"])
"""
    done = subprocess.run(
        [str(python), "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=student_env(python, tmp_path, None),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[:6] == ["(2,", "5,", "2)", "(2,", "5,", "4)"], done.stdout


def test_the_setup_cell_with_no_network_and_no_wheel_says_what_to_do(notebooks_folder, tmp_path):
    """A bare environment, the package index out of reach, no local wheel."""
    import nbformat

    python = fresh_venv(tmp_path / "venv", [])
    setup = nbformat.read(notebooks_folder / "book/03-math/03-bptt.ipynb", as_version=4).cells[0]
    env = student_env(python, tmp_path, None)
    env["PIP_FIND_LINKS"] = ""  # no wheel folder to fall back on either
    done = subprocess.run(
        [str(python), "-c", setup.source],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode != 0
    assert "RuntimeError: Could not install the course's package" in done.stderr
    assert "connect to the internet and run this cell again" in done.stderr
    assert "ERROR:" in done.stdout, "pip's own message is not shown"
