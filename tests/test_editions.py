"""One source, two editions: solutions are stripped for learners and never kept twice by hand."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from course_app.editions import MarkerError, learner_edition, strip_solutions, write_learner_edition

SOURCE = """\
from fastapi import FastAPI
app = FastAPI()

@app.get("/x")
async def x():
    ### BEGIN SOLUTION
    await asyncio.sleep(0.1)
    return {"ok": True}
    ### END SOLUTION
"""


def test_solution_becomes_a_placeholder_at_the_same_indentation() -> None:
    out = strip_solutions(SOURCE)
    assert "asyncio.sleep" not in out and "SOLUTION" not in out
    assert "    # YOUR CODE HERE\n    raise NotImplementedError()" in out
    assert out.startswith("from fastapi import FastAPI")
    compile(out, "learner", "exec")  # still valid Python


def test_code_without_markers_is_unchanged() -> None:
    assert strip_solutions("x = 1\ny = 2") == "x = 1\ny = 2"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("### BEGIN SOLUTION\nx = 1", "never closed"),
        ("x = 1\n### END SOLUTION", "without a ### BEGIN SOLUTION"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
    ],
)
def test_unpaired_markers_are_clear_errors(source: str, message: str) -> None:
    with pytest.raises(MarkerError, match=message):
        strip_solutions(source, "01_x.ipynb, cell 3")


def make_notebook() -> nbformat.NotebookNode:
    nb: nbformat.NotebookNode = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell(SOURCE, metadata={"tags": ["exercise"]}),
        nbformat.v4.new_markdown_cell("The answer is ...", metadata={"tags": ["solution"]}),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="old output")]
    return nb


def test_learner_edition_strips_solutions_solution_notes_and_outputs() -> None:
    nb = make_notebook()
    out = learner_edition(nb)
    assert len(out.cells) == 2
    assert "NotImplementedError" in out.cells[1].source and out.cells[1].outputs == []
    assert "asyncio.sleep" in nb.cells[1].source, "the source notebook is not modified"


def test_write_never_overwrites_a_learners_work_unless_forced(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "learner"
    src.mkdir()
    nbformat.write(make_notebook(), src / "01_x.ipynb")
    assert [p.name for p in write_learner_edition(src, dest)] == ["01_x.ipynb"]
    mine = dest / "01_x.ipynb"
    mine.write_text(mine.read_text().replace("YOUR CODE HERE", "MY WORK"))
    assert write_learner_edition(src, dest) == []
    assert "MY WORK" in mine.read_text()
    assert write_learner_edition(src, dest, force=True) == [mine]
    backups = list(dest.glob("01_x.bak-*.ipynb"))
    assert len(backups) == 1 and "MY WORK" in backups[0].read_text()
    assert "MY WORK" not in mine.read_text()


def test_missing_source_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no notebooks folder"):
        write_learner_edition(tmp_path / "nope", tmp_path / "out")
