"""The exercise checks: each gets the right answers and the wrong ones learners really give (tests/answers/).

FastAPI's tests/test_tutorial style: every answer is a module of its own, imported by a parametrized fixture;
``EXPECTED`` says whether the check must pass, or what its message must say. The instructor guide quotes those
words as what the check says to that mistake (``python3 run.py guide``), so this test keeps the guide true. An
answer may define ``in_a_cell``, an async context manager: what the learner ran in a notebook cell before the check.

And no exercise gives its answer away: the learner edition of each exercise holds none of the code its check
declares as the answer (``answer_keys``), while the instructor edition holds all of it.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import re
import textwrap
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio.to_thread
import nbformat
import pytest

from course_app.editions import PLACEHOLDER, learner_edition
from course_app.exercises import _HINTS as HINTS
from course_app.exercises import ExerciseFailed, Hint, declared_checks, show_me
from course_app.exercises import ch01 as checks01
from tests.answers import answers

pytestmark = pytest.mark.anyio

Check = Callable[[Any], Awaitable[None]]
#: every check that declares an exercise (answer_keys), by its folder of answers: "1.3" -> tests/answers/ex1_3
EXERCISES: dict[str, Check] = {f"ex{number.replace('.', '_')}": check for number, check in declared_checks().items()}
CASES = [(exercise, answer) for exercise in EXERCISES for answer in answers(exercise)]


def _pools(module: ModuleType) -> list[ProcessPoolExecutor]:
    found = [getattr(module, "pool", None), getattr(getattr(module, "app", None), "state", None)]
    found[1] = getattr(found[1], "pool", None)
    return [p for p in found if isinstance(p, ProcessPoolExecutor)]


@pytest.fixture(params=CASES, ids=[f"{e}.{a.__name__.rpartition('.')[2]}" for e, a in CASES])
def case(request: pytest.FixtureRequest) -> Iterator[tuple[Check, ModuleType]]:
    exercise, answer = request.param
    yield EXERCISES[exercise], answer
    for pool in _pools(answer):  # a wrong answer's pool that the app never shut down: not left running
        pool.shutdown(cancel_futures=True)


async def test_each_answer_gets_what_it_deserves(
    case: tuple[Check, ModuleType], capsys: pytest.CaptureFixture[str]
) -> None:
    check, answer = case
    async with getattr(answer, "in_a_cell", contextlib.nullcontext)():
        if answer.EXPECTED is None:
            await check(answer.app)
            assert "✅" in capsys.readouterr().out
        else:
            with pytest.raises(ExerciseFailed, match=re.escape(answer.EXPECTED)):
                await check(answer.app)


def test_every_exercise_has_a_solution_and_wrong_answers() -> None:
    assert list(EXERCISES)[:5] == ["ex0_1", "ex0_2", "ex1_1", "ex1_2", "ex1_3"]  # the discovery finds them all
    folders = {p.name for p in Path(answers.__code__.co_filename).parent.glob("ex*_*") if p.is_dir()}
    assert folders == set(EXERCISES), f"answers without a check, or checks without answers: {folders ^ set(EXERCISES)}"
    for exercise in EXERCISES:
        expected = [a.EXPECTED for a in answers(exercise)]
        assert None in expected, f"{exercise}: no right answer among tests/answers/{exercise}"
        assert len([e for e in expected if e is not None]) >= 3, f"{exercise}: fewer than three wrong answers"


@pytest.mark.parametrize("check", EXERCISES.values(), ids=EXERCISES)
async def test_checks_refuse_what_is_not_an_app(check: Check) -> None:
    with pytest.raises(ExerciseFailed, match="should be a function or an app"):
        await check("my_app")


async def test_a_limit_left_in_the_notebooks_loop_is_not_held_against_a_right_answer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.answers.ex1_2 import solution

    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = 100  # an earlier try set it in a cell; the lifespan is right now
    try:
        await checks01.check_thread_limit(solution.app)
    finally:
        limiter.total_tokens = 40
    assert "one wave" in capsys.readouterr().out


def test_show_me_prints_every_paste_of_an_exercise(capsys: pytest.CaptureFixture[str]) -> None:
    show_me("1.3")
    out = capsys.readouterr().out
    assert "placeholder 1 of 2, the lifespan" in out and "request.app.state.pool" in out
    with pytest.raises(ValueError, match="no exercise '9.9'"):
        show_me("9.9")


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


# -- hints that work where they are pasted -------------------------------------------------------------------------


def _imports(cells: list[str]) -> str:
    """Every import statement of ``cells`` (top-level ``await`` allowed in them, as in a notebook)."""
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    found = []
    for source in cells:
        tree = compile(source, "<cell>", "exec", flags=flags)
        found += [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(found)


def _paste(source: str, pastes: list[Hint]) -> tuple[str, list[Hint]]:
    """``source`` with its placeholders replaced by the first of ``pastes``, in order; the pastes left over."""
    first, second = PLACEHOLDER.splitlines()
    lines, out, left = source.splitlines(), [], list(pastes)
    i = 0
    while i < len(lines):
        if lines[i].strip() == first and i + 1 < len(lines) and lines[i + 1].strip() == second:
            assert left, f"more placeholders than hints in:\n{source}"
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            out += textwrap.indent(left.pop(0).code, indent).splitlines()
            i += 2
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out), left


HINTED = [(path, name) for path in NOTEBOOKS for name, _ in exercises_of(nbformat.read(path, as_version=4))]


@pytest.mark.parametrize(("path", "check_name"), HINTED, ids=[f"{p.stem[:2]}.{n}" for p, n in HINTED])
async def test_the_hints_pasted_into_the_learner_edition_pass_the_check(
    path: Path, check_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    learner = learner_edition(nbformat.read(path, as_version=4), path.name)
    checks = importlib.import_module(f"course_app.exercises.ch{path.stem[:2]}")
    check = getattr(checks, check_name)
    number = check.exercise
    cells = [c.source if c.cell_type == "code" else "" for c in learner.cells]  # markdown: no code to run
    start = next(i for i, c in enumerate(cells) if f"checks.{check_name}(" in c)
    group = start  # the exercise's first cell: the run of code cells tagged "exercise" that ends with the check
    while group > 0 and learner.cells[group - 1].cell_type == "code":
        if "exercise" not in learner.cells[group - 1].metadata.get("tags", []):
            break
        group -= 1
    pastes = list(HINTS[number])
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(_imports(cells[:group]), namespace)  # what the notebook imported before the exercise
    for source in cells[group:start]:
        pasted, pastes = _paste(source, pastes)
        exec(compile(pasted, f"{path.name}: exercise {number}", "exec"), namespace)
    assert not pastes, f"exercise {number} has more hints than placeholders"
    (app_name,) = re.findall(rf"checks\.{check_name}\((\w+)\)", cells[start])
    await check(namespace[app_name])
    assert "✅" in capsys.readouterr().out
