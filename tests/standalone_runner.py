"""Run one notebook the way a student does, with the Python of the student's environment.

``python standalone_runner.py NOTEBOOK [--until-stub]`` executes every cell in order with
nbclient and the environment's own ``python3`` kernel, from the notebook's folder. With
``--until-stub`` it stops at the first cell that raises ``NotImplementedError`` (an exercise
not yet solved). It prints one JSON line: seconds, cells run, the index of the stub cell
(or null), and the text output of the first cell (the setup cell).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def _text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output["text"])
        elif output.get("output_type") == "error":
            parts.append(f"{output['ename']}: {output['evalue']}")
    return "".join(parts)


def main() -> None:
    path = Path(sys.argv[1]).resolve()
    until_stub = "--until-stub" in sys.argv[2:]
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start, ran, stub = time.perf_counter(), 0, None
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                if until_stub and error.ename == "NotImplementedError":
                    stub = index
                    break
                raise
            ran += 1
    print(
        json.dumps(
            {
                "seconds": round(time.perf_counter() - start, 1),
                "cells_run": ran,
                "stub_cell": stub,
                "stub_source": notebook.cells[stub].source if stub is not None else None,
                "setup_output": _text(notebook.cells[0]),
            }
        )
    )


if __name__ == "__main__":
    main()
