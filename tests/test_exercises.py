"""The exercise checks: each gets the right answers and the wrong ones learners really give (tests/answers/).

FastAPI's tests/test_tutorial style: every answer is a module of its own, imported by a parametrized fixture;
``EXPECTED`` says whether the check must pass, or what its message must say.

And no exercise gives its answer away: the learner edition of each exercise holds none of the code its check
declares as the answer (``answer_keys``), while the instructor edition holds all of it.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio.to_thread
import nbformat
import pytest

from course_app.editions import learner_edition
from course_app.exercises import ExerciseFailed
from course_app.exercises import ch00 as checks00
from course_app.exercises import ch01 as checks01
from tests.answers import answers

pytestmark = pytest.mark.anyio

Check = Callable[[Any], Awaitable[None]]
EXERCISES: dict[str, Check] = {
    "ex0_1": checks00.check_wait,
    "ex1_1": checks01.check_non_blocking,
    "ex1_2": checks01.check_thread_limit,
    "ex1_3": checks01.check_process_pool,
}
CASES = [(exercise, answer) for exercise in EXERCISES for answer in answers(exercise)]


@pytest.fixture(params=CASES, ids=[f"{e}.{a.__name__.rpartition('.')[2]}" for e, a in CASES])
def case(request: pytest.FixtureRequest) -> tuple[Check, ModuleType]:
    exercise, answer = request.param
    return EXERCISES[exercise], answer


async def test_each_answer_gets_what_it_deserves(
    case: tuple[Check, ModuleType], capsys: pytest.CaptureFixture[str]
) -> None:
    check, answer = case
    if answer.EXPECTED is None:
        await check(answer.app)
        assert "✅" in capsys.readouterr().out
    else:
        with pytest.raises(ExerciseFailed, match=re.escape(answer.EXPECTED)):
            await check(answer.app)


def test_every_exercise_has_a_solution_and_wrong_answers() -> None:
    for exercise in EXERCISES:
        expected = [a.EXPECTED for a in answers(exercise)]
        assert None in expected, f"{exercise}: no right answer among tests/answers/{exercise}"
        assert len([e for e in expected if e is not None]) >= 3, f"{exercise}: fewer than three wrong answers"


@pytest.mark.parametrize("check", EXERCISES.values(), ids=EXERCISES)
async def test_checks_refuse_what_is_not_an_app(check: Check) -> None:
    with pytest.raises(ExerciseFailed, match="should be a function or an app"):
        await check("my_app")


async def test_check_thread_limit_spots_a_limit_set_on_the_wrong_loop() -> None:
    from tests.answers.ex1_2 import no_limit

    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = 100  # what a notebook cell does: the caller's loop, not the server's
    try:
        with pytest.raises(ExerciseFailed, match="set it in the app's lifespan"):
            await checks01.check_thread_limit(no_limit.app)
    finally:
        limiter.total_tokens = 40


# -- no answer given away ---------------------------------------------------------------------------------------

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
_CHECK_CALL = re.compile(r"\bchecks\.(check_\w+)\(")


def exercises_of(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(check name, the code of its exercise cells) for each exercise: a run of cells tagged ``exercise``."""
    found, run = [], []
    for cell in [*nb.cells, nbformat.v4.new_markdown_cell("")]:
        if cell.cell_type == "code" and "exercise" in cell.metadata.get("tags", []):
            run.append(cell.source)
            continue
        if run:
            calls = [m for source in run for m in _CHECK_CALL.findall(source)]
            assert len(calls) == 1, f"an exercise should call exactly one check; this one calls {calls}: {run}"
            found.append((calls[0], "\n".join(run)))
            run = []
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_exercise_gives_its_answer_away(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    checks = importlib.import_module(f"course_app.exercises.ch{path.stem[:2]}")
    instructor, learner = exercises_of(nb), exercises_of(learner_edition(nb, path.name))
    assert [name for name, _ in instructor] == [name for name, _ in learner]
    for (name, solved), (_, unsolved) in zip(instructor, learner, strict=True):
        keys = getattr(getattr(checks, name), "answer_keys", None)
        assert keys, f"{checks.__name__}.{name} declares no answer_keys"
        for key in keys:
            assert key.search(solved), f"{path.name}, {name}: the solution does not contain {key.pattern!r}"
            assert not key.search(unsolved), (
                f"{path.name}, {name}: the learner edition already contains {key.pattern!r}: "
                "move it between the ### BEGIN SOLUTION / ### END SOLUTION markers"
            )
