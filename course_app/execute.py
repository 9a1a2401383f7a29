"""Execute a notebook cell by cell in one kernel, timing each code cell.

The tests use it to run every notebook twice in one kernel (re-running must be
safe) and to run the learner edition; the benchmarks use it for learners' time.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

__all__ = ["execute"]


def execute(
    nb: nbformat.NotebookNode, folder: Path, *, passes: int = 1, allow_errors: bool = False, timeout: int = 120
) -> dict[int, float]:
    """Run every cell of ``nb`` ``passes`` times in one kernel started in ``folder``.

    Outputs land in ``nb``. Returns the seconds each code cell took in the last
    pass, by cell index. Without ``allow_errors`` the first failing cell raises
    nbclient's ``CellExecutionError``.
    """
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(folder)}},
    )
    seconds: dict[int, float] = {}
    with client.setup_kernel():
        for _ in range(passes):
            for index, cell in enumerate(nb.cells):
                start = time.perf_counter()
                client.execute_cell(cell, index)
                if cell.cell_type == "code":
                    seconds[index] = time.perf_counter() - start
    return seconds
