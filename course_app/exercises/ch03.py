"""Checks for chapter 03's exercises: each serves the learner's app on the course's PostgreSQL and reads back what
the database holds (3.1) or what the app answered under concurrent requests (3.2)."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.pool import Pool

from ..chapters import ch03_databases as ch03
from ..db import start_postgres
from ..seed_data import ensure_seeded
from . import (
    ExerciseFailed,
    announce,
    answer_keys,
    describe_error,
    ensure_callable,
    hints,
    passed,
    require,
    show_me,
    start_app,
)

__all__ = ["check_dashboard", "check_session_dependency", "show_me"]

hints(
    "3.1",
    (
        "the dependency and the route",
        """
        async def ex31_session(request: Request) -> AsyncIterator[AsyncSession]:
            async with request.state.sessions() as session:
                try:
                    yield session
                    await session.commit()
                except BaseException:
                    await session.rollback()
                    raise


        @ex31_app.post("/signups", status_code=201)
        async def ex31_signups(
            batch: list[ch03.Signup], session: Annotated[AsyncSession, Depends(ex31_session, scope="function")]
        ) -> dict[str, int]:
            session.add_all(ch03.models.Signup(name=s.name, email=s.email) for s in batch)
            return {"added": len(batch)}
        """,
    ),
)
hints(
    "3.2",
    (
        "the handler's body",
        """
        users = (await session.scalars(USERS)).all()
        orders = (await session.scalars(ORDERS)).all()
        total = await session.scalar(TOTAL)
        return {"users": list(users), "orders": list(orders), "total_users": total}
        """,
    ),
)


#: a connection per request: a failed request may leave the server's end of a kept-alive connection closed
FRESH = httpx.Limits(max_keepalive_connections=0)


def _transport_failure(srv: Any, exc: httpx.TransportError) -> ExerciseFailed:
    return ExerciseFailed(
        f"the server closed the connection without an answer ({type(exc).__name__}).{_server_error(srv)}"
    )


def _prepare(app: Any) -> str:
    """Start (or reuse) the course's PostgreSQL and give the app its URL, as create_app(database=...) would."""
    ensure_callable(app, "your app")
    require(
        hasattr(app, "router") and hasattr(app, "state"), "your app should be a FastAPI app, made with FastAPI(...)"
    )
    url = start_postgres().url  # the process's handle: stopped with the others at exit
    app.state.database = url
    app.state.sqlalchemy_url = ch03.sqlalchemy_url(url)
    return url


@contextmanager
def _pools_that_connect() -> Iterator[set[int]]:
    """The SQLAlchemy pools (one per engine) that open a connection while the block runs."""
    seen: set[int] = set()

    def connected(dbapi_connection: Any, record: Any) -> None:  # first_connect: once per pool
        seen.add(id(record))

    event.listen(Pool, "first_connect", connected)
    try:
        yield seen
    finally:
        event.remove(Pool, "first_connect", connected)


def _stop(srv: Any) -> None:
    """Stop the learner's server. A wrong answer may leave connections that hold its loop for a few seconds (an
    engine per request, a session left half-open): the check says what is wrong in words, not in that warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        srv.stop()


def _server_error(srv: Any) -> str:
    return f" The server's error: {describe_error(srv.errors[-1])}" if srv.errors else ""


@answer_keys("3.1", r"await session\.commit\(\)", r"scope=\"function\"")
async def check_session_dependency(app: Any) -> None:
    """Exercise 3.1: a session per request that commits before the response, and a failed commit is not a 201."""
    __tracebackhide__ = True
    url = _prepare(app)
    announce("POST /signups twice: a new batch, then a batch with an email already signed up", 20)
    await ch03.reset_signups(url)
    with _pools_that_connect() as pools:
        srv = start_app(app, "exercise 3.1")
        try:
            async with httpx.AsyncClient(base_url=srv.url, timeout=10, limits=FRESH) as client:
                good = await client.post("/signups", json=[{"name": "Ada", "email": "ada@example.com"},
                                                           {"name": "Bo", "email": "bo@example.com"}])  # fmt: skip
                await asyncio.sleep(0.1)  # a commit that runs after the response has had its time
                after_good = await ch03.signup_emails(url)
                dup = await client.post("/signups", json=[{"name": "Cy", "email": "cy@example.com"},
                                                          {"name": "Ada", "email": "ada@example.com"}])  # fmt: skip
                await asyncio.sleep(0.1)
                after_dup = await ch03.signup_emails(url)
        except httpx.TransportError as exc:
            raise _transport_failure(srv, exc) from None
        finally:
            _stop(srv)
    require(good.status_code != 404 and good.status_code != 405,
            f"POST /signups answered {good.status_code}: your app has no POST /signups route yet")  # fmt: skip
    require(good.status_code == 201,
            f"POST /signups with a new batch answered {good.status_code}: {good.text[:150]}.{_server_error(srv)}")  # fmt: skip
    require(
        len(pools) <= 1,
        f"{len(pools)} engines opened connections for two requests: an engine (and its pool) was made per request. "
        "Make it once, in the lifespan: request.state.sessions is an async_sessionmaker bound to it.",
    )
    require(
        after_good == ["ada@example.com", "bo@example.com"],
        f"POST /signups answered 201, but the table holds {after_good}: the session was never committed, so the "
        "rows were rolled back when it closed. Call `await session.commit()` after `yield` (with `await`: "
        "without it, commit() only makes a coroutine).",
    )
    require(
        dup.status_code != 201,
        "POST /signups with an email already signed up answered 201 (Created), and the table still holds "
        f"{after_dup}: the commit failed after the client had its answer. Code after `yield` in a dependency runs "
        'after the response is sent, unless the dependency is declared Depends(..., scope="function").',
    )
    require(
        dup.status_code == 409,
        f"the duplicate batch answered {dup.status_code}: {dup.text[:150]}; it should be 409 (the app's handler for "
        f"IntegrityError).{_server_error(srv)}",
    )
    require(after_dup == after_good, f"after the refused batch the table holds {after_dup}: part of it was written")
    passed("a new batch answered 201 and was written; a batch with a duplicate answered 409 and wrote nothing.")


async def _expected_dashboard(url: str) -> dict[str, Any]:
    await ensure_seeded(url)
    conn = await asyncpg.connect(url)
    try:
        names = [r["name"] for r in await conn.fetch("SELECT name FROM course.users ORDER BY id LIMIT 10")]
        orders = [r["id"] for r in await conn.fetch("SELECT id FROM course.orders ORDER BY id LIMIT 10")]
        total = await conn.fetchval("SELECT count(*) FROM course.users")
    finally:
        await conn.close()
    return {"users": names, "orders": orders, "total_users": total}


@answer_keys("3.2", r"await session\.scalars?\(")
async def check_dashboard(app: Any) -> None:
    """Exercise 3.2: GET /dashboard answers right, the first request and 20 at once, with no error in the server."""
    __tracebackhide__ = True
    url = _prepare(app)
    expected = await _expected_dashboard(url)
    announce("GET /dashboard once on a fresh server, then 20 at once", 20)
    with _pools_that_connect() as pools:
        srv = start_app(app, "exercise 3.2")
        try:
            async with httpx.AsyncClient(base_url=srv.url, timeout=15, limits=FRESH) as client:
                first = await client.get("/dashboard")
                many = await asyncio.gather(*(client.get("/dashboard") for _ in range(20)))
        except httpx.TransportError as exc:
            raise _transport_failure(srv, exc) from None
        finally:
            _stop(srv)
    require(first.status_code not in (404, 405), f"GET /dashboard answered {first.status_code}: no such route yet")
    statuses = [first.status_code] + [r.status_code for r in many]
    failed = sum(s != 200 for s in statuses)
    require(
        not srv.errors or failed == 0,
        f"{failed} of 21 requests failed.{_server_error(srv)}",
    )
    require(failed == 0, f"{failed} of 21 requests did not answer 200: {first.text[:150]}")
    require(
        len(pools) <= 1,
        f"{len(pools)} engines opened connections: an engine was made per request. Use the session the dependency "
        "gives you (or request.state.sessions), made once in the lifespan.",
    )
    body = first.json()
    require(body == expected, f"GET /dashboard answered {body}; it should answer {expected}")
    passed("21 requests, the first on a fresh server and 20 at once: every one 200, with the right figures.")
