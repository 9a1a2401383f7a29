"""P3 start plus stop: ``LiveServer(app).start()`` + ``.stop()``, against plain ``uvicorn.Server`` in a thread.

Both serve the FastAPI app ``course_app.calibration_app:app``. The figure is the
caller's view, in ms: from before the socket is bound to after the server thread
is joined. Plain uvicorn takes about 200 ms here because its main loop checks
``should_exit`` every 0.1 s and its shutdown sleeps a fixed 0.1 s; ``LiveServer``
wakes its loop at once. Stopped right after start, as here, plain uvicorn always
waits a full tick.
"""

from __future__ import annotations

import functools
import socket
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn

from course_app.calibration_app import app as fastapi_app
from course_app.loadgen import nearest_rank
from course_app.server import LiveServer

from .core import Figure, Measured, Mode, Plan, Row, Target, elapsed_ms, measure_rows, rounded, spread, take_samples

GROUP = "P3"
TITLE = "server start plus stop"
ORDER = 30


@dataclass(frozen=True)
class Settings:
    cycles: int = 20  # start+stop cycles of each server; the median and p90 are kept

    def __post_init__(self) -> None:
        if self.cycles < 1:
            raise ValueError(f"P3 needs at least one cycle: {self}")


SETTINGS: dict[Mode, Settings] = {"full": Settings(), "smoke": Settings(cycles=3)}

TARGET = Target("<=", 50.0)
SERVER_TIMEOUT_S = 10.0  # plain uvicorn: start, then stop


def measure(plan: Plan) -> list[Figure]:
    """One start plus one stop of a FastAPI app, LiveServer against plain uvicorn."""
    cycles: tuple[tuple[str, str, Callable[[], None], Target | None], ...] = (
        ("liveserver", "LiveServer start+stop", _liveserver_cycle, TARGET),
        ("uvicorn", "plain uvicorn.Server in a thread, start+stop", _uvicorn_cycle, None),
    )
    figures: list[Figure] = []
    for key, label, cycle, target in cycles:
        rows = [Row(f"P3.{key}.{stat}", f"{label}, {stat}", "ms", target) for stat in ("median", "p90")]
        figures += measure_rows(rows, functools.partial(_start_stop, cycle, plan))
    return figures


def _start_stop(cycle: Callable[[], None], plan: Plan) -> list[Measured]:
    count = SETTINGS[plan.mode].cycles
    times = take_samples(lambda: elapsed_ms(cycle), warmups=plan.warmups, count=count, budget_s=plan.row_budget_s)
    details = {"app": "course_app.calibration_app:app", "warmups": plan.warmups, "cycles": len(times)}
    note = f"{len(times)} cycles: {spread(times, 1)} ms"
    return [
        (statistics.median(times), {**details, "statistic": "median", "samples_ms": rounded(times, 2)}, note),
        (nearest_rank(sorted(times), 90), {**details, "statistic": "p90", "samples_ms": rounded(times, 2)}, note),
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
