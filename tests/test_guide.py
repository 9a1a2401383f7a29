"""The instructor guide (``python3 run.py guide``): it covers every chapter and exercise, quotes what each check says
to each wrong answer (asserted by tests/test_exercises.py), names only headings and commands that exist, and its
command reports bad input in one clear line.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_app.chapters import chapter, chapters
from course_app.cli import main
from course_app.exercises import declared_checks
from course_app.guide import MISTAKES, GuideError, course_chapters, guide_markdown
from tests.test_run_py import RUN_PY_NO_INSTALL, load_run_py

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def guide() -> str:
    return guide_markdown()


def _section(guide: str, heading: str) -> str:
    """The text under ``heading`` (a whole line), up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = guide.index(f"\n{heading}\n")
    following = re.compile(rf"^#{{1,{level}}} ", re.MULTILINE)
    end = following.search(guide, start + len(heading) + 2)
    return guide[start : end.start() if end else len(guide)]


def test_it_covers_every_chapter_with_the_minutes_its_notebook_opens_with(guide: str) -> None:
    found = course_chapters()
    assert [c.package for c in found] == chapters()
    for ch in found:
        opening = json.loads((ROOT / ch.notebook).read_text(encoding="utf-8"))["cells"][0]["source"]
        stated = f"**Teaching:** {ch.teaching} min · **Exercises:** {ch.exercising} min"
        assert stated in "".join(opening), f"{ch.notebook} does not open with {stated!r}"
        section = _section(guide, f"## {ch.title}")
        assert stated in section
        assert f"| {ch.title} | {ch.teaching} min | {ch.exercising} min |" in guide  # the day at a glance
    start = sum(c.minutes for c in found)
    assert f"ends at {start // 60}:{start % 60:02d}" in guide


def test_it_covers_every_exercise_and_every_answer(guide: str) -> None:
    by_chapter = {e.number: e for ch in course_chapters() for e in ch.exercises}
    assert list(by_chapter) == list(declared_checks()) and len(by_chapter) >= 5
    for number, exercise in by_chapter.items():
        section = _section(guide, f"### Exercise {number} · {exercise.title}")
        assert f'checks.show_me("{number}")' in section and f"`{exercise.check}`" in section
        files = sorted(p.stem for p in (ROOT / exercise.answers_dir).glob("*.py") if p.name != "__init__.py")
        assert sorted(a.name for a in exercise.answers) == files
        assert exercise.right, f"exercise {number}: no right answer"
        for answer in exercise.answers:
            assert f"(`{answer.name}`)" in section, f"{answer.path} is missing from the guide"


def test_every_answer_says_what_the_learner_wrote_and_each_wrong_one_what_the_check_says(guide: str) -> None:
    for ch in course_chapters():
        for exercise in ch.exercises:
            assert len(exercise.wrong) >= 3, f"exercise {exercise.number}: fewer than three wrong answers"
            section = _section(guide, f"### Exercise {exercise.number} · {exercise.title}")
            for answer in exercise.answers:
                assert len(answer.summary.split()) >= 4, f"{answer.path}: its docstring should say what was written"
                if answer.right:
                    continue
                assert answer.says is not None and len(answer.says.split()) >= 4, (
                    f"{answer.path}: EXPECTED should be a characteristic excerpt of the check's message, "
                    "a few words at least: the guide quotes it"
                )
                assert f"The check says: “…{answer.says}…” (`{answer.name}`)" in section


def test_the_frequent_mistakes_are_marked_and_come_first(guide: str) -> None:
    index = _section(guide, "## The mistakes learners make most often")
    for key, mistake in MISTAKES.items():
        marked = [a for ch in course_chapters() for e in ch.exercises for a in e.wrong if a.mistake == key]
        assert marked, f"no wrong answer is marked MISTAKE = {key!r}"
        assert mistake.title in index
    for ch in course_chapters():
        for exercise in ch.exercises:
            flags = [a.mistake is not None for a in exercise.wrong]
            assert flags == sorted(flags, reverse=True), f"exercise {exercise.number}: the ★ ones should come first"
    assert "★ **`time.sleep(ms / 1000)` inside `async def`" in guide


def test_every_chapter_has_notes_by_headings_its_notebook_has() -> None:
    for ch in course_chapters():
        assert ch.breaks and ch.live, f"{ch.package}: INSTRUCTOR should name at least one break and one live demo"
        for heading, text in [*ch.breaks, *ch.live]:
            assert heading in ch.headings and text.strip()


def test_a_heading_that_no_longer_exists_fails_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    package = chapter("01")
    notes = {**package.INSTRUCTOR, "live": {"A section that was renamed": "show something"}}
    monkeypatch.setattr(package, "INSTRUCTOR", notes)
    with pytest.raises(GuideError, match="names the heading 'A section that was renamed', which notebooks/01_"):
        guide_markdown()


def test_minutes_missing_from_a_notebook_are_a_clear_error(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("*.py"))
    path = tmp_path / "notebooks" / "00_welcome.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    opening = "".join(nb["cells"][0]["source"])
    nb["cells"][0]["source"] = re.sub(r"\*\*Teaching:\*\*.*\n", "", opening)
    path.write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(GuideError, match=r"notebooks/00_welcome.ipynb should open with .*\*\*Teaching:\*\* N min"):
        course_chapters(tmp_path)


def test_outside_a_checkout_it_says_so(tmp_path: Path) -> None:
    with pytest.raises(GuideError, match="from a checkout of the course"):
        guide_markdown(tmp_path)


def test_every_command_it_names_exists_and_the_checklist_has_its_three_parts(guide: str) -> None:
    commands = {*load_run_py().COMMANDS}  # read now: other commands may join the table at any time
    named = set(re.findall(r"python3 run\.py (\w+)", guide))
    assert {"doctor", "test", "learner", "lab", "guide"} <= named
    assert named <= commands, f"the guide names commands run.py does not have: {named - commands}"
    checklist = _section(guide, "## Workshop checklist")
    for part in ("### The week before", "### The hour before", "### On a shared hub"):
        assert len(_section(checklist, part).strip().splitlines()) >= 4, part
    assert "python3 run.py doctor" in _section(checklist, "### The hour before")


def test_it_is_plain_markdown_with_whole_tables(guide: str) -> None:
    assert guide.startswith("# Instructor guide\n") and guide.endswith("\n")
    assert not re.search(r"<[A-Za-z/!]", guide), "no raw HTML: it renders on GitHub and in MyST alike"
    rows = [line for line in guide.splitlines() if line.startswith("|")]
    assert rows and all(len(re.split(r"(?<!\\)\|", r)) == len(re.split(r"(?<!\\)\|", rows[0])) for r in rows)


# -- the command ---------------------------------------------------------------------------------------------


def test_guide_prints_it(capsys: pytest.CaptureFixture[str], guide: str) -> None:
    assert main(["guide"]) == 0
    assert capsys.readouterr().out == guide


def test_guide_out_writes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str], guide: str) -> None:
    out = tmp_path / "guide.md"
    assert main(["guide", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == guide
    assert f"wrote the instructor guide to {out}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("where", "message"),
    [(".", "is a folder; give a file name, e.g. --out"), ("no/such/folder/guide.md", "there is no folder")],
)
def test_a_bad_out_is_one_clear_line(where: str, message: str, tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "course_app", "guide", "--out", str(tmp_path / where)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and out.stderr.strip().count("\n") == 0 and out.stdout == ""


def test_run_py_guide_prints_it_without_running_a_single_answer() -> None:
    """The guide reads the answer modules; importing them would build apps, and one even starts a process pool."""
    out = subprocess.run(
        [sys.executable, "-X", "utf8", "-c", RUN_PY_NO_INSTALL, str(ROOT), "guide"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("# Instructor guide\n") and "### Exercise 1.3 · " in out.stdout
    probe = "import sys; from course_app.guide import guide_markdown; guide_markdown(); "
    probe += "print(sorted(m for m in sys.modules if m.startswith('tests')))"
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert imported.returncode == 0 and imported.stdout.strip() == "[]", imported.stdout + imported.stderr
