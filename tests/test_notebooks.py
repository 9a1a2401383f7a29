"""Whole-notebook behaviour that nbval alone does not show.

* Every notebook runs twice in one kernel: re-running cells that start servers
  replaces them ("address already in use" never happens).
* The learner edition fails only in its exercise cells, and in every one of them
  that holds a solution: no solution leaks, and nothing else depends on one.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from course_app.editions import has_solution, learner_edition
from course_app.execute import execute

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
pytestmark = pytest.mark.slow


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_twice_in_the_same_kernel(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    execute(nb, path.parent, passes=2)  # raises CellExecutionError on the first failing cell


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_learner_edition_fails_only_in_exercise_cells(path: Path) -> None:
    source = nbformat.read(path, as_version=4)
    learner = learner_edition(source, path.name)
    execute(learner, path.parent, allow_errors=True)
    kept = [c for c in source.cells if "solution" not in c.metadata.get("tags", [])]
    failed: set[int] = set()
    groups: list[list[int]] = []  # runs of consecutive exercise code cells: one exercise and its check
    solved_groups: list[int] = []
    for index, (cell, original) in enumerate(zip(learner.cells, kept, strict=True)):
        if cell.cell_type != "code":
            continue
        if any(o.output_type == "error" for o in cell.outputs):
            failed.add(index)
        if "exercise" not in cell.metadata.get("tags", []):
            groups.append([])
            continue
        if not groups or not groups[-1]:
            groups.append([])
        groups[-1].append(index)
        if has_solution(original.source) and len(groups) - 1 not in solved_groups:
            solved_groups.append(len(groups) - 1)
    exercise = {i for group in groups for i in group}
    assert failed <= exercise, f"cells {sorted(failed - exercise)} of the learner edition fail outside the exercises"
    for g in solved_groups:
        assert failed & set(groups[g]), f"exercise cells {groups[g]} pass without their solution: did one leak?"
    for index in failed:
        (error,) = [o for o in learner.cells[index].outputs if o.output_type == "error"]
        assert error.ename in {"NotImplementedError", "ExerciseFailed"}, (index, error.ename, error.evalue)
