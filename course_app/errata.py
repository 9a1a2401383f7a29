"""The seed's errata, measured: every claim of the seed that a chapter tests, its verdict, and what this machine
measured the last time the cell ran.

A claim lives in the nbformat metadata of the cell that proves it, under ``seed_claim``::

    {"id": "def-blocks-server", "words": "<the seed's words, verbatim>",
     "verdict": "right|wrong|misleading|broken", "measurement": "<one sentence: what the cell measures>"}

(a list of such objects when one cell tests several claims). In a notebook's percent-format twin that is the cell
header: ``# %% seed_claim={"id": ...}``. The cell calls :func:`record` with the figure it just measured, after
its assertions; :func:`last_measurements` reads the figures back, and ``python3 run.py errata`` prints the table.

A cell that uses the seed's code (see :func:`uses_seed`) and asserts something carries a claim, or says why not
under ``seed_claim_exempt`` (a sentence). tests/test_errata.py holds every notebook to both rules.
"""

from __future__ import annotations

import json
import pkgutil
import re
import shutil
import textwrap
import warnings
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .paths import checkout
from .state import CourseStateWarning, read_state, recording, update_state
from .state import now as _now
from .state import when as _when

__all__ = [
    "EXEMPT_KEY",
    "KEY",
    "SEED",
    "VERDICTS",
    "Claim",
    "ErrataError",
    "Measurement",
    "claims",
    "format_markdown",
    "format_table",
    "in_seed",
    "last_measurements",
    "measurements",
    "record",
    "seed_routes",
    "uses_seed",
]

KEY = "seed_claim"
EXEMPT_KEY = "seed_claim_exempt"
VERDICTS = ("right", "wrong", "misleading", "broken")
FIELDS = ("id", "words", "verdict", "measurement")
SEED = Path(__file__).resolve().parent / "seed" / "fastapi-async-patterns.txt"  # the seed, exactly as published
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_NOTEBOOK = re.compile(r"(\d\d)_\w+\.ipynb")
STATE = "errata"  # .course/errata.json


class ErrataError(ValueError):
    """A claim's metadata is invalid; the message names the notebook and the cell."""


@dataclass(frozen=True)
class Claim:
    """One claim of the seed, as the cell that proves it describes it."""

    id: str  # "def-blocks-server"
    chapter: str  # "01"
    notebook: str  # "01_async_vs_sync"
    cell_id: str  # the cell's nbformat id
    words: str  # the seed's words, verbatim
    verdict: str  # one of VERDICTS
    measurement: str  # what the cell measures, in one sentence


@dataclass(frozen=True)
class Measurement:
    """What the claim's cell measured, the last time it ran on this machine."""

    measured: str
    at: str  # ISO 8601, UTC


def default_notebooks() -> Path:
    root = checkout()
    if root is None or not (root / "notebooks").is_dir():
        raise ErrataError("the course's notebooks/ folder was not found: the errata are read from a source checkout")
    return root / "notebooks"


def claims(notebooks_dir: Path | str | None = None) -> list[Claim]:
    """Every seed claim of every ``NN_*.ipynb`` in ``notebooks_dir`` (default: the checkout's), in course order."""
    folder = Path(notebooks_dir) if notebooks_dir is not None else default_notebooks()
    if not folder.is_dir():
        raise ErrataError(f"{folder} is not a folder of notebooks")
    found: list[Claim] = []
    seen: dict[str, Claim] = {}
    for path in sorted(p for p in folder.glob("*.ipynb") if _NOTEBOOK.fullmatch(p.name)):
        stat = path.stat()
        for claim in _claims_of(path, stat.st_mtime_ns, stat.st_size):
            if claim.id in seen:
                other = seen[claim.id]
                raise ErrataError(
                    f"{path.name}, cell {claim.cell_id}: the seed claim id {claim.id!r} is already used by "
                    f"{other.notebook}.ipynb, cell {other.cell_id}; ids must be unique"
                )
            seen[claim.id] = claim
            found.append(claim)
    return found


@cache
def _claims_of(path: Path, mtime_ns: int, size: int) -> tuple[Claim, ...]:  # cached per version of the file
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ErrataError(f"{path.name} cannot be read as a notebook: {exc}") from None
    stem = path.stem
    found = []
    for index, cell in enumerate(nb.get("cells", [])):
        metadata = cell.get("metadata", {})
        if KEY not in metadata:
            continue
        where = f"{path.name}, cell {cell.get('id') or f'#{index}'}"
        if not cell.get("id"):
            raise ErrataError(f"{where}: the cell has no id (nbformat 4.5 or newer gives every cell one)")
        entries = metadata[KEY] if isinstance(metadata[KEY], list) else [metadata[KEY]]
        if not entries:
            raise ErrataError(f"{where}: {KEY} is an empty list")
        for entry in entries:
            found.append(_claim(entry, where, stem, str(cell["id"])))
    return tuple(found)


def _claim(entry: Any, where: str, stem: str, cell_id: str) -> Claim:
    if not isinstance(entry, dict):
        raise ErrataError(f"{where}: {KEY} should be an object with {', '.join(FIELDS)}; it is {entry!r}")
    missing = [f for f in FIELDS if not isinstance(entry.get(f), str) or not entry[f].strip()]
    if missing:
        raise ErrataError(f"{where}: {KEY} {entry.get('id', '')!r} lacks {', '.join(missing)} (each a non-empty text)")
    extra = sorted(set(entry) - set(FIELDS))
    if extra:
        raise ErrataError(f"{where}: {KEY} {entry['id']!r} has unknown fields {extra}; it takes {', '.join(FIELDS)}")
    if not _SLUG.fullmatch(entry["id"]):
        raise ErrataError(f"{where}: the claim id {entry['id']!r} should be a slug: lower-case words joined by -")
    if entry["verdict"] not in VERDICTS:
        raise ErrataError(
            f"{where}: claim {entry['id']!r} has the verdict {entry['verdict']!r}; a verdict is one of "
            f"{', '.join(VERDICTS)}"
        )
    return Claim(
        id=entry["id"],
        chapter=stem[:2],
        notebook=stem,
        cell_id=cell_id,
        words=entry["words"],
        verdict=entry["verdict"],
        measurement=entry["measurement"],
    )


# -- recording, at run time ---------------------------------------------------------------------------------------


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record(claim_id: str, measured: str) -> None:
    """Record what the cell of claim ``claim_id`` just measured, and say it in one line.

    Called by the claim's cell, after its assertions. An id that no notebook declares is an error; a problem
    with the record itself (the course folder, a corrupt file) is a warning, and the cell goes on.
    """
    if not isinstance(claim_id, str):
        raise TypeError(f"record() takes the claim's id as a text, not {type(claim_id).__name__}")
    measured = " ".join(str(measured).split())
    claim = None
    try:
        known = {c.id: c for c in claims()}
    except (ErrataError, OSError) as exc:
        warnings.warn(f"the seed claims could not be read ({exc}); recording {claim_id!r} as is", CourseStateWarning, 2)
    else:
        if claim_id not in known:
            raise ValueError(
                f"no seed claim {claim_id!r} in the notebooks' cell metadata; the claims are: {', '.join(known)}"
            )
        claim = known[claim_id]
    if claim is not None:
        print(
            f"seed claim {claim_id!r} (the seed says: {_short(claim.words)!r}): {claim.verdict} — measured: {measured}"
        )
    else:
        print(f"seed claim {claim_id!r} — measured: {measured}")
    if not recording(STATE):
        return

    def change(data: dict[str, Any]) -> None:
        entries = data.get("claims")
        if not isinstance(entries, dict):
            entries = data["claims"] = {}
        entries[claim_id] = {"measured": measured, "at": _now()}

    try:
        update_state(STATE, change)
    except Exception as exc:  # bookkeeping never breaks a lesson
        warnings.warn(f"could not record seed claim {claim_id!r}: {exc}", CourseStateWarning, 2)


def measurements() -> dict[str, Measurement]:
    """Claim id -> what was measured on this machine the last time its cell ran, and when."""
    entries = read_state(STATE).get("claims")
    found = {}
    for claim_id, entry in (entries if isinstance(entries, dict) else {}).items():
        if isinstance(entry, dict) and isinstance(entry.get("measured"), str):
            found[str(claim_id)] = Measurement(entry["measured"], str(entry.get("at", "")))
    return found


def last_measurements() -> dict[str, str]:
    """Claim id -> the figure recorded the last time its cell ran on this machine."""
    return {claim_id: m.measured for claim_id, m in measurements().items()}


# -- the table ----------------------------------------------------------------------------------------------------


def _rows(notebooks_dir: Path | str | None) -> list[tuple[Claim, Measurement | None]]:
    measured = measurements()
    return [(c, measured.get(c.id)) for c in claims(notebooks_dir)]


def _summary(rows: list[tuple[Claim, Measurement | None]]) -> str:
    verdicts = Counter(c.verdict for c, _ in rows)
    counts = ", ".join(f"{verdicts[v]} {v}" for v in VERDICTS if verdicts[v])
    run = sum(1 for _, m in rows if m is not None)
    return f"{len(rows)} claims of the seed tested ({counts}); {run} measured on this machine"


def format_table(notebooks_dir: Path | str | None = None, width: int | None = None) -> str:
    """The errata as a plain-text table, wrapped to ``width`` (default: the terminal's)."""
    rows = _rows(notebooks_dir)
    width = max(70, width or shutil.get_terminal_size((110, 24)).columns)
    verdict_w, where_w = 10, 17
    rest = width - verdict_w - where_w - 6
    words_w = max(24, rest // 2)
    measured_w = max(20, rest - words_w)
    header = ("claim: the seed says", "verdict", "measured here, last run", "where")
    widths = (words_w, verdict_w, measured_w, where_w)
    intro = (
        "The seed's errata: each claim of the seed that the course tests, its verdict, and the figure its cell "
        "measured the last time it ran here (python3 run.py errata --markdown: the same as a Markdown table)."
    )
    lines = [
        *textwrap.wrap(intro, width),
        "",
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    for claim, m in rows:
        measured = f"{m.measured} ({_when(m.at)})" if m else "not run yet"
        cells = (
            [claim.id, *textwrap.wrap(f"“{claim.words}”", words_w, break_on_hyphens=False)],
            [claim.verdict],
            textwrap.wrap(measured, measured_w, break_on_hyphens=False),
            textwrap.wrap(f"{claim.notebook} cell {claim.cell_id}", where_w),
        )
        for i in range(max(map(len, cells))):
            parts = [(col[i] if i < len(col) else "").ljust(w) for col, w in zip(cells, widths, strict=True)]
            lines.append("  ".join(parts).rstrip())
        lines.append("")
    lines += textwrap.wrap(_summary(rows) if rows else "no claims of the seed are tested yet", width)
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(notebooks_dir: Path | str | None = None) -> str:
    """The errata as a Markdown table (the same rows as :func:`format_table`)."""
    rows = _rows(notebooks_dir)
    lines = [
        "| the seed says | verdict | what the course measures | measured on this machine | where |",
        "|---|---|---|---|---|",
    ]
    for claim, m in rows:
        measured = f"{m.measured} ({_when(m.at)})" if m else "not run yet"
        lines.append(
            f"| “{_md(claim.words)}” | **{claim.verdict}** | {_md(claim.measurement)} | {_md(measured)} "
            f"| `{claim.notebook}` cell `{claim.cell_id}` |"
        )
    lines += ["", _summary(rows)]
    return "\n".join(lines)


# -- what the tests hold every notebook to ------------------------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(text.split())


@cache
def _seed_normal() -> str:
    return _normal(SEED.read_text(encoding="utf-8"))


def in_seed(words: str) -> bool:
    """Whether ``words`` appear in the seed, verbatim once whitespace is normalized."""
    return _normal(words) in _seed_normal()


@cache
def seed_modules() -> frozenset[str]:
    """The chapter modules that hold the seed's code, as written or fixed: by convention, named ``seed_*``."""
    from . import chapters

    names = set()
    for package in chapters.chapters():
        folder = Path(chapters.__file__).parent / package
        names |= {f"{package}.{m.name}" for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("seed_")}
    return frozenset(names)


@cache
def seed_routes() -> frozenset[str]:
    """The seed's route paths that the chapters serve (``/sync``, ``/cpu-intensive``, ...): the paths of the
    ``seed_*`` modules' apps that the seed's text declares (``@app.get('/sync')``), so not ``/ping``."""
    import importlib

    written = set(re.findall(r"@app\.\w+\('([^']+)'", _seed_normal()))
    served = set()
    for name in seed_modules():
        app = importlib.import_module(f"course_app.chapters.{name}").app
        served |= set(app.openapi().get("paths", {}))  # every HTTP route, those of included routers too
    return frozenset(served & written)


def uses_seed(source: str) -> bool:
    """Whether a code cell uses the seed's code: it names a module that holds it (``seed_as_pasted``,
    ``seed_fixed``), or requests one of the seed's routes by a literal path (``"/sync"``, ``"/io-intensive?..."``).
    """
    if any(re.search(rf"\b{name.rpartition('.')[2]}\b", source) for name in seed_modules()):
        return True
    return any(re.search(rf"[\"']{re.escape(route)}[\"'?]", source) for route in seed_routes())
