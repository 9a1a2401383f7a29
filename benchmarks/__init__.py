"""Performance figures of the course harness: ``python -m benchmarks``.

These are measurements, not tests. Each figure is a number with a unit, an
optional target and the raw samples it came from; missing a target is reported,
never raised. Timing targets live here and nowhere in the test suite.

* **P1 fidelity**: measured ÷ ideal wall time of N concurrent
  ``await asyncio.sleep(0.2)`` requests, against the pure-ASGI harness app
  (client + uvicorn alone) and the FastAPI route (plus FastAPI's dispatch), and
  for comparison with the httpx and aiohttp engines.
* **P3 start plus stop**: ``LiveServer(app).start()`` + ``.stop()``, against
  plain ``uvicorn.Server`` run in a thread.
* **P4 throughput**: requests/s of :func:`course_app.loadgen` ÷ requests/s of
  ``wrk`` on the same endpoint of the same in-thread server.

See ``benchmarks/README.md`` for the method and how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, TypeVar

import uvicorn

from course_app.calibration_app import app as fastapi_app
from course_app.calibration_app import asgi_app as harness_app
from course_app.loadgen import Engine, LoadResult, ideal_async, load, nearest_rank
from course_app.server import LiveServer

__all__ = [
    "FULL",
    "GROUPS",
    "SMOKE",
    "Figure",
    "Plan",
    "Row",
    "Target",
    "WrkResult",
    "main",
    "parse_wrk",
    "run",
]

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"
WRK_EXECUTABLE = "wrk"
WRK_MISSING = "wrk is not installed (install wrk: apt-get install wrk)"

SLEEP_S = 0.2  # P1: each request sleeps this long; N concurrent ones ideally take exactly this long
NOOP_PATH = "/noop"  # P4: the cheapest FastAPI route
REQUEST_TIMEOUT_S = 10.0  # one request
RUN_LIMIT_S = 15.0  # one load() run (P1)
SERVER_TIMEOUT_S = 10.0  # plain uvicorn: start, then stop (P3)
WRK_GRACE_S = 10.0  # wrk gets its duration plus this before it is killed
T = TypeVar("T")
PACKAGES = ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "httpx", "httpcore", "aiohttp")


# -- what is measured and how much ---------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How much to measure: the full pass or the smoke pass."""

    mode: str
    warmups: int = 1  # discarded runs before each figure's samples
    p1_sizes: tuple[int, ...] = (100, 500)
    p1_repeats: int = 5
    p1_compare_n: int = 100
    p1_compare_repeats: int = 3
    p3_cycles: int = 20
    p4_concurrencies: tuple[int, ...] = (10, 50)
    p4_rounds: int = 3  # interleaved rounds of wrk then each client; the median ratio is kept
    p4_wrk_seconds: int = 2
    p4_client_seconds: float = 0.4
    row_budget_s: float = 10.0  # a figure stops sampling (after one kept sample at least) once this is spent

    def __post_init__(self) -> None:
        counts = (
            self.p1_repeats,
            self.p1_compare_n,
            self.p1_compare_repeats,
            self.p3_cycles,
            self.p4_rounds,
            self.p4_wrk_seconds,
        )
        if self.warmups < 0 or min(counts) < 1 or not (self.p1_sizes and self.p4_concurrencies):
            raise ValueError(f"a plan needs positive counts and sizes: {self}")
        if not 0 < self.p4_client_seconds < REQUEST_TIMEOUT_S:
            raise ValueError("p4_client_seconds must be below REQUEST_TIMEOUT_S (see _cut_off)")


FULL = Plan("full")
SMOKE = Plan(
    "smoke",
    warmups=0,
    p1_repeats=1,
    p1_compare_n=20,
    p1_compare_repeats=1,
    p3_cycles=3,
    p4_rounds=1,
    p4_wrk_seconds=1,
    p4_client_seconds=0.25,
    row_budget_s=3.0,
)


@dataclass(frozen=True)
class Target:
    """A bound a figure should meet, e.g. ``<= 1.05``."""

    op: Literal["<=", ">="]
    limit: float

    def met_by(self, value: float) -> bool:
        return value <= self.limit if self.op == "<=" else value >= self.limit

    def __str__(self) -> str:
        return f"{self.op} {self.limit:g}"


P1_TARGETS: dict[int, Target] = {100: Target("<=", 1.05), 500: Target("<=", 1.5)}
P3_TARGET = Target("<=", 50.0)
P4_TARGET = Target(">=", 0.5)


@dataclass(frozen=True)
class Row:
    """What a figure is, before it is measured."""

    id: str
    name: str
    unit: str
    target: Target | None = None

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    def measured(self, value: float, details: dict[str, Any], note: str) -> Figure:
        if not math.isfinite(value) or value <= 0:
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
            "target": None if target is None else {"op": target.op, "value": target.limit},
            "status": self.status,
            "passed": {"pass": True, "fail": False}.get(self.status),
            "note": self.note,
            "details": self.details,
        }


Measured = tuple[float, dict[str, Any], str]  # value, details, note


def _measure(rows: Sequence[Row], measure: Callable[[], Sequence[Measured]]) -> list[Figure]:
    """Measure ``rows`` together; a failure marks them as errors instead of ending the run."""
    try:
        results = measure()
    except Exception as exc:  # one measurement's failure must not hide the other figures
        return [row.failed(f"{type(exc).__name__}: {exc}", {"traceback": traceback.format_exc()}) for row in rows]
    return [row.measured(*result) for row, result in zip(rows, results, strict=True)]


# -- sampling helpers ------------------------------------------------------------------


def _samples(sample: Callable[[], T], *, warmups: int, count: int, budget_s: float) -> list[T]:
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


def _rounded(values: Sequence[float], digits: int = 4) -> list[float]:
    return [round(v, digits) for v in values]


def _spread(values: Sequence[float], digits: int) -> str:
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}"


def _elapsed_ms(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


# -- clients and servers ---------------------------------------------------------------


@dataclass(frozen=True)
class Client:
    """An engine of :func:`course_app.loadgen` and whether its connections are opened before the clock."""

    key: str
    engine: Engine
    warm: bool = True


@dataclass(frozen=True)
class Server:
    key: str
    label: str
    app: Any


RAW = Client("raw", "raw")
SERVERS = (
    Server("harness", "pure-ASGI harness app", harness_app),
    Server("fastapi", "FastAPI route", fastapi_app),
)
P1_COMPARED_ON = "fastapi"  # chapter 00 compares the engines on a FastAPI route too
P1_COMPARED = (Client("httpx-cold", "httpx", warm=False), Client("httpx-warm", "httpx"), Client("aiohttp", "aiohttp"))
P4_CLIENTS = (RAW, Client("aiohttp", "aiohttp"), Client("httpx", "httpx"))


def _run_load(
    srv: LiveServer, path: str, client: Client, *, n: int, concurrency: int, max_seconds: float
) -> LoadResult:
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


def _cut_off(result: LoadResult) -> int:
    """Requests that load()'s ``max_seconds`` cut off: never sent, or still in flight at the deadline."""
    return sum(r.unfinished for r in result.records)


# -- P1 fidelity -----------------------------------------------------------------------


def fidelity(plan: Plan) -> list[Figure]:
    """P1: wall time of N concurrent sleep(0.2) requests over the ideal 0.2 s."""
    figures: list[Figure] = []
    for server in SERVERS:
        with LiveServer(server.app, name=f"benchmark-{server.key}") as srv:
            for client, n, repeats in _fidelity_rows(server, plan):
                measure = functools.partial(_fidelity, srv, server, client, n, repeats, plan)
                figures += _measure([_fidelity_row(server, client, n)], measure)
    return figures


def _fidelity_rows(server: Server, plan: Plan) -> list[tuple[Client, int, int]]:
    """(client, N, repeats) of each figure measured against ``server``."""
    rows = [(RAW, n, plan.p1_repeats) for n in plan.p1_sizes]
    if server.key == P1_COMPARED_ON:
        rows += [(client, plan.p1_compare_n, plan.p1_compare_repeats) for client in P1_COMPARED]
    return rows


def _fidelity_row(server: Server, client: Client, n: int) -> Row:
    name = f"fidelity, {server.label}, {client.key}, N={n}"
    if client is RAW:
        # The targets bound the harness (client + uvicorn). On the FastAPI route the same
        # figure adds FastAPI's own dispatch cost per request: reported, not targeted.
        target = P1_TARGETS.get(n) if server.key == "harness" else None
        return Row(f"P1.{server.key}.n{n}", name, "x ideal", target)
    return Row(f"P1.{server.key}.{client.key}", name, "x ideal")


def _fidelity(srv: LiveServer, server: Server, client: Client, n: int, repeats: int, plan: Plan) -> list[Measured]:
    ideal = ideal_async(n, SLEEP_S)
    ratios = _samples(
        lambda: _sleep_wall(srv, client, n) / ideal, warmups=plan.warmups, count=repeats, budget_s=plan.row_budget_s
    )
    details = {
        "server": server.label,
        "engine": client.engine,
        "warm": client.warm,
        "n": n,
        "sleep_s": SLEEP_S,
        "ideal_s": ideal,
        "warmups": plan.warmups,
        "repeats": len(ratios),
        "statistic": "median",
        "samples": _rounded(ratios),
    }
    note = f"median of {len(ratios)}: {_spread(ratios, 3)}"
    return [(statistics.median(ratios), details, note)]


def _sleep_wall(srv: LiveServer, client: Client, n: int) -> float:
    result = _run_load(srv, f"/sleep?t={SLEEP_S:g}", client, n=n, concurrency=n, max_seconds=RUN_LIMIT_S)
    if result.failed:
        raise RuntimeError(f"{result.failed} of {n} sleep requests failed: {dict(result.statuses)}")
    return result.wall


# -- P3 start plus stop ----------------------------------------------------------------


def start_stop(plan: Plan) -> list[Figure]:
    """P3: one start plus one stop of a FastAPI app, LiveServer against plain uvicorn."""
    cycles: tuple[tuple[str, str, Callable[[], None], Target | None], ...] = (
        ("liveserver", "LiveServer start+stop", _liveserver_cycle, P3_TARGET),
        ("uvicorn", "plain uvicorn.Server in a thread, start+stop", _uvicorn_cycle, None),
    )
    figures: list[Figure] = []
    for key, label, cycle, target in cycles:
        rows = [Row(f"P3.{key}.{stat}", f"{label}, {stat}", "ms", target) for stat in ("median", "p90")]
        figures += _measure(rows, functools.partial(_start_stop, cycle, plan))
    return figures


def _start_stop(cycle: Callable[[], None], plan: Plan) -> list[Measured]:
    times = _samples(lambda: _elapsed_ms(cycle), warmups=plan.warmups, count=plan.p3_cycles, budget_s=plan.row_budget_s)
    details = {"app": "course_app.calibration_app:app", "warmups": plan.warmups, "cycles": len(times)}
    note = f"{len(times)} cycles: {_spread(times, 1)} ms"
    return [
        (statistics.median(times), {**details, "statistic": "median", "samples_ms": _rounded(times, 2)}, note),
        (nearest_rank(sorted(times), 90), {**details, "statistic": "p90", "samples_ms": _rounded(times, 2)}, note),
    ]


def _liveserver_cycle() -> None:
    with LiveServer(fastapi_app, name="benchmark-start-stop"):
        pass


def _uvicorn_cycle() -> None:
    """uvicorn as documented: ``server.run()`` in a thread, stopped with ``should_exit``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(fastapi_app, log_level="warning", access_log=False, lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="benchmark-uvicorn", daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + SERVER_TIMEOUT_S
            while not server.started and thread.is_alive() and time.monotonic() < deadline:
                time.sleep(0.001)  # the same poll as LiveServer.start()
            if not server.started:
                raise RuntimeError(f"plain uvicorn did not start within {SERVER_TIMEOUT_S:g} s")
        finally:
            server.should_exit = True
            thread.join(SERVER_TIMEOUT_S)
        if thread.is_alive():
            raise RuntimeError(f"plain uvicorn did not stop within {SERVER_TIMEOUT_S:g} s")
    finally:
        sock.close()


# -- P4 throughput against wrk ---------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    rps: float
    requests: int | None = None
    non_2xx: int = 0
    socket_errors: int = 0


_WRK_RPS = re.compile(r"^\s*Requests/sec:\s*([0-9]+(?:\.[0-9]+)?)\s*$", re.MULTILINE)
_WRK_REQUESTS = re.compile(r"^\s*([0-9]+) requests in ", re.MULTILINE)
_WRK_NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses:\s*([0-9]+)", re.MULTILINE)
_WRK_SOCKET_ERRORS = re.compile(r"^\s*Socket errors:(.*)$", re.MULTILINE)


def parse_wrk(output: str) -> WrkResult:
    """The figures of wrk's report. Raises ValueError when it has no ``Requests/sec`` line."""
    rps = _WRK_RPS.search(output)
    if rps is None:
        raise ValueError(f"no 'Requests/sec:' line in wrk's output: {output.strip()[:500]!r}")
    requests = _WRK_REQUESTS.search(output)
    non_2xx = _WRK_NON_2XX.search(output)
    socket_errors = _WRK_SOCKET_ERRORS.search(output)
    return WrkResult(
        rps=float(rps.group(1)),
        requests=int(requests.group(1)) if requests else None,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(map(int, re.findall(r"[0-9]+", socket_errors.group(1)))) if socket_errors else 0,
    )


def run_wrk(executable: str, url: str, connections: int, seconds: int) -> WrkResult:
    command = [executable, "-t1", f"-c{connections}", f"-d{seconds}s", url]
    limit = seconds + WRK_GRACE_S
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"wrk did not finish within {limit:g} s: {' '.join(command)}") from exc
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with status {done.returncode}: {(done.stderr or done.stdout).strip()[:500]}")
    return parse_wrk(done.stdout)


def throughput(plan: Plan) -> list[Figure]:
    """P4: requests/s of each load() engine over wrk's, same endpoint, same in-thread server."""
    rows = {
        c: [
            Row(
                f"P4.{client.key}.c{c}",
                f"throughput vs wrk, {client.key}, C={c}",
                "x wrk",
                P4_TARGET if client is RAW else None,
            )
            for client in P4_CLIENTS
        ]
        for c in plan.p4_concurrencies
    }
    wrk = shutil.which(WRK_EXECUTABLE)
    if wrk is None:
        return [row.skipped(WRK_MISSING) for group in rows.values() for row in group]
    figures: list[Figure] = []
    with LiveServer(fastapi_app, name="benchmark-throughput") as srv:
        for c, group in rows.items():
            figures += _measure(group, functools.partial(_throughput, srv, wrk, c, plan))
    return figures


def _throughput(srv: LiveServer, wrk: str, concurrency: int, plan: Plan) -> list[Measured]:
    rounds = _samples(
        functools.partial(_throughput_round, srv, wrk, concurrency, plan),
        warmups=0,  # wrk's first run warms the server; load() opens each client's connections before its clock
        count=plan.p4_rounds,
        budget_s=plan.row_budget_s,
    )
    wrk_rps = [reference.rps for reference, _ in rounds]
    wrk_errors = sum(reference.non_2xx + reference.socket_errors for reference, _ in rounds)
    measured: list[Measured] = []
    for i, client in enumerate(P4_CLIENTS):
        results = [by_client[i] for _, by_client in rounds]
        client_rps = [result.throughput for result in results]
        ratios = [rps / reference for rps, reference in zip(client_rps, wrk_rps, strict=True)]
        errors = sum(result.failed - _cut_off(result) for result in results)
        details = {
            "endpoint": f"FastAPI {NOOP_PATH}",
            "engine": client.engine,
            "warm": client.warm,
            "concurrency": concurrency,
            "rounds": len(rounds),
            "statistic": "median",
            "samples": _rounded(ratios),
            "client_rps": _rounded(client_rps, 1),
            "client_seconds": plan.p4_client_seconds,
            "n": [result.n for result in results],
            "ok": [result.ok for result in results],
            "cut_off": [_cut_off(result) for result in results],
            "errors": errors,
            "wrk_rps": wrk_rps,
            "wrk_errors": wrk_errors,
            "wrk_command": f"wrk -t1 -c{concurrency} -d{plan.p4_wrk_seconds}s",
        }
        note = f"median of {len(rounds)}: {statistics.median(client_rps):.0f} vs wrk {statistics.median(wrk_rps):.0f} req/s"
        if errors or wrk_errors:
            note += f" ({errors} client errors, {wrk_errors} wrk errors)"
        measured.append((statistics.median(ratios), details, note))
    return measured


def _throughput_round(srv: LiveServer, wrk: str, concurrency: int, plan: Plan) -> tuple[WrkResult, list[LoadResult]]:
    """wrk, then each client right after it: a burst of noise on the machine hits one round, not one side."""
    reference = run_wrk(wrk, srv.url + NOOP_PATH, concurrency, plan.p4_wrk_seconds)
    # Each client runs for p4_client_seconds, or until it has sent what wrk served in that time.
    n = max(concurrency, math.ceil(reference.rps * plan.p4_client_seconds))
    return reference, [
        _run_load(srv, NOOP_PATH, client, n=n, concurrency=concurrency, max_seconds=plan.p4_client_seconds)
        for client in P4_CLIENTS
    ]


# -- the run ---------------------------------------------------------------------------

# -- L learners' time ---------------------------------------------------------------

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
L_TOTAL_TARGET = Target("<=", 60.0)  # each notebook executes in under a minute
L_CELL_TARGET = Target("<=", 20.0)  # no cell runs longer than 20 s


def learner_time(plan: Plan) -> list[Figure]:
    """L: each notebook's execution time and its slowest cell, kernel start excluded."""
    figures: list[Figure] = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        rows = [
            Row(f"L.{path.stem}.total", f"{path.name}, whole notebook", "s", L_TOTAL_TARGET),
            Row(f"L.{path.stem}.slowest-cell", f"{path.name}, slowest cell", "s", L_CELL_TARGET),
        ]
        figures += _measure(rows, functools.partial(_notebook_times, path))
    return figures


def _notebook_times(path: Path) -> list[Measured]:
    import nbformat

    from course_app.execute import execute

    nb = nbformat.read(path, as_version=4)
    seconds = execute(nb, path.parent)
    where = max(seconds, key=seconds.__getitem__)
    first_line = nb.cells[where].source.strip().splitlines()[0][:60]
    return [
        (
            sum(seconds.values()),
            {"code_cells": len(seconds), "seconds_per_cell": [round(s, 3) for s in seconds.values()]},
            f"{len(seconds)} code cells",
        ),
        (seconds[where], {"cell": where, "first_line": first_line}, f"cell {where}: {first_line}"),
    ]


GROUPS: dict[str, tuple[str, Callable[[Plan], list[Figure]]]] = {
    "P1": ("fidelity", fidelity),
    "P3": ("server start plus stop", start_stop),
    "P4": ("load-client throughput against wrk", throughput),
    "L": ("learners' time: every notebook, executed", learner_time),
}
SMOKE_GROUPS = ("P1", "P3", "P4")  # the tests already execute every notebook


def run(plan: Plan, groups: Sequence[str] = tuple(GROUPS)) -> tuple[list[Figure], dict[str, float]]:
    """Measure ``groups``; return the figures and each group's seconds. A crashed group becomes an error row."""
    figures: list[Figure] = []
    elapsed: dict[str, float] = {}
    for group in groups:
        title, measure = GROUPS[group]
        print(f"{group} {title} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            figures += measure(plan)
        except Exception as exc:
            crash = Row(group, f"{title}: the group crashed", "")
            figures.append(crash.failed(f"{type(exc).__name__}: {exc}", {"traceback": traceback.format_exc()}))
        elapsed[group] = round(time.perf_counter() - start, 2)
    return figures, elapsed


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "packages": {name: _version(name) for name in PACKAGES},
        "wrk": shutil.which(WRK_EXECUTABLE),
        "client_loop": "asyncio (default policy)",
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def report(plan: Plan, env: dict[str, Any], figures: Sequence[Figure], elapsed: dict[str, float]) -> dict[str, Any]:
    return {
        "schema": 1,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "mode": plan.mode,
        "plan": {k: v for k, v in vars(plan).items() if k != "mode"},
        "environment": env,
        "elapsed_s": {"total": round(sum(elapsed.values()), 2), **elapsed},
        "figures": [f.to_json() for f in figures],
    }


def _jsonable(value: Any) -> Any:
    """``value`` with every NaN or infinity (say, the rate of a run that served nothing) as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
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


def _groups(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(part.strip().upper() for part in text.split(",") if part.strip()))
    unknown = [g for g in chosen if g not in GROUPS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(GROUPS)}, not {text!r}")
    return chosen


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure the performance figures of the course harness, print a table and write JSON. "
        "Missing a target is reported, not an error: the exit status is non-zero only when a measurement crashed.",
    )
    parser.add_argument("--smoke", action="store_true", help="a tiny, fast pass (CI): fewer repeats, smaller runs")
    parser.add_argument(
        "--only", type=_groups, default=None, metavar="P1,P3", help="figure groups to run (default: all; smoke: no L)"
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, metavar="PATH", help=f"default: {DEFAULT_JSON}")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    plan = SMOKE if args.smoke else FULL
    env = environment()  # before the run: the load average then is the other tenants', not ours
    figures, elapsed = run(plan, args.only or (SMOKE_GROUPS if args.smoke else tuple(GROUPS)))
    path: Path = args.json
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_jsonable(report(plan, env, figures, elapsed)), indent=2, allow_nan=False) + "\n")
    print(render_table(figures))
    print(f"\n{len(figures)} figures, {plan.mode} pass, {sum(elapsed.values()):.1f} s; JSON: {path}")
    return 1 if any(f.status == "error" for f in figures) else 0
