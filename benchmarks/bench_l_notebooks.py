"""L learners' time: each notebook executed top to bottom, and its slowest cell, in s.

Every ``notebooks/*.ipynb`` is executed with nbclient through
:func:`course_app.execute.execute`, kernel start excluded, once. Not in the smoke
pass: the tests execute every notebook already.
"""

from __future__ import annotations

import functools
from pathlib import Path

from .core import Figure, Measured, Plan, Row, Target, measure_rows

GROUP = "L"
TITLE = "learners' time: every notebook, executed"
ORDER = 90
IN_SMOKE = False  # the tests already execute every notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TOTAL_TARGET = Target("<=", 60.0)  # each notebook executes in under a minute
CELL_TARGET = Target("<=", 20.0)  # no cell runs longer than 20 s


def measure(plan: Plan) -> list[Figure]:
    """Each notebook's execution time and its slowest cell, kernel start excluded."""
    figures: list[Figure] = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        rows = [
            Row(f"L.{path.stem}.total", f"{path.name}, whole notebook", "s", TOTAL_TARGET),
            Row(f"L.{path.stem}.slowest-cell", f"{path.name}, slowest cell", "s", CELL_TARGET),
        ]
        figures += measure_rows(rows, functools.partial(_notebook_times, path))
    return figures


def _notebook_times(path: Path) -> list[Measured]:
    # imported here: nbclient and a kernel are needed by this group only, and the runner imports every group
    import nbformat

    from course_app.execute import execute

    nb = nbformat.read(path, as_version=4)
    seconds = execute(nb, path.parent)
    if not seconds:
        raise ValueError(f"{path.name} has no code cell")
    where = max(seconds, key=seconds.__getitem__)
    first_line = (nb.cells[where].source.strip().splitlines() or ["(empty cell)"])[0][:60]
    return [
        (
            sum(seconds.values()),
            {"code_cells": len(seconds), "seconds_per_cell": [round(s, 3) for s in seconds.values()]},
            f"{len(seconds)} code cells",
        ),
        (seconds[where], {"cell": where, "first_line": first_line}, f"cell {where}: {first_line}"),
    ]
