"""The rendered site: every notebook executed and written as static HTML (``python3 run.py site``).

Sphinx with MyST-NB builds it, offline. :func:`build_site` stages a copy of the notebooks in a temporary
folder (the seed-claim anchors and the folded solutions added there, never in ``notebooks/``), writes the
generated ``conf.py``, the index, the instructor guide and a placeholder for the errata page beside them,
then runs Sphinx in a child process (``course_app.site._sphinx``). MyST-NB executes every notebook in
it, in chapter order, in a kernel that starts in ``notebooks/`` as nbval's does. The errata page is read
last (``course_app.site.extension``), so that it shows the figures the notebooks recorded in this build.

A notebook that fails stops the build with :class:`SiteError`, naming the notebook and the cell; so do
Sphinx's warnings, which are listed rather than hidden.

``build_site(executed=folder)`` renders notebooks that were executed already instead: the copies that the test
run writes (``COURSE_EXECUTED``, ``notebooks/conftest.py``), each with its outputs, and current (the same cells
as the notebook it was run from: :func:`stale_copies`). Nothing is executed then; the errata page shows the
figures recorded since the first of those runs started.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import nbformat

from ..editions import has_solution
from ..errata import Claim
from ..paths import checkout
from ..state import now

__all__ = [
    "CHAPTER",
    "SiteBuild",
    "SiteError",
    "SiteInputError",
    "StaleCopies",
    "build_site",
    "chapters",
    "default_out",
    "executed_copy",
    "executed_folder",
    "stale_copies",
]

#: a chapter's notebook: two digits, an underscore, its topic
CHAPTER = re.compile(r"^\d\d_[A-Za-z0-9_]+\.ipynb$")
#: the generated pages besides the chapters, in the order they follow them
EXTRA_PAGES = ("errata", "guide")
#: seconds a single cell may take before the build fails (DESIGN.md: no cell over 20 s; this is only a bound)
CELL_TIMEOUT = 300
#: a bound on the whole Sphinx run, should a kernel hang where no cell timeout reaches it
BUILD_TIMEOUT = 3600
STOP_TIMEOUT = 10  # seconds the Sphinx process gets to shut its kernel down when the build is stopped
SETUP_CELL_ID = "site-setup"
#: the file that marks a folder as a site this module built, which the next build may replace
MARKER = ".course-site"


class SiteError(RuntimeError):
    """The site could not be built: a notebook failed, Sphinx warned, or the input was wrong."""


class SiteInputError(SiteError):
    """The input was wrong (e.g. ``--out`` names a file): nothing was built."""


class StaleCopies(SiteInputError):
    """A notebook has no executed copy to render, or its copy is not current (:func:`stale_copies`)."""


@dataclass(frozen=True)
class SiteBuild:
    """What a build wrote: the site's folder, its chapters (notebook stems, in order) and how long it took."""

    out: Path
    chapters: tuple[str, ...]
    seconds: float
    figures: dict[str, int]  # chapter -> the images (plots) its executed notebook holds, as the build counted them

    @property
    def pages(self) -> tuple[str, ...]:
        """Every page of the site, as its HTML file name, in reading order."""
        return ("index.html", *(f"{name}.html" for name in (*self.chapters, *EXTRA_PAGES)))


def default_out() -> Path:
    """``build/site`` in the checkout (gitignored), else in the current folder."""
    root = checkout()
    return (root if root is not None else Path.cwd()) / "build" / "site"


def notebooks_folder() -> Path:
    root = checkout()
    folder = (root if root is not None else Path.cwd()) / "notebooks"
    if not folder.is_dir():
        raise SiteError(f"no notebooks folder at {folder}: build the site from a checkout of the course")
    return folder


def chapters(folder: Path) -> list[Path]:
    """The chapters' notebooks in ``folder``, in order (``NN_topic.ipynb``)."""
    return sorted(p for p in folder.glob("*.ipynb") if CHAPTER.match(p.name))


def executed_folder() -> Path | None:
    """Where the test run keeps the notebooks it executed, for the site: ``COURSE_EXECUTED`` (empty or ``0``:
    nowhere), by default ``build/executed`` in the checkout."""
    named = os.environ.get("COURSE_EXECUTED")
    if named is None:
        root = checkout()
        return None if root is None else root / "build" / "executed"
    named = named.strip()
    return None if named in ("", "0") else Path(named).expanduser().resolve()


def executed_copy(executed: Path, notebook: Path) -> Path:
    """Where the executed copy of ``notebook`` is kept in the folder ``executed``."""
    return executed / notebook.name


def _cells(nb: Any) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def stale_copies(executed: Path, notebooks: list[Path], *, since: str = "") -> list[str]:
    """The notebooks (file names) that have no executed copy in ``executed``, or one with other cells than they
    have now, or one whose run started before ``since`` (as :func:`course_app.state.now` writes it) or does not
    say when: the copies that a site must not be built from."""
    return _read_copies(executed, notebooks, since)[1]


def _read_copies(executed: Path, notebooks: list[Path], since: str) -> tuple[dict[str, Any], list[str]]:
    """The current executed copies, by notebook file name, and the names of the notebooks without one."""
    copies, stale = {}, []
    for path in notebooks:
        try:
            ran = nbformat.read(executed_copy(executed, path), as_version=4)
            current = nbformat.read(path, as_version=4)
        except (OSError, ValueError):
            stale.append(path.name)
            continue
        started = ran.metadata.get("course_executed", {}).get("started")
        if _cells(ran) != _cells(current) or not started or started < since:
            stale.append(path.name)
        else:
            copies[path.name] = ran
    return copies, stale


def build_site(
    out: Path | None = None, *, notebooks: Path | None = None, executed: Path | None = None, since: str = ""
) -> SiteBuild:
    """Execute every chapter and write the site into ``out`` (default: :func:`default_out`).

    ``executed``: a folder of copies of the notebooks that ran already, with their outputs (see the module's
    doc), made since ``since``; nothing is executed then, and a missing or stale copy is :class:`StaleCopies`.

    Raises :class:`SiteError` with a message for a reader (never a Sphinx traceback) when a notebook fails,
    when Sphinx warns, or when ``out`` cannot be a folder.
    """
    start = time.perf_counter()
    folder = notebooks if notebooks is not None else notebooks_folder()
    found = chapters(folder)
    if not found:
        raise SiteError(f"no chapter notebooks (NN_topic.ipynb) in {folder}")
    started, copies = now(), None
    if executed is not None:
        copies, stale = _read_copies(executed, found, since)
        if stale:
            raise StaleCopies(
                f"{executed} has no current executed copy of {', '.join(stale)}: run the notebooks with "
                "COURSE_EXECUTED set (python3 run.py test notebooks), or build without executed copies"
            )
        started = min(nb.metadata.course_executed.started for nb in copies.values())
    out = _check_out(Path(out) if out is not None else default_out(), folder)
    # Sphinx writes into the work folder (MyST-NB keeps its outputs beside the HTML, in its parent folder);
    # only a finished site is copied to ``out``, so a failed build leaves the previous one in place.
    with tempfile.TemporaryDirectory(prefix="course-site-") as work_dir:
        work = Path(work_dir)
        (work / "source").mkdir()
        stems = stage(found, work / "source", execute_in=folder, copies=copies, started=started)
        result = _run_sphinx(work / "source", work / "html", work / "doctrees", work / "result.json")
        if result.get("error"):
            raise SiteError(_execution_message(result["error"], folder))
        if not result.get("ok"):
            raise SiteError(result.get("message") or "Sphinx stopped without saying why; see its output above")
        if copies is None:  # MyST-NB keeps each notebook it executed beside the HTML
            copies = {f"{stem}.ipynb": nbformat.read(work / "jupyter_execute" / f"{stem}.ipynb", 4) for stem in stems}
        figures = {stem: _images(copies[f"{stem}.ipynb"]) for stem in stems}
        _replace_site(work / "html", out)
    warnings = result.get("warnings") or []
    if warnings:
        listed = "\n".join(f"  {w}" for w in warnings)
        raise SiteError(f"Sphinx warned {len(warnings)} time(s); the site is in {out}, but fix these first:\n{listed}")
    return SiteBuild(out=out, chapters=tuple(stems), seconds=time.perf_counter() - start, figures=figures)


def _images(nb: Any) -> int:
    """How many outputs of an executed notebook are images."""
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    return sum(1 for o in outputs if any(mime.startswith("image/") for mime in o.get("data", {})))


def _replace_site(html: Path, out: Path) -> None:
    """Put the new site in ``out``, in place of the one built there before (checked by :func:`_check_out`)."""
    for old in out.iterdir():
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        else:
            old.unlink()
    shutil.copytree(html, out, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".buildinfo", ".doctrees"))
    (out / MARKER).write_text("built by `python3 run.py site`; the next build replaces this folder's contents\n")


def _check_out(out: Path, notebooks: Path) -> Path:
    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise SiteInputError(f"--out must be a folder, and {out} is a file")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise SiteInputError(f"--out {out} cannot be created: {parent} is a file")
            break
    inside = notebooks.resolve()
    if out == inside or inside in out.parents:
        raise SiteInputError(f"--out {out} is inside the notebooks folder; choose a folder outside {inside}")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise SiteInputError(
            f"--out {out} is a folder with other files in it, and not a site built before (it would be replaced); "
            "choose an empty or a new folder"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SiteInputError(f"--out {out} cannot be created: {exc.strerror or exc}") from None
    return out


# -- staging ---------------------------------------------------------------------------------------------------


def stage(
    notebooks: list[Path], source: Path, *, execute_in: Path, copies: dict[str, Any] | None, started: str
) -> list[str]:
    """Copy the notebooks into ``source`` with the site's additions, and write the other pages and conf.py.

    ``copies``: executed copies by file name, to stage instead of the notebooks, and execute none. ``started``:
    the errata page shows the figures recorded since then.

    Returns the chapters' stems, in order.
    """
    from ..errata import claims

    anchors: dict[tuple[str, str], list[Claim]] = {}
    for claim in claims(execute_in):
        anchors.setdefault((claim.notebook, claim.cell_id), []).append(claim)
    stems = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4) if copies is None else copies[path.name]
        placed = prepare(nb, path.stem, anchors, execute_in)
        missing = sorted(cell_id for (stem, cell_id) in anchors if stem == path.stem and cell_id not in placed)
        if missing:
            raise SiteError(
                f"{path.name}: the seed claims name cells that it no longer has (cell ids {', '.join(missing)}); "
                "see course_app/errata.py"
            )
        nbformat.write(nb, source / path.name)
        stems.append(path.stem)
    unknown = sorted({stem for stem, _ in anchors} - set(stems))
    if unknown:
        raise SiteError(f"seed claims name notebooks that do not exist: {', '.join(unknown)}")
    (source / "index.md").write_text(index_page(stems), encoding="utf-8")
    (source / "guide.md").write_text(guide_page(), encoding="utf-8")
    (source / "errata.md").write_text("# Errata\n\n(written while the site is built, after the chapters ran)\n")
    (source / "_static").mkdir()
    (source / "_static" / "course.css").write_text(CSS, encoding="utf-8")
    (source / "conf.py").write_text(conf_py(started, execute_in, execute=copies is None), encoding="utf-8")
    return stems


def prepare(nb: Any, stem: str, anchors: dict[tuple[str, str], list[Claim]], execute_in: Path) -> set[str]:
    """Add to ``nb`` what the site needs; returns the ids of the cells that got a seed-claim anchor.

    * a first, hidden cell that moves the kernel into ``execute_in``: notebooks run from ``notebooks/``,
      as under nbval, and not from the staging folder;
    * before every cell that tests a seed claim, an HTML anchor ``seed-<claim id>`` for the errata's links, which
      also says, in one small line, which claim the cell tests and its verdict;
    * every cell with a solution folded (``hide-input``), for a reader to open.
    """
    cells = [_setup_cell(execute_in)]
    placed = set()
    for cell in nb.cells:
        for claim in anchors.get((stem, cell.get("id", "")), []):
            anchor = nbformat.v4.new_markdown_cell(anchor_html(claim))
            anchor.id = f"seed-{claim.id}"[:64]
            cells.append(anchor)
            placed.add(cell.get("id", ""))
        if cell.cell_type == "code" and has_solution(cell.source):
            tags = cell.metadata.setdefault("tags", [])
            if "hide-input" not in tags:
                tags.append("hide-input")
            cell.metadata["mystnb"] = {"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}
        cells.append(cell)
    nb.cells = cells
    return placed


def anchor_html(claim: Claim) -> str:
    """The anchor before a claim's cell: the errata link to it, and a reader sees which claim the cell tests."""
    style = "font-size: 0.85em; margin: 1em 0 0.25em; color: var(--pst-color-text-muted)"
    return (
        f'<div id="seed-{escape(claim.id)}" class="seed-anchor" style="{style}">The next cell tests a claim of the '
        f"seed: <em>{escape(_short(claim.words))}</em> (verdict: <strong>{escape(claim.verdict)}</strong>; "
        '<a href="errata.html">all the errata</a>)</div>'
    )


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _setup_cell(execute_in: Path) -> Any:
    cell = nbformat.v4.new_code_cell(f"import os\nos.chdir({str(execute_in.resolve())!r})")
    cell.metadata["tags"] = ["remove-cell"]
    cell.id = SETUP_CELL_ID
    return cell


#: the site's own style: the course's code lines run to 120 characters, so the article takes the room there is
#: (the theme caps it at 60em) and code is set a little smaller; a wider screen gets a wider page
CSS = """\
.bd-page-width { max-width: 110rem; }
.bd-main .bd-content .bd-article-container { max-width: none; }
@media (min-width: 1200px) {
  .bd-main .bd-content .bd-article-container { max-width: calc(100% - var(--pst-sidebar-secondary)); }
}
div.cell div.highlight pre, div.cell_output pre { font-size: 0.78rem; }
table.seed-errata { font-size: 0.9em; }
table.seed-errata td { vertical-align: top; }
"""


def index_page(stems: list[str]) -> str:
    chapters_toc = "\n".join(stems)
    return f"""# FastAPI async patterns

The executable course on async patterns in FastAPI, as a reader sees it. Every chapter starts a **real uvicorn
server** inside the notebook, explains one pattern, fires live clients at it, times blocking against async
handlers, plots what happened and **asserts** it. Every page here was executed while this site was built: the
plots and figures are the ones this build measured.

- The code a chapter teaches is shown from its module, never pasted.
- The solutions of the exercises are folded: try first, then open them.
- [The seed's errata](errata.md) lists every claim of the seed the course tests, with its verdict and a link to
  the cell that measures it; the [instructor guide](guide.md) is for those who teach the course.

To run the course yourself: `python3 run.py lab`.

```{{toctree}}
:caption: Chapters
:maxdepth: 1

{chapters_toc}
```

```{{toctree}}
:caption: Readers and instructors
:maxdepth: 1

errata
guide
```
"""


def guide_page() -> str:
    from ..guide import guide_markdown

    return guide_markdown()


def conf_py(started: str, notebooks: Path, *, execute: bool = True) -> str:
    """The generated Sphinx configuration: plain assignments, nothing imported.

    ``started``: when the build started (as :func:`course_app.state.now` writes it); the errata page shows only
    figures recorded since. ``notebooks``: the folder the chapters come from, where the errata read the claims.
    ``execute``: MyST-NB executes every notebook; without it, it renders the outputs they hold.
    """
    settings: dict[str, Any] = {
        "project": "FastAPI async patterns",
        "author": "the course's authors",
        "copyright": "the course's authors (MIT licence)",
        "language": "en",
        "extensions": ["myst_nb", "course_app.site.extension"],
        "exclude_patterns": ["_build", "**.ipynb_checkpoints"],
        "html_theme": "sphinx_book_theme",
        "html_title": "FastAPI async patterns",
        "html_theme_options": {
            "home_page_in_toc": True,
            "show_navbar_depth": 1,
            "show_toc_level": 2,
            "use_download_button": False,
            "use_fullscreen_button": False,
        },
        # the theme reads its colour mode from here; unset, every page logs an error in the browser's console
        "html_context": {"default_mode": "auto"},
        "html_static_path": ["_static"],
        "html_css_files": ["course.css"],
        "html_show_sourcelink": False,
        "html_copy_source": False,
        "myst_enable_extensions": ["colon_fence"],
        # MyST-NB executes every notebook, every build, in the order the extension reads them (or none: copies
        # that ran already)
        "nb_execution_mode": "force" if execute else "off",
        "nb_execution_raise_on_error": True,
        "nb_execution_show_tb": True,
        "nb_execution_timeout": CELL_TIMEOUT,
        "nb_execution_in_temp": False,
        "nb_merge_streams": True,
        # a progress bar (an ipywidget) means nothing on a static page, and its scripts would come from a CDN:
        # without them its output shows nothing, and every page loads offline
        "nb_ipywidgets_js": {},
        "course_site_started": started,
        "course_site_notebooks": str(notebooks.resolve()),
    }
    lines = ['"""Generated by course_app.site for one build; edit course_app/site/__init__.py instead."""', ""]
    lines += [f"{name} = {value!r}" for name, value in settings.items()]
    return "\n".join(lines) + "\n"


# -- running Sphinx --------------------------------------------------------------------------------------------


def _run_sphinx(source: Path, out: Path, doctrees: Path, result: Path) -> dict[str, Any]:
    """Run Sphinx in a child process (its global state and warnings stay there); returns what it reported."""
    # The kernel of this environment first (not a user-wide "python3"), its own plotting backend (inline), and
    # the errata's figures recorded (the errata page shows them), never the exercises' progress: the build runs
    # the solutions, and an instructor's build must not mark their exercises as passed.
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env |= {"JUPYTER_PREFER_ENV_PATH": "1", "COURSE_RECORD": "errata"}
    cmd = [sys.executable, "-m", "course_app.site._sphinx", str(source), str(out), str(doctrees), str(result)]
    with subprocess.Popen(cmd, env=env) as proc:
        try:
            code = proc.wait(timeout=BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            _stop(proc)
            raise SiteError(f"the build took over {BUILD_TIMEOUT} s and was stopped") from None
        except BaseException:  # Ctrl-C, or SIGTERM (the CLI turns it into KeyboardInterrupt): no orphan build
            _stop(proc)
            raise
    if not result.exists():
        return {"ok": False, "message": f"Sphinx stopped (exit status {code}) before it could report; see above"}
    reported: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    return reported


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the Sphinx process by its handle: SIGTERM lets it shut its notebook's kernel down, then SIGKILL."""
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _execution_message(error: dict[str, Any], notebooks: Path) -> str:
    """'notebooks/01_x.ipynb, cell 12 (id ab12cd34): AssertionError: ...' and the end of the traceback."""
    staged = Path(str(error.get("notebook", "")))
    name = staged.name or "a notebook"
    where = f"{notebooks.name}/{name}"
    text = _ANSI.sub("", str(error.get("text", "")))
    cell = _failing_cell(notebooks / name, text) if name.endswith(".ipynb") else None
    if cell is not None:
        where += f", cell {cell[0]} (id {cell[1]})"
    what = str(error.get("summary", "")).strip() or "the notebook failed"
    tail = "\n".join(line for line in text.strip().splitlines()[-12:])
    return f"{where} failed while the site was built: {what}\n\n{tail}"


def _failing_cell(path: Path, text: str) -> tuple[int, str] | None:
    """The code cell (its index in the notebook, its id) whose source the error message quotes."""
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return None
    best: tuple[int, int, str] | None = None
    for index, cell in enumerate(nb.cells):
        source = cell.source.strip()
        if cell.cell_type != "code" or not source:
            continue
        quoted = source in text or "\n".join(source.splitlines()[:5]) in text  # a timeout quotes the first lines
        if quoted and (best is None or len(source) > best[0]):
            best = (len(source), index, str(cell.get("id", "?")))
    return None if best is None else (best[1], best[2])
