"""Each notebook runs under nbval twice in one kernel: its learner edition first, then the whole notebook.

That single kernel proves three things for the price of two executions:

* **the learner edition fails only in exercise cells**, with ``NotImplementedError`` (the placeholder) or
  ``ExerciseFailed`` (a check), and fails in every exercise that has a solution: no solution leaks, and no
  later cell depends on one (items ``learner Cell N``);
* **every cell of the notebook passes**: nbval's own items (``Cell N``), solutions included;
* **a rerun in the same kernel works**: the notebook's cells run after the learner edition has started,
  and left behind, every server the notebook starts.

And while the learner edition runs, another process keeps one core busy, as a second learner's kernel does on
a workshop hub: every timing assertion outside the exercises must hold on a busy machine, so it is tested on
one. ``COURSE_TEST_BUSY=0`` turns that off (to tell a load-dependent failure from another).

``pytest --nbval`` or ``--nbval-lax`` still gives nbval's plain single run instead.

Each notebook whose every cell passed is written, with the outputs of its second run, to ``build/executed/``
(``COURSE_EXECUTED`` names another folder; empty: none): ``tests/test_site.py`` builds the rendered site from
those copies, after the notebooks, so that no notebook runs a third time for it.

What the runs record in the course folder (``course_app/state.py``): the seed's errata, whose figures are real
runs of the chapters on this machine (``python3 run.py errata`` shows them), but not the exercise checks'
results, which would show the developer's ``python3 run.py progress`` exercises passed by the solutions and
tried by the learner edition. The kernels inherit ``COURSE_RECORD=errata``; set it yourself to choose otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbval.plugin import IPyNbCell, IPyNbFile

from course_app.editions import has_solution, learner_edition
from course_app.site import executed_copy, executed_folder
from course_app.state import now

os.environ.setdefault("COURSE_RECORD", "errata")  # inherited by the kernels nbval starts: see the docstring

#: what an unsolved exercise may raise: the placeholder, or a check that explains what is wrong
LEARNER_ERRORS = frozenset({"NotImplementedError", "ExerciseFailed"})
#: a process that keeps one core busy, for at most as many seconds as its argument
SPIN = "import sys, time\nend = time.monotonic() + float(sys.argv[1])\nwhile time.monotonic() < end:\n    pass\n"
SPIN_SECONDS = 600  # a bound, should the test run never stop it


class BusyCore:
    """Keeps one core busy with a spinning Python process, until :meth:`stop` (or ``SPIN_SECONDS``)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.process is None and os.environ.get("COURSE_TEST_BUSY", "1") != "0":
            self.process = subprocess.Popen([sys.executable, "-c", SPIN, str(SPIN_SECONDS)])

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    options = parent.config.option
    if file_path.suffix == ".ipynb" and not (options.nbval or options.nbval_lax):
        return CourseNotebook.from_parent(parent, path=file_path)
    return None


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


class CourseNotebook(IPyNbFile):
    """A notebook: its learner edition's cells, then its own cells, in one kernel. Outputs are not compared."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.compare_outputs = False  # as --nbval-lax: the notebooks' assertions are the checks
        self.failed_exercises: set[int] = set()  # exercises (by number) whose learner cells raised
        self.busy = BusyCore()  # during the learner edition only
        folder = executed_folder()
        self.executed = executed_copy(folder, Path(str(self.fspath))) if folder is not None else None
        self.started = ""  # when its kernel started, as course_app.state.now writes it
        self.full_cells: list[FullCell] = []  # the items of the notebook's own run

    def setup(self) -> None:
        if self.executed is not None:
            self.executed.unlink(missing_ok=True)  # a copy from an earlier run is stale, whatever happens now
        self.started = now()
        super().setup()
        self.busy.start()

    def teardown(self) -> None:
        self.busy.stop()
        super().teardown()
        self._write_executed()

    def _write_executed(self) -> None:
        """The notebook with its second run's outputs, when every one of its cells ran and passed."""
        if self.executed is None or not self.full_cells or not all(cell.passed for cell in self.full_cells):
            return
        self.nb.metadata["course_executed"] = {"started": self.started}
        self.executed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(self.nb, str(self.executed))

    def collect(self) -> Iterator[pytest.Item]:
        source = nbformat.read(str(self.fspath), as_version=4)
        learner = learner_edition(source, self.fspath.basename)
        kept = [cell for cell in source.cells if "solution" not in _tags(cell)]  # the cells learner_edition keeps
        exercise = -1  # the number of the current run of exercise cells (one exercise and its check)
        in_exercise = False
        # An exercise is a run of code cells tagged "exercise"; any other cell, markdown included, ends it.
        code_cells, after_other = [], []
        previous_was_code_exercise = False
        for cell, original in zip(learner.cells, kept, strict=True):
            if cell.cell_type == "code":
                code_cells.append((cell, original))
                after_other.append(not previous_was_code_exercise)
            previous_was_code_exercise = cell.cell_type == "code" and "exercise" in _tags(cell)
        solved: dict[int, int] = {}  # exercise -> index in code_cells of its last cell, for exercises with solutions
        numbered = []
        for index, (cell, original) in enumerate(code_cells):
            is_exercise = "exercise" in _tags(cell)
            if after_other[index]:
                in_exercise = False
            if is_exercise and not in_exercise:
                exercise += 1
            in_exercise = is_exercise
            numbered.append(exercise if is_exercise else None)
            if is_exercise and (has_solution(original.source) or exercise in solved):
                solved[exercise] = index
        last_cells = {index: number for number, index in solved.items()}
        for index, (cell, _) in enumerate(code_cells):
            last = index == len(code_cells) - 1
            yield LearnerCell.from_parent(
                self,
                name=f"learner Cell {index}",
                cell_num=index,
                cell=cell,
                options={"check_exception": numbered[index] is not None, "check": False, "skip": False},
                exercise=numbered[index],
                closes_solved_exercise=last_cells.get(index),
                ends_learner_edition=last,
            )
        self.full_cells = []
        for item in super().collect():  # nbval's own items, on the cells of self.nb
            cell = FullCell.from_parent(
                self, name=item.name, cell_num=item.cell_num, cell=item.cell, options=item.options
            )
            self.full_cells.append(cell)
            yield cell


class FullCell(IPyNbCell):
    """A cell of the notebook's own run, as nbval runs it; its outputs are kept in the cell when it passes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.passed = False

    def runtest(self) -> None:
        self.passed = False
        super().runtest()
        self.cell.outputs = list(self.test_outputs or [])
        self.passed = True


class LearnerCell(IPyNbCell):
    """A cell of the learner edition: an exercise cell may fail, in the ways an unsolved exercise fails."""

    def __init__(
        self,
        *args: Any,
        exercise: int | None,
        closes_solved_exercise: int | None,
        ends_learner_edition: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.exercise = exercise
        self.closes_solved_exercise = closes_solved_exercise
        self.ends_learner_edition = ends_learner_edition

    def runtest(self) -> None:
        notebook: CourseNotebook = self.parent
        try:
            self._run(notebook)
        finally:
            if self.ends_learner_edition:
                notebook.busy.stop()  # the notebook's own cells then run on a quiet machine

    def _run(self, notebook: CourseNotebook) -> None:
        super().runtest()  # raises for any error outside exercise cells
        errors = [out for out in self.test_outputs or [] if out.output_type == "error"]
        for error in errors:
            if error.ename not in LEARNER_ERRORS:
                self.raise_cell_error(
                    f"the learner edition's exercise cell raised {error.ename}: {error.evalue}; an unsolved "
                    f"exercise should raise only {' or '.join(sorted(LEARNER_ERRORS))}",
                    "\n" + "\n".join(error.traceback),
                )
        if errors and self.exercise is not None:
            notebook.failed_exercises.add(self.exercise)
        number = self.closes_solved_exercise
        if number is not None and number not in notebook.failed_exercises:
            self.raise_cell_error(
                "this exercise passes in the learner edition, without its solution: part of the solution is "
                "outside the ### BEGIN SOLUTION / ### END SOLUTION markers, or the check cannot fail"
            )
