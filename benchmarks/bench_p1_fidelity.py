"""P1 fidelity: measured ÷ ideal wall time of N concurrent ``await asyncio.sleep(0.2)`` requests.

Against the pure-ASGI harness app (the load client plus uvicorn, nothing else)
and the FastAPI route (plus FastAPI's per-request dispatch), with the raw engine
and warm connections; for comparison, the httpx (cold and warm pool) and aiohttp
engines on the FastAPI route, as chapter 00 compares them.

The figure is ``LoadResult.wall`` (first request sent to last response received);
the connections are opened before the clock. At N=500 it is dominated by the
server accepting and serving 500 requests on one loop, and on FastAPI by its
dispatch, so it is noisier than N=100.
"""

from __future__ import annotations

import functools
import statistics
from dataclasses import dataclass
from typing import Any

from course_app.calibration_app import app as fastapi_app
from course_app.calibration_app import asgi_app as harness_app
from course_app.loadgen import ideal_async
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
    measure_rows,
    rounded,
    run_load,
    spread,
    take_samples,
)

GROUP = "P1"
TITLE = "fidelity"
ORDER = 10


@dataclass(frozen=True)
class Settings:
    sizes: tuple[int, ...] = (100, 500)  # N of the raw-engine rows, on both servers
    repeats: int = 5
    compare_n: int = 100  # N of the engine comparison
    compare_repeats: int = 3

    def __post_init__(self) -> None:
        if not self.sizes or min(*self.sizes, self.repeats, self.compare_n, self.compare_repeats) < 1:
            raise ValueError(f"P1 needs positive sizes and counts: {self}")


SETTINGS: dict[Mode, Settings] = {
    "full": Settings(),
    "smoke": Settings(repeats=1, compare_n=20, compare_repeats=1),
}

SLEEP_S = 0.2  # each request sleeps this long; N concurrent ones ideally take exactly this long
RUN_LIMIT_S = 15.0  # one load() run
TARGETS: dict[int, Target] = {100: Target("<=", 1.05), 500: Target("<=", 1.5)}


@dataclass(frozen=True)
class Server:
    key: str
    label: str
    app: Any


SERVERS = (
    Server("harness", "pure-ASGI harness app", harness_app),
    Server("fastapi", "FastAPI route", fastapi_app),
)
COMPARED_ON = "fastapi"  # chapter 00 compares the engines on a FastAPI route too
COMPARED = (Client("httpx-cold", "httpx", warm=False), Client("httpx-warm", "httpx"), Client("aiohttp", "aiohttp"))


def measure(plan: Plan) -> list[Figure]:
    """Wall time of N concurrent sleep(0.2) requests over the ideal 0.2 s."""
    settings = SETTINGS[plan.mode]
    figures: list[Figure] = []
    for server in SERVERS:
        with LiveServer(server.app, name=f"benchmark-{server.key}") as srv:
            for client, n, repeats in _rows(server, settings):
                sample = functools.partial(_fidelity, srv, server, client, n, repeats, plan)
                figures += measure_rows([_row(server, client, n)], sample)
    return figures


def _rows(server: Server, settings: Settings) -> list[tuple[Client, int, int]]:
    """(client, N, repeats) of each figure measured against ``server``."""
    rows = [(RAW, n, settings.repeats) for n in settings.sizes]
    if server.key == COMPARED_ON:
        rows += [(client, settings.compare_n, settings.compare_repeats) for client in COMPARED]
    return rows


def _row(server: Server, client: Client, n: int) -> Row:
    name = f"fidelity, {server.label}, {client.key}, N={n}"
    if client is RAW:
        # The targets bound the harness (client + uvicorn). On the FastAPI route the same
        # figure adds FastAPI's own dispatch cost per request: reported, not targeted.
        target = TARGETS.get(n) if server.key == "harness" else None
        return Row(f"P1.{server.key}.n{n}", name, "x ideal", target)
    return Row(f"P1.{server.key}.{client.key}", name, "x ideal")


def _fidelity(srv: LiveServer, server: Server, client: Client, n: int, repeats: int, plan: Plan) -> list[Measured]:
    ideal = ideal_async(n, SLEEP_S)
    ratios = take_samples(
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
        "samples": rounded(ratios),
    }
    note = f"median of {len(ratios)}: {spread(ratios, 3)}"
    return [(statistics.median(ratios), details, note)]


def _sleep_wall(srv: LiveServer, client: Client, n: int) -> float:
    result = run_load(srv, f"/sleep?t={SLEEP_S:g}", client, n=n, concurrency=n, max_seconds=RUN_LIMIT_S)
    if result.failed:
        raise RuntimeError(f"{result.failed} of {n} sleep requests failed: {dict(result.statuses)}")
    return result.wall
