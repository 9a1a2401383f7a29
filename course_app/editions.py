"""Learner and instructor editions from one source.

The notebooks in ``notebooks/`` are the instructor edition: every exercise has
its solution between nbgrader-style markers::

    async def handler():
        ### BEGIN SOLUTION
        await asyncio.sleep(0.1)
        ### END SOLUTION

The learner edition replaces each marked block with a placeholder at the same
indentation (``raise NotImplementedError()``), drops markdown cells tagged
``solution`` and clears outputs. Nothing is kept in two copies by hand.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import nbformat

__all__ = ["BEGIN", "END", "MarkerError", "has_solution", "learner_edition", "strip_solutions", "write_learner_edition"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
PLACEHOLDER = "# YOUR CODE HERE\nraise NotImplementedError()"
_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>### (?:BEGIN|END) SOLUTION)[ \t]*$")


class MarkerError(ValueError):
    """Solution markers that do not pair up."""


def strip_solutions(source: str, where: str = "cell") -> str:
    """Replace every ``### BEGIN SOLUTION`` … ``### END SOLUTION`` block by a placeholder."""
    out: list[str] = []
    inside: str | None = None  # indentation of the open BEGIN marker
    for number, line in enumerate(source.splitlines(), 1):
        match = _MARKER.match(line)
        if match and match["marker"] == BEGIN:
            if inside is not None:
                raise MarkerError(f"{where}, line {number}: {BEGIN} inside another solution block")
            inside = match["indent"]
            out += [inside + p for p in PLACEHOLDER.splitlines()]
        elif match:
            if inside is None:
                raise MarkerError(f"{where}, line {number}: {END} without a {BEGIN} before it")
            inside = None
        elif inside is None:
            out.append(line)
    if inside is not None:
        raise MarkerError(f"{where}: {BEGIN} is never closed by {END}")
    return "\n".join(out)


def has_solution(source: str) -> bool:
    return any((m := _MARKER.match(line)) and m["marker"] == BEGIN for line in source.splitlines())


def learner_edition(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """A copy of ``nb`` without solutions or outputs."""
    out: nbformat.NotebookNode = nbformat.from_dict(nb)
    cells = []
    for index, cell in enumerate(out.cells):
        if "solution" in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, f"{name}, cell {index}")
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    out.cells = cells
    return out


def write_learner_edition(src: Path, dest: Path, *, force: bool = False) -> list[Path]:
    """Write the learner edition of every notebook in ``src`` into ``dest``.

    A notebook that already exists in ``dest`` is the learner's work and is left
    alone, unless ``force``: then it is first copied aside as ``NAME.bak-TIMESTAMP.ipynb``.
    Returns the notebooks written.
    """
    if not src.is_dir():
        raise FileNotFoundError(f"no notebooks folder at {src}")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(src.glob("*.ipynb")):
        target = dest / path.name
        if target.exists():
            if not force:
                continue
            shutil.copy2(target, target.with_name(f"{target.stem}.bak-{time.strftime('%Y%m%d-%H%M%S')}.ipynb"))
        nb = nbformat.read(path, as_version=4)
        nbformat.write(learner_edition(nb, path.name), target)
        written.append(target)
    return written
