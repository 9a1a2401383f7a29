"""P4 throughput: requests/s of :func:`course_app.loadgen.load` ÷ requests/s of ``wrk``.

Same endpoint (the cheapest FastAPI route, ``/noop``), same in-thread server.
For each concurrency C, rounds of ``wrk -t1 -cC`` are followed at once by each
engine of ``load()``, which runs for a fraction of a second or until it has sent
as many requests as wrk served in that time; the median of the per-round ratios
is kept, so that a burst of noise from another tenant hits one round rather than
one side of the comparison. A client's rate counts its successful responses over
its wall time. Requests that ``max_seconds`` cut off (never sent, or in flight at
the deadline: ``RequestRecord.unfinished``) are reported as ``cut_off``, not as
errors.

Needs wrk (``apt-get install wrk``); without it every row is skipped with that hint.
"""

from __future__ import annotations

import functools
import math
import re
import shutil
import statistics
import subprocess
from dataclasses import dataclass
from typing import Any

from course_app.calibration_app import app as fastapi_app
from course_app.loadgen import LoadResult
from course_app.server import LiveServer

from .core import (
    RAW,
    Client,
    Figure,
    Measured,
    Mode,
    Plan,
    Row,
    Target,
    cut_off,
    measure_rows,
    rounded,
    run_load,
    take_samples,
)

GROUP = "P4"
TITLE = "load-client throughput against wrk"
ORDER = 40


@dataclass(frozen=True)
class Settings:
    concurrencies: tuple[int, ...] = (10, 50)
    rounds: int = 3  # interleaved rounds of wrk then each client; the median ratio is kept
    wrk_seconds: int = 2
    client_seconds: float = 0.4

    def __post_init__(self) -> None:
        if not self.concurrencies or min(*self.concurrencies, self.rounds, self.wrk_seconds) < 1:
            raise ValueError(f"P4 needs positive concurrencies and counts: {self}")
        if not self.client_seconds > 0:
            raise ValueError(f"P4 needs a positive client_seconds: {self}")


SETTINGS: dict[Mode, Settings] = {
    "full": Settings(),
    "smoke": Settings(rounds=1, wrk_seconds=1, client_seconds=0.25),
}

TARGET = Target(">=", 0.5)
NOOP_PATH = "/noop"  # the cheapest FastAPI route
CLIENTS = (RAW, Client("aiohttp", "aiohttp"), Client("httpx", "httpx"))
WRK_EXECUTABLE = "wrk"
WRK_MISSING = "wrk is not installed (install wrk: apt-get install wrk)"
WRK_GRACE_S = 10.0  # wrk gets its duration plus this before it is killed


def environment() -> dict[str, Any]:
    return {"wrk": shutil.which(WRK_EXECUTABLE)}


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


def measure(plan: Plan) -> list[Figure]:
    """Requests/s of each load() engine over wrk's, same endpoint, same in-thread server."""
    rows = {
        c: [
            Row(
                f"P4.{client.key}.c{c}",
                f"throughput vs wrk, {client.key}, C={c}",
                "x wrk",
                TARGET if client is RAW else None,
            )
            for client in CLIENTS
        ]
        for c in SETTINGS[plan.mode].concurrencies
    }
    wrk = shutil.which(WRK_EXECUTABLE)
    if wrk is None:
        return [row.skipped(WRK_MISSING) for group in rows.values() for row in group]
    figures: list[Figure] = []
    with LiveServer(fastapi_app, name="benchmark-throughput") as srv:
        for c, group in rows.items():
            figures += measure_rows(group, functools.partial(_throughput, srv, wrk, c, plan))
    return figures


def _throughput(srv: LiveServer, wrk: str, concurrency: int, plan: Plan) -> list[Measured]:
    settings = SETTINGS[plan.mode]
    rounds = take_samples(
        functools.partial(_round, srv, wrk, concurrency, settings),
        warmups=0,  # wrk's first run warms the server; load() opens each client's connections before its clock
        count=settings.rounds,
        budget_s=plan.row_budget_s,
    )
    wrk_rps = [reference.rps for reference, _ in rounds]
    wrk_errors = sum(reference.non_2xx + reference.socket_errors for reference, _ in rounds)
    measured: list[Measured] = []
    for i, client in enumerate(CLIENTS):
        results = [by_client[i] for _, by_client in rounds]
        client_rps = [result.throughput for result in results]
        ratios = [rps / reference for rps, reference in zip(client_rps, wrk_rps, strict=True)]
        errors = sum(result.failed - cut_off(result) for result in results)
        details = {
            "endpoint": f"FastAPI {NOOP_PATH}",
            "engine": client.engine,
            "warm": client.warm,
            "concurrency": concurrency,
            "rounds": len(rounds),
            "statistic": "median",
            "samples": rounded(ratios),
            "client_rps": rounded(client_rps, 1),
            "client_seconds": settings.client_seconds,
            "n": [result.n for result in results],
            "ok": [result.ok for result in results],
            "cut_off": [cut_off(result) for result in results],
            "errors": errors,
            "wrk_rps": wrk_rps,
            "wrk_errors": wrk_errors,
            "wrk_command": f"wrk -t1 -c{concurrency} -d{settings.wrk_seconds}s",
        }
        note = f"median of {len(rounds)}: {statistics.median(client_rps):.0f} vs wrk {statistics.median(wrk_rps):.0f} req/s"
        if errors or wrk_errors:
            note += f" ({errors} client errors, {wrk_errors} wrk errors)"
        measured.append((statistics.median(ratios), details, note))
    return measured


def _round(srv: LiveServer, wrk: str, concurrency: int, settings: Settings) -> tuple[WrkResult, list[LoadResult]]:
    """wrk, then each client right after it: a burst of noise on the machine hits one round, not one side."""
    reference = run_wrk(wrk, srv.url + NOOP_PATH, concurrency, settings.wrk_seconds)
    # Each client runs for client_seconds, or until it has sent what wrk served in that time.
    n = max(concurrency, math.ceil(reference.rps * settings.client_seconds))
    return reference, [
        run_load(srv, NOOP_PATH, client, n=n, concurrency=concurrency, max_seconds=settings.client_seconds)
        for client in CLIENTS
    ]
