"""Progress: every check records each attempt in the course folder, and ``python3 run.py progress`` prints it."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi import Path as PathParam

from course_app import progress
from course_app.cli import main as cli
from course_app.exercises import ExerciseFailed
from course_app.exercises import ch00 as checks00
from course_app.paths import checkout
from course_app.state import CourseStateWarning

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A course folder of the test's own, where progress is recorded."""
    monkeypatch.setenv("COURSE_HOME", str(tmp_path / "course"))
    monkeypatch.setenv("COURSE_RECORD", "progress")
    return tmp_path / "course"


def wait_app() -> FastAPI:
    """A right answer to exercise 0.1."""
    app = FastAPI()

    @app.get("/wait/{ms}")
    async def wait(ms: int = PathParam(ge=0, le=2000)) -> dict[str, int]:
        await asyncio.sleep(ms / 1000)
        return {"waited_ms": ms}

    return app


def test_every_chapter_has_at_least_two_exercises() -> None:
    chapters = sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    per_chapter = Counter(e.chapter for e in progress.exercises())
    assert chapters and set(per_chapter) == set(chapters)
    for chapter in chapters:
        assert per_chapter[chapter] >= 2, (
            f"chapter {chapter} has {per_chapter[chapter]} exercise(s); issue 7 asks for 2"
        )


def test_the_exercises_are_found_from_the_checks_declarations() -> None:
    found = progress.exercises()
    numbers = [e.number for e in found]
    assert len(set(numbers)) == len(numbers) and numbers[:2] == ["0.1", "0.2"]
    for exercise in found:
        assert f"{int(exercise.chapter)}." == exercise.number[: len(exercise.number.split(".")[0]) + 1]
        assert exercise.check.startswith(f"course_app.exercises.ch{exercise.chapter}.check_")
        assert exercise.title and not exercise.title.startswith("Exercise")


def test_a_check_is_still_the_check_it_wraps() -> None:
    check = checks00.check_wait
    assert inspect.iscoroutinefunction(check) and check.exercise == "0.1"  # type: ignore[attr-defined]
    assert check.__name__ == "check_wait" and "Exercise 0.1" in (check.__doc__ or "")
    assert "def check_wait" in inspect.getsource(check)


async def test_a_failing_and_a_passing_attempt_are_recorded(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ExerciseFailed):
        await checks00.check_wait("my_app")
    await checks00.check_wait(wait_app())
    assert "✅" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        await checks00.check_sleep_many(lambda base_url, n: [])  # not async: the check says so

    data = json.loads((home / "progress.json").read_text())
    first = data["exercises"]["0.1"]
    assert first["attempts"] == 2 and first["passed_at"] and first["last"]["passed"] is True
    assert "concurrent waits" in first["last"]["message"]  # what passed() said
    second = data["exercises"]["0.2"]
    assert second["attempts"] == 1 and "passed_at" not in second
    assert second["last"]["message"].startswith("sleep_many should be an `async def` function")
    assert "\n" not in second["last"]["message"]

    assert cli(["progress"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^  0\.1 +passed +`GET /wait/\{ms\}`", out, re.MULTILINE)
    assert re.search(r"^  0\.2 +tried once ", out, re.MULTILINE)
    assert "sleep_many should be an `async def` function" in " ".join(out.split())
    assert re.search(r"^  1\.1 +not tried ", out, re.MULTILINE)
    total = len(progress.exercises())
    assert out.rstrip().endswith(f"passed 1 of {total} exercises; tried but not passed yet: 1; not tried: {total - 2}")


def test_a_corrupt_file_starts_over_and_says_so(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home.mkdir()
    (home / "progress.json").write_text("[1, 2")
    assert cli(["progress"]) == 0
    out, err = capsys.readouterr()
    assert "passed 0 of" in out
    assert re.fullmatch(r"warning: \S+progress\.json is not valid JSON \(.*\); it is ignored\n", err)
    with pytest.warns(CourseStateWarning, match="starting it over"):
        progress.record_attempt("1.2", False, "80 requests took 0.41 s")
    assert progress.results()["1.2"].last_message == "80 requests took 0.41 s"
    (home / "progress.json").write_text('{"version": 99}')  # not ours: ignored as well
    with pytest.warns(CourseStateWarning, match="not a file this version of the course wrote"):
        assert progress.results() == {}


async def test_recording_never_breaks_a_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("COURSE_HOME", str(tmp_path / "a-file" / "course"))  # cannot be made
    monkeypatch.setenv("COURSE_RECORD", "progress")
    with pytest.warns(CourseStateWarning, match="could not record"), pytest.raises(ExerciseFailed, match="an app"):
        await checks00.check_wait("my_app")


async def test_the_test_suite_records_nothing_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_HOME", str(tmp_path))
    monkeypatch.delenv("COURSE_RECORD", raising=False)  # PYTEST_CURRENT_TEST is set while a test runs
    with pytest.raises(ExerciseFailed):
        await checks00.check_wait("my_app")
    monkeypatch.setenv("COURSE_RECORD", "errata")
    with pytest.raises(ExerciseFailed):
        await checks00.check_wait("my_app")
    assert not (tmp_path / "progress.json").exists()


def test_the_edition_with_solutions_is_not_the_learner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = checkout()
    assert root is not None
    monkeypatch.chdir(root / "notebooks")
    assert progress.judging_the_solutions()
    monkeypatch.chdir(tmp_path)
    assert not progress.judging_the_solutions()
