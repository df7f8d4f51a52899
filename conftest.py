"""Repository-wide pytest configuration.

* nbval collects the course's MyST-Markdown notebooks (``.md`` files with a jupytext header
  under ``book/`` and ``solutions/``) directly: they are read with ``jupytext.read``.
* After every cell of a notebook has passed, the executed notebook (with the outputs nbval
  collected) is written under ``_build/executed/``. The HTML test builds the book from those
  executed copies, so ``make test`` runs each notebook once, not twice.
* ``MPLBACKEND`` is removed before any kernel starts: kernels inherit the environment, and
  ``MPLBACKEND=Agg`` there makes inline figures silently vanish.
* Every test process runs with one BLAS thread and one torch thread (notebook kernels get
  theirs from the Makefile's environment).
* A test marked ``cuda`` skips itself on a machine without a CUDA GPU.

Paths the tests share (``ROOT``, ``EXECUTED``, ...) live in ``tests/helpers.py``; this file
holds only hooks and fixtures.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from unittest import mock

import jupytext
import nbformat
import pytest

from companion.exercises import is_notebook
from tests.helpers import NOTEBOOK_DIRS, ROOT, executed_path

os.environ.pop("MPLBACKEND", None)


try:
    from nbval.plugin import IPyNbFile
except ImportError:  # nbval missing: plain unit tests still run
    IPyNbFile = None
else:

    class MystNotebook(IPyNbFile):
        """nbval's notebook collector, reading MyST Markdown through jupytext."""

        def collect(self):
            def read(path, as_version):
                return jupytext.read(path, as_version=as_version)

            with mock.patch("nbval.plugin.nbformat.read", read):
                yield from super().collect()

        def teardown(self):
            super().teardown()
            target = executed_path(Path(self.fspath))
            cells = [item for item in self.iter_children() if hasattr(item, "test_outputs")]
            complete = cells and all(
                item.test_outputs is not None and not getattr(item, "failed", False)
                for item in cells
            )
            if not complete:
                target.unlink(missing_ok=True)
                return
            for number, item in enumerate(cells, start=1):
                item.cell.execution_count = number
                item.cell.outputs = [_as_output(out, number) for out in item.test_outputs]
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            nbformat.write(self.nb, tmp)
            tmp.replace(target)

        def iter_children(self):
            return getattr(self, "_cells", [])

    def _as_output(out, execution_count: int):
        kind = out["output_type"]
        if kind == "stream":
            return nbformat.v4.new_output("stream", name=out["name"], text=out["text"])
        if kind == "execute_result":
            return nbformat.v4.new_output(
                "execute_result",
                data=out["data"],
                metadata=out.get("metadata", {}),
                execution_count=execution_count,
            )
        return nbformat.v4.new_output(kind, data=out["data"], metadata=out.get("metadata", {}))


def pytest_collect_file(file_path: Path, parent):
    options = parent.config.option
    if IPyNbFile is None or not (options.nbval or options.nbval_lax):
        return None
    try:
        relative = file_path.resolve().relative_to(ROOT)
    except ValueError:
        return None
    if relative.parts[0] in NOTEBOOK_DIRS and is_notebook(file_path):
        return MystNotebook.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(items):
    # Remember each notebook's cells on its collector, so teardown can write them out.
    for item in items:
        parent = item.parent
        if IPyNbFile is not None and isinstance(parent, MystNotebook):
            parent.__dict__.setdefault("_cells", []).append(item)
    # A test marked `cuda` skips itself on a machine without a CUDA GPU.
    needs_cuda = [item for item in items if item.get_closest_marker("cuda")]
    if needs_cuda:
        import torch

        if not torch.cuda.is_available():
            for item in needs_cuda:
                item.add_marker(pytest.mark.skip(reason="needs a CUDA GPU"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        item.failed = True
    return report


@pytest.fixture(autouse=True, scope="session")
def one_thread_each():
    """One BLAS thread and one torch thread in each test process.

    pytest-xdist runs two workers on two cores; with more threads they fight, and on a
    busy machine OpenBLAS's waiting threads made a 1.5 s training test take 30 s.
    """
    import torch

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # then only OPENBLAS_NUM_THREADS (set by `make test`) limits BLAS
        blas_limit = contextlib.nullcontext()
    else:
        blas_limit = threadpool_limits(limits=1, user_api="blas")
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    with blas_limit:
        yield
    torch.set_num_threads(previous)
