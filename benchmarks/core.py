"""What every figure group shares: the plan, rows and figures, sampling, the load client, the report.

A figure group (a ``bench_*.py`` module, see :mod:`benchmarks.runner`) describes
each of its rows with a :class:`Row`, samples with :func:`take_samples` (warm-ups,
a count and a time budget) inside :func:`measure_rows` (a failure becomes an error
row instead of ending the run), and returns :class:`Figure` objects.
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any, Literal, TypeVar

from course_app.loadgen import Engine, LoadResult, load
from course_app.server import LiveServer

__all__ = [
    "FULL",
    "RAW",
    "REQUEST_TIMEOUT_S",
    "SMOKE",
    "Client",
    "Figure",
    "Measured",
    "Mode",
    "Plan",
    "Row",
    "Target",
    "cut_off",
    "elapsed_ms",
    "environment",
    "jsonable",
    "measure_rows",
    "own_postgres_unavailable",
    "render_table",
    "report",
    "rounded",
    "run_load",
    "spread",
    "take_samples",
]

REQUEST_TIMEOUT_S = 10.0  # one request of load()
T = TypeVar("T")
PACKAGES = ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "httpx", "httpcore", "aiohttp")


# -- how much is measured --------------------------------------------------------------

Mode = Literal["full", "smoke"]


@dataclass(frozen=True)
class Plan:
    """How much to measure, for every group: the full pass or the smoke pass.

    A group's own counts (sizes, repeats, rounds) live in its module, as ``SETTINGS``
    with one entry per :data:`Mode`; the runner reports them in the JSON ``plan``.
    """

    mode: Mode
    warmups: int = 1  # discarded runs before each figure's samples
    row_budget_s: float = 10.0  # a figure stops sampling (after one kept sample at least) once this is spent

    def __post_init__(self) -> None:
        if self.warmups < 0 or not self.row_budget_s > 0:
            raise ValueError(f"a plan needs warmups >= 0 and a positive row budget: {self}")


FULL = Plan("full")
SMOKE = Plan("smoke", warmups=0, row_budget_s=3.0)


# -- rows and figures ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A bound a figure should meet, e.g. ``<= 1.05``."""

    op: Literal["<=", ">="]
    limit: float

    def met_by(self, value: float) -> bool:
        return value <= self.limit if self.op == "<=" else value >= self.limit

    def __str__(self) -> str:
        return f"{self.op} {self.limit:g}"


@dataclass(frozen=True)
class Row:
    """What a figure is, before it is measured. Its id starts with its group's id: ``P1.harness.n100``."""

    id: str
    name: str
    unit: str
    target: Target | None = None
    zero_ok: bool = False  # a growth that can truly be nothing (memory pages reused); other figures must be > 0

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    def measured(self, value: float, details: dict[str, Any], note: str) -> Figure:
        if not math.isfinite(value) or value < 0 or (value == 0 and not self.zero_ok):
            return self.failed(f"the measurement gave {value!r}, not a positive finite number", details)
        return Figure(self, value, details, note)

    def failed(self, error: str, details: dict[str, Any] | None = None) -> Figure:
        return Figure(self, None, details or {}, error, error=error)

    def skipped(self, reason: str) -> Figure:
        return Figure(self, None, {"skipped": reason}, reason)


@dataclass(frozen=True)
class Figure:
    """A measured row: its value, the samples behind it, and how it compares to its target."""

    row: Row
    value: float | None
    details: dict[str, Any] = field(default_factory=dict)
    note: str = ""  # one line for the table
    error: str | None = None

    @property
    def status(self) -> Literal["pass", "fail", "info", "skip", "error"]:
        if self.error is not None:
            return "error"
        if self.value is None:
            return "skip"
        if self.row.target is None:
            return "info"
        return "pass" if self.row.target.met_by(self.value) else "fail"

    def to_json(self) -> dict[str, Any]:
        target = self.row.target
        return {
            "id": self.row.id,
            "group": self.row.group,
            "name": self.row.name,
            "value": None if self.value is None else round(self.value, 6),
            "unit": self.row.unit,
            "zero_ok": self.row.zero_ok,  # whether 0 is a true measurement here (memory pages reused)
            "target": None if target is None else {"op": target.op, "value": target.limit},
            "status": self.status,
            "passed": {"pass": True, "fail": False}.get(self.status),
            "note": self.note,
            "details": self.details,
        }


Measured = tuple[float, dict[str, Any], str]  # value, details, note


def measure_rows(rows: Sequence[Row], measure: Callable[[], Sequence[Measured]]) -> list[Figure]:
    """Measure ``rows`` together; a failure marks them as errors instead of ending the run."""
    try:
        results = measure()
    except Exception as exc:  # one measurement's failure must not hide the other figures
        return [row.failed(f"{type(exc).__name__}: {exc}", {"traceback": traceback.format_exc()}) for row in rows]
    return [row.measured(*result) for row, result in zip(rows, results, strict=True)]


def own_postgres_unavailable() -> str | None:
    """Why the course cannot start a PostgreSQL of its own here (a throw-away server), or None when it can.

    The groups that load a database hard run on a server of their own, never the learner's, even when
    ``DATABASE_URL`` names one; so the question is asked as if it were not set.
    """
    from course_app.db import describe_postgres_options

    saved = os.environ.pop("DATABASE_URL", None)
    try:
        available = describe_postgres_options()
    finally:
        if saved is not None:
            os.environ["DATABASE_URL"] = saved
    return None if available["ok"] else f"no PostgreSQL the course can start: {available['error']}"


# -- sampling --------------------------------------------------------------------------


def take_samples(sample: Callable[[], T], *, warmups: int, count: int, budget_s: float) -> list[T]:
    """``warmups`` discarded calls, then up to ``count`` kept ones.

    Sampling stops early, after one kept sample at least, once ``budget_s`` (warm-ups
    included) is spent: a slow engine gets fewer repeats instead of a longer run.
    """
    deadline = time.monotonic() + budget_s
    for _ in range(warmups):
        sample()
    values: list[T] = []
    while len(values) < count and (not values or time.monotonic() < deadline):
        values.append(sample())
    return values


def rounded(values: Sequence[float], digits: int = 4) -> list[float]:
    return [round(v, digits) for v in values]


def spread(values: Sequence[float], digits: int) -> str:
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}"


def elapsed_ms(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


# -- the load client -------------------------------------------------------------------


@dataclass(frozen=True)
class Client:
    """An engine of :func:`course_app.loadgen.load` and whether its connections are opened before the clock."""

    key: str
    engine: Engine
    warm: bool = True


RAW = Client("raw", "raw")


def run_load(srv: LiveServer, path: str, client: Client, *, n: int, concurrency: int, max_seconds: float) -> LoadResult:
    """One bounded ``load()`` run from this thread's own asyncio loop, as a notebook runs it."""
    return asyncio.run(
        load(
            srv,
            path,
            n=n,
            concurrency=concurrency,
            engine=client.engine,
            warm=client.warm,
            timeout=REQUEST_TIMEOUT_S,
            max_seconds=max_seconds,
            progress=False,
        )
    )


def cut_off(result: LoadResult) -> int:
    """Requests that load()'s ``max_seconds`` cut off: never sent, or still in flight at the deadline."""
    return sum(r.unfinished for r in result.records)


# -- the report ------------------------------------------------------------------------


def environment() -> dict[str, Any]:
    """The machine and the package versions. Taken before the run: the load average then is the other tenants'."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "packages": {name: _version(name) for name in PACKAGES},
        "client_loop": "asyncio (default policy)",
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def report(
    plan: Plan,
    settings: Mapping[str, Any],
    env: Mapping[str, Any],
    figures: Sequence[Figure],
    elapsed: Mapping[str, float],
) -> dict[str, Any]:
    """The JSON document; ``settings`` holds the groups' own counts, flattened (``p1_sizes``)."""
    return {
        "schema": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": plan.mode,
        "plan": {**{k: v for k, v in vars(plan).items() if k != "mode"}, **settings},
        "environment": dict(env),
        "elapsed_s": {"total": round(sum(elapsed.values()), 2), **elapsed},
        "figures": [f.to_json() for f in figures],
    }


def jsonable(value: Any) -> Any:
    """``value`` with every NaN or infinity (say, the rate of a run that served nothing) as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def render_table(figures: Sequence[Figure]) -> str:
    header = ("id", "name", "value", "unit", "target", "result", "notes")
    lines = [header] + [
        (
            f.row.id,
            f.row.name,
            "-" if f.value is None else f"{f.value:.4g}",
            f.row.unit,
            str(f.row.target or "-"),
            f.status.upper() if f.status in ("fail", "error") else f.status,
            f.note,
        )
        for f in figures
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    aligned = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=False)) + "  " + line[-1] for line in lines
    ]
    return "\n".join(aligned)
