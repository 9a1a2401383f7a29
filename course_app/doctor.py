"""The doctor: is this machine ready for the course? Versions, a live server, the database.

Runs from a notebook (``await doctor()``) or a shell (``python -m course_app doctor``).
Every check reports plainly; none raises.
"""

from __future__ import annotations

import asyncio
import html
import platform
import shutil
import sys
import time
from dataclasses import dataclass
from importlib import metadata

__all__ = ["Check", "Report", "doctor"]

PACKAGES = [
    "fastapi", "starlette", "uvicorn", "anyio", "httpx", "aiohttp", "uvloop", "httptools",
    "sse-starlette", "websockets", "asyncpg", "pgserver", "matplotlib", "jupyterlab", "nbval",
]  # fmt: skip


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    essential: bool = True


@dataclass
class Report:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks if c.essential)

    def __str__(self) -> str:
        width = max(len(c.name) for c in self.checks)
        lines = [
            f"{'ok ' if c.ok else ('!! ' if c.essential else '-- ')} {c.name:<{width}}  {c.detail}" for c in self.checks
        ]
        lines.append("all essential checks passed" if self.ok else "some essential checks FAILED (marked !!)")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{'✅' if c.ok else ('❌' if c.essential else '➖')}</td><td><b>{html.escape(c.name)}</b></td>"
            f"<td style='text-align:left'>{html.escape(c.detail)}</td></tr>"
            for c in self.checks
        )
        verdict = "All essential checks passed." if self.ok else "Some essential checks failed."
        return f"<table>{rows}</table><p>{verdict}</p>"


def _versions() -> Check:
    found, missing = [], []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            missing.append(name)
    detail = ", ".join(found) + (f"; not installed: {', '.join(missing)}" if missing else "")
    essential_missing = [m for m in missing if m not in ("pgserver", "uvloop", "aiohttp")]
    return Check("packages", not essential_missing, detail)


async def _live_server() -> list[Check]:
    import httpx
    from fastapi import FastAPI

    from .measure import thread_limit
    from .server import LiveServer, ServerStartError

    app = FastAPI(title="doctor")

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"loop": type(asyncio.get_running_loop()).__module__.split(".")[0]}

    try:
        t = time.perf_counter()
        srv = LiveServer(app, name="doctor").start()
        started = time.perf_counter() - t
    except ServerStartError as exc:
        return [Check("live server", False, str(exc))]
    try:
        async with httpx.AsyncClient() as client:
            loop = (await client.get(srv.url + "/ping")).json()["loop"]
        limit = srv.run(thread_limit())
    finally:
        t = time.perf_counter()
        srv.stop()
        stopped = time.perf_counter() - t
    return [
        Check(
            "live server", True, f"started on {srv.url} in {started * 1000:.0f} ms, stopped in {stopped * 1000:.0f} ms"
        ),
        Check("server event loop", True, f"{loop} (uvicorn picks uvloop when it is installed)"),
        Check("thread pool", True, f"{limit:g} worker threads for def handlers (anyio's default limiter)"),
    ]


async def _database() -> Check:
    try:
        from .db import check_postgres
    except ImportError as exc:  # pragma: no cover - db.py ships with the package
        return Check("PostgreSQL", False, f"course_app.db is unavailable: {exc}", essential=False)
    result = await check_postgres()
    if result.get("ok"):
        return Check(
            "PostgreSQL",
            True,
            f"{result['source']}: {result['version']} (ready in {result['seconds']:.1f} s)",
            essential=False,
        )
    return Check("PostgreSQL", False, str(result.get("error")), essential=False)


def _database_plan() -> Check:
    from .db import describe_postgres_options

    plan = describe_postgres_options()
    detail = f"would use {plan['source']}: {plan['detail']}" if plan["ok"] else str(plan["error"])
    return Check("PostgreSQL (not started)", plan["ok"], detail, essential=False)


def _tools() -> Check:
    wrk = shutil.which("wrk")
    return Check(
        "wrk (benchmarks only)",
        wrk is not None,
        wrk or "not found: the benchmarks compare the load client with wrk (apt-get install wrk / brew install wrk)",
        essential=False,
    )


async def doctor(database: bool = True) -> Report:
    """Check this machine for the course. ``database=False`` skips starting PostgreSQL."""
    checks = [
        Check("python", sys.version_info >= (3, 10), f"{platform.python_version()} on {platform.platform()}"),
        _versions(),
    ]
    checks += await _live_server()
    checks.append(await _database() if database else _database_plan())
    checks.append(_tools())
    return Report(checks)
