"""Checks for chapter 02's exercises: each serves the learner's app, stops it, and reads what its lifespan did."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from ..chapters import ch02_lifespan as ch02
from . import (
    ExerciseFailed,
    announce,
    answer_keys,
    ensure_callable,
    hints,
    no_server_errors,
    passed,
    require,
    show_me,
    start_app,
)

__all__ = ["check_background_task", "check_startup_cleanup", "show_me"]

hints(
    "2.1",
    (
        "the lifespan, around yield",
        """
        task = asyncio.create_task(ch02.beat(beats, app.state.journal))
        try:
            yield {"beats": beats}
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        """,
    ),
)
hints(
    "2.2",
    (
        "the lifespan, from opening to yield",
        """
        async with AsyncExitStack() as stack:
            client = await stack.enter_async_context(ch02.http_client(journal))
            beats = await stack.enter_async_context(ch02.background_task(journal))
            await stack.enter_async_context(ch02.cache(app.state.cache_port, journal))
            yield {"client": client, "beats": beats}
        """,
    ),
)


def _watch(app: Any, journal: ch02.Journal) -> None:
    """Give the app a fresh journal, and note in it when the app's own lifespan has ended."""
    ensure_callable(app, "your app")
    require(
        hasattr(app, "router") and hasattr(app, "state"), "your app should be a FastAPI app, made with FastAPI(...)"
    )
    inner = getattr(app.router, "_course_inner_lifespan", app.router.lifespan_context)
    app.router._course_inner_lifespan = inner

    @asynccontextmanager
    async def watched(a: Any) -> AsyncIterator[Any]:
        try:
            async with inner(a) as state:
                yield state
        finally:
            journal.note("lifespan", "end")

    app.router.lifespan_context = watched
    app.state.journal = journal


def _before_end(journal: ch02.Journal, resource: str, what: str) -> bool:
    """Whether ``resource`` did ``what`` before the lifespan ended."""
    names = [(e.resource, e.what) for e in journal.events]
    end = names.index(("lifespan", "end")) if ("lifespan", "end") in names else len(names)
    return (resource, what) in names[:end]


def _beat_tasks() -> list[asyncio.Task[Any]]:
    """Tasks running ch02.beat on the loop of the caller (the notebook's): made when a cell ran."""
    try:
        tasks = asyncio.all_tasks()
    except RuntimeError:
        return []
    return [t for t in tasks if getattr(t.get_coro(), "__qualname__", "") == "beat" and not t.done()]


@answer_keys("2.1", r"create_task\(", r"\.cancel\(\)", r"await task")
async def check_background_task(app: Any) -> None:
    """Exercise 2.1: the lifespan starts ``ch02.beat`` as a task and, at shutdown, cancels it and waits for it."""
    __tracebackhide__ = True
    ensure_callable(app, "your app")
    journal = ch02.Journal()
    _watch(app, journal)
    announce("GET /beats twice, 0.2 s apart, then the server is stopped and its journal read", 15)
    srv = start_app(app, "exercise 2.1")
    try:
        async with httpx.AsyncClient(base_url=srv.url, timeout=5) as client:
            first = await client.get("/beats")
            await asyncio.sleep(0.2)
            second = await client.get("/beats")
        require(first.status_code == 200 and second.status_code == 200,
                f"GET /beats should answer 200 with the count; it answered {second.status_code}: {second.text[:120]}")  # fmt: skip
        counts = [r.json().get("beats") for r in (first, second)]
    finally:
        srv.stop()
    in_cell = _beat_tasks()
    if in_cell:
        for task in in_cell:
            task.cancel()
        raise ExerciseFailed(
            "a task running ch02.beat was on the notebook's own event loop: it was made when the cell ran, not by "
            "the lifespan, so it kept running after the server stopped (the check cancelled it). Start it inside "
            "the lifespan, before `yield`: the lifespan runs on the server's loop."
        )
    require(
        isinstance(counts[0], int) and isinstance(counts[1], int) and counts[1] > counts[0],
        f"GET /beats answered {counts[0]} and then {counts[1]}, 0.2 s later: the beats did not go up, so no task "
        "was beating on the server's loop. Start ch02.beat(beats, app.state.journal) with asyncio.create_task.",
    )
    require(
        _before_end(journal, "background task", "close"),
        "the task was still running when the lifespan ended: nothing cancelled it, or it was cancelled and not "
        "awaited (task.cancel() only asks it to stop). Cancel it after `yield`, then `await task`, suppressing the "
        "CancelledError that comes out of it, so that it has stopped before the lifespan ends.",
    )
    passed(
        f"the task beat {counts[1] - counts[0]} times in 0.2 s on the server's loop, and stopped before the lifespan ended."
    )


async def _listener() -> tuple[asyncio.base_events.Server, int]:
    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@answer_keys("2.2", r"AsyncExitStack\(|try:")
async def check_startup_cleanup(app: Any) -> None:
    """Exercise 2.2: the lifespan closes what it opened, in reverse order, when startup succeeds and when it fails."""
    __tracebackhide__ = True
    ensure_callable(app, "your app")
    announce("two starts: one with the cache up, then one with the cache down (the start fails); each journal read", 20)
    cache_server, port = await _listener()
    try:
        journal = ch02.Journal()
        _watch(app, journal)
        app.state.cache_port = port
        srv = start_app(app, "exercise 2.2")
        try:
            async with httpx.AsyncClient(base_url=srv.url, timeout=5) as client:
                status = await client.get("/status")
            no_server_errors(srv, "GET /status")
        finally:
            srv.stop()
    finally:
        cache_server.close()
    require(
        status.status_code == 200,
        f"GET /status should answer 200; it answered {status.status_code}: {status.text[:120]}",
    )
    open_while_serving = status.json()
    require(
        open_while_serving.get("client closed") is False,
        "while the app served, its HTTP client was already closed: it was opened in an `async with` block that ended "
        "before `yield`. The `yield` goes inside the blocks (or the stack), so that they close at shutdown.",
    )
    up = journal
    opened = [r for r in up.opened if r != "lifespan"]
    require(
        {"HTTP client", "background task", "cache"} <= set(opened),
        f"the lifespan opened {opened or 'nothing'}; it should open the HTTP client, the background task and the cache",
    )
    left = [r for r in opened if not _before_end(up, r, "close")]
    require(not left, f"after a normal shutdown, {', '.join(left)} had not been closed when the lifespan ended")

    down = ch02.Journal()
    _watch(app, down)
    app.state.cache_port = ch02.dead_port()
    try:
        srv = start_app(app, "exercise 2.2, the cache down")
        srv.stop()
        raise ExerciseFailed("with the cache down, your app started anyway: the lifespan should let the error through")
    except ExerciseFailed as exc:
        if "did not start" not in str(exc):
            raise
    left = [r for r in down.opened if not _before_end(down, r, "close")]
    require(
        not left,
        f"when the cache refused the connection, the startup failed, and {', '.join(left)} stayed open: the code "
        "after `yield` never runs when startup fails. Open each resource with an AsyncExitStack (or nested "
        "`async with` blocks, or try/finally) so that a failure closes what is already open.",
    )
    closes = [r for r in down.closed if r in down.opened]
    require(
        closes == list(reversed([r for r in down.opened if r in closes])),
        f"the resources closed in the order {closes}: the last one opened should close first",
    )
    passed(
        f"a normal shutdown closed {', '.join(up.closed)}; with the cache down the start failed and "
        f"{', '.join(down.closed) or 'nothing'} closed, last opened first."
    )
