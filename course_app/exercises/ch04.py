"""Checks for chapter 04's exercises: each serves the learner's app on the course's PostgreSQL and loads it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg

from ..chapters.ch04_pooling import count_connections, with_settings
from ..db import start_postgres
from ..loadgen import LoadResult, load
from . import (
    ExerciseFailed,
    announce,
    answer_keys,
    describe_error,
    describe_statuses,
    ensure_callable,
    hints,
    passed,
    require,
    show_me,
    start_app,
)

__all__ = ["check_acquire_timeout", "check_lifespan_pool", "show_me"]

POOL_MAX = 5  # exercise 4.1: the pool's max_size
WORK = 0.8  # exercise 4.2: seconds each query of the burst holds its connection

hints(
    "4.1",
    (
        "the lifespan",
        """
        async with asyncpg.create_pool(app.state.database, min_size=2, max_size=5) as pool:
            yield {"pool": pool}
        """,
    ),
    ("the dependency", "return request.state.pool"),
)
hints(
    "4.2",
    (
        "the dependency",
        """
        try:
            conn = await pool.acquire(timeout=ACQUIRE_TIMEOUT)
        except TimeoutError:
            raise HTTPException(503, "all the database connections are busy: try again shortly") from None
        try:
            yield conn
        finally:
            await pool.release(conn)
        """,
    ),
)


class _Pools:
    """The asyncpg pools made and closed while the check runs (any code path: create_pool, Pool(...)), and what
    the app's lifespan yielded; a pool the app left open is terminated when its lifespan ends, on its own loop."""

    def __init__(self) -> None:
        self.made: list[asyncpg.Pool] = []
        self.closed: list[asyncpg.Pool] = []
        self.states: list[Any] = []
        self.left_open: list[asyncpg.Pool] = []

    @contextlib.contextmanager
    def watching(self, app: Any) -> Iterator[_Pools]:
        pool_class = asyncpg.pool.Pool
        init, close = pool_class.__init__, pool_class.close
        made, closed = self.made, self.closed

        def counted_init(pool: Any, *args: Any, **kwargs: Any) -> None:
            made.append(pool)
            init(pool, *args, **kwargs)

        async def counted_close(pool: Any) -> None:
            closed.append(pool)
            await close(pool)

        inner = getattr(app.router, "_course_inner_lifespan", app.router.lifespan_context)
        app.router._course_inner_lifespan = inner

        @contextlib.asynccontextmanager
        async def watched(a: Any) -> AsyncIterator[Any]:
            try:
                async with inner(a) as state:
                    self.states.append(state)
                    yield state
            finally:
                for pool in made:
                    if pool not in closed and not pool._closed:  # left open: terminated here, on its own loop
                        self.left_open.append(pool)
                        pool.terminate()

        pool_class.__init__, pool_class.close = counted_init, counted_close
        app.router.lifespan_context = watched
        try:
            yield self
        finally:
            pool_class.__init__, pool_class.close = init, close
            app.router.lifespan_context = inner

    def yielded_a_pool(self) -> bool:
        return any(isinstance(v, asyncpg.Pool) for s in self.states if isinstance(s, dict) for v in s.values())


def _fastapi_app(app: Any) -> None:
    ensure_callable(app, "your app")
    require(
        hasattr(app, "router") and hasattr(app, "state"), "your app should be a FastAPI app, made with FastAPI(...)"
    )


def _server_error(srv: Any, what: str) -> None:
    if srv.errors:
        raise ExerciseFailed(f"{what} failed: {describe_error(srv.errors[-1])}")


def _bodies(result: LoadResult) -> list[Any]:
    found = []
    for record in result.records:
        with contextlib.suppress(ValueError, TypeError):
            found.append(json.loads(record.body or b""))
    return found


async def _gone(url: str, name: str, seconds: float = 3.0) -> int:
    """The connections named ``name`` the database still counts, once they have had ``seconds`` to go."""
    deadline = asyncio.get_running_loop().time() + seconds
    while (left := await count_connections(url, name)) and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    return left


@answer_keys("4.1", r"create_pool\(", r"request\.state\.pool")
async def check_lifespan_pool(app: Any) -> None:
    """Exercise 4.1: one pool, opened in the lifespan from ``app.state.database``, closed at shutdown."""
    __tracebackhide__ = True
    _fastapi_app(app)
    pg = start_postgres()
    name = f"course-ex41-{uuid.uuid4().hex[:8]}"
    app.state.database = with_settings(pg.url, application_name=name)  # the database counts your connections
    announce("30 requests to GET /backend, 10 at a time; then the server stops and the database counts", 25)
    pools = _Pools()
    made_in_a_cell = False
    try:
        with pools.watching(app):
            srv = start_app(app, "exercise 4.1")
            try:
                made_in_a_cell = not pools.made and pools.yielded_a_pool()
                if not made_in_a_cell:  # a pool of the notebook's loop is never used from the server's
                    result = await load(
                        srv, "/backend", n=30, concurrency=10, keep_bodies=True, timeout=5, max_seconds=15
                    )
                    during = await count_connections(pg.url, name)
            finally:
                srv.stop()
            left = await _gone(pg.url, name)
    finally:
        pg.stop()
    if made_in_a_cell or not pools.made:
        raise ExerciseFailed(
            "your app made no pool while it ran: the pool was made before (in a cell, or when a module was "
            "imported), on the notebook's event loop, and the server's requests run on its own loop, where that "
            "pool cannot be used. Make it inside the lifespan, from app.state.database."
        )
    pids = {b.get("pid") for b in _bodies(result) if isinstance(b, dict)}
    if len(pools.made) > 1:
        raise ExerciseFailed(
            f"your app made {len(pools.made)} pools for 30 requests, and they came from {len(pids)} different "
            "database connections: a pool per request, as the seed's get_asyncpg_pool does, opens and closes "
            "connections on every request. Make the pool once, in the lifespan, and have the dependency return "
            "request.state.pool."
        )
    _server_error(srv, "GET /backend")
    require(
        dict(result.statuses) == {200: result.n},
        f"GET /backend should answer 200 every time; it answered: {describe_statuses(result)}",
    )
    require(
        0 < len(pids) <= POOL_MAX,
        f"the 30 requests came from {len(pids)} database connections; a pool of max_size={POOL_MAX} has {POOL_MAX} "
        "at most",
    )
    require(
        during > 0,
        "while your app served, the database counted none of its connections under the check's name: the pool "
        "was not made from app.state.database (the check puts its URL there)",
    )
    require(
        not pools.left_open,
        "your pool was never closed: when the server stopped, nothing called pool.close() (the check terminated "
        "it). Close it after `yield`, in `finally`, or open it with `async with asyncpg.create_pool(...) as pool`.",
    )
    require(left == 0, f"after the server stopped, the database still counted {left} of your app's connections")
    passed(
        f"30 requests shared {len(pids)} connections of one pool, made in the lifespan and closed at shutdown; the "
        "database counts none of them now."
    )


@answer_keys("4.2", r"acquire\(\s*timeout=", r"503")
async def check_acquire_timeout(app: Any) -> None:
    """Exercise 4.2: a full pool answers 503 after the acquire timeout, and the connections go back to the pool."""
    __tracebackhide__ = True
    _fastapi_app(app)
    pg = start_postgres()
    name = f"course-ex42-{uuid.uuid4().hex[:8]}"
    app.state.database = with_settings(pg.url, application_name=name)
    announce(f"6 requests at once to GET /work, each holding a connection {WORK} s, then 4 quick ones", 25)
    try:
        srv = start_app(app, "exercise 4.2")
        try:
            burst = await load(srv, f"/work?seconds={WORK}", n=6, keep_bodies=True, timeout=6, max_seconds=10)
            after = await load(srv, "/work?seconds=0", n=4, concurrency=1, keep_bodies=True, timeout=3, max_seconds=8)
        finally:
            srv.stop()
    finally:
        pg.stop()
    statuses = burst.statuses
    if srv.errors:
        error = srv.errors[-1]
        if isinstance(error, TimeoutError):
            raise ExerciseFailed(
                f"{statuses.get(500, 0)} of the 6 requests got 500: the acquire timed out, and the TimeoutError it "
                "raises reached FastAPI, which answers an unexpected error with 500. Catch TimeoutError and raise "
                "HTTPException(503, ...): the server is not broken, it is busy, and 503 tells the client to retry."
            )
        raise ExerciseFailed(f"GET /work failed: {describe_error(error)}")
    require(
        not statuses.get(500),
        f"the 6 requests answered {describe_statuses(burst)}: a request that waited too long got 500 (Internal "
        "Server Error), which says the server is broken. A full pool means busy: answer 503 (Service Unavailable).",
    )
    require(
        bool(statuses.get(503)),
        f"no request got 503: the 6 requests answered {describe_statuses(burst)}, the last after "
        f"{max(burst.latencies):.1f} s. Those that found both connections busy waited for one: pool.acquire() waits "
        "for ever unless it is given a timeout (and one longer than the wait gives no 503 either). Use "
        "pool.acquire(timeout=ACQUIRE_TIMEOUT).",
    )
    require(
        statuses.get(200, 0) >= 1,
        f"the 6 requests answered {describe_statuses(burst)}: the first two should get a connection and 200",
    )
    fast = [r.latency for r in burst.records if r.status == 503]
    require(
        max(fast) < WORK,
        f"the 503s came after {max(fast):.2f} s, once a connection had been busy for the whole query ({WORK} s): "
        "they should come when the acquire timeout runs out, sooner",
    )
    require(
        dict(after.statuses) == {200: 4},
        f"after the burst, 4 requests one by one answered {describe_statuses(after)}: the pool stayed full, so the "
        "connections taken were never given back. Release each one when the request ends: `yield` it inside "
        "try/finally with `await pool.release(conn)` (or inside `async with pool.acquire(...)`).",
    )
    passed(
        f"with both connections busy, {statuses[503]} requests got 503 after {max(fast):.2f} s instead of waiting, "
        f"{statuses[200]} got 200, and the connections went back to the pool."
    )
