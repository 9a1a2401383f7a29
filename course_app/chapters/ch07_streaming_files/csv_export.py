"""A CSV export from PostgreSQL, streamed: four ways to page through the rows, side by side.

``create_app(database, *, query=DEFAULT_QUERY, batch=BATCH)`` makes the app; ``query`` is the SQL it exports
(any ``SELECT`` with a stable ``ORDER BY``), ``batch`` the rows per round trip. Each route is
``GET /export/<way>.csv?limit=N`` (``limit``: at most N rows; none: all of them):

* ``/export/cursor.csv``: a server-side cursor, ``batch`` rows per fetch, inside one read-only transaction
  (one snapshot from the first row to the last). Memory holds one batch, whatever the table's size. The fix;
* ``/export/rows.csv``: the same cursor, one row per round trip (``prefetch=1``), one chunk per row;
* ``/export/offset.csv``: pages of ``LIMIT batch OFFSET k`` as the seed's ``fetch_users_batch`` pages: each
  page makes PostgreSQL walk past every row before it, so the last pages cost the most;
* ``/export/all.csv``: ``fetch()`` every row first, then stream them: memory grows with the table;
* ``/export/copy.csv``: PostgreSQL writes the CSV itself (``COPY (query) TO STDOUT WITH CSV HEADER``) and the
  app passes its chunks on, a bounded queue between them: the fastest, and as flat in memory as the cursor.

Every way fetches its first rows **before** the response starts, so a database that is missing, down or
busy, or a query that fails at once, gets a clear 503 instead of a 200 and a broken body. A failure after
that (the database gone mid-export) can no longer change the status: the generator re-raises, uvicorn
aborts the connection without the last chunk of the chunked body, and every HTTP client reports the body as
incomplete (httpx: ``RemoteProtocolError``). Swallowing it instead would hand the client a short file that
looks complete.

The connection is a dependency with ``yield`` (FastAPI's default scope, "request"): it is given back to the
pool when the response has been sent, not when the handler returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

import asyncpg
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from .common import DB_DOWN, DB_ENV, configured_database, database_down, no_database, pool_busy, query_failed

#: what this app needs from outside, when it is served alone (python3 run.py serve 07 --app csv_export)
NEEDS = {DB_ENV: "a PostgreSQL URL (postgresql://...) with the seed data; python3 run.py doctor says which"}

DEFAULT_QUERY = "SELECT id, user_id, status, created_at FROM course.orders ORDER BY id"
BATCH = 1000  # rows per round trip
ACQUIRE_TIMEOUT = 2.0  # seconds a request may wait for a connection before a 503
MAX_LIMIT = 100_000_000
COPY_QUEUE = 8  # chunks of COPY's output waiting for the client, at most

T = TypeVar("T")
U = TypeVar("U")

log = logging.getLogger(__name__)

Pages = AsyncIterator[Sequence[asyncpg.Record]]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    if not app.state.database:
        yield {"pool": None}  # every export answers 503, saying why
        return
    try:
        pool = await asyncpg.create_pool(app.state.database, min_size=1, max_size=4, timeout=5)
    except DB_DOWN:
        log.warning("ch07 csv_export: the database did not answer at start; every export will say so (503)")
        yield {"pool": None, "down": True}
        return
    async with pool:
        yield {"pool": pool}


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """A connection for this request, given back once the response has been sent (the stream included)."""
    pool: asyncpg.Pool | None = request.state.pool
    if pool is None:
        if getattr(request.state, "down", False):
            raise database_down(ConnectionRefusedError("the database was down when the app started"))
        raise no_database()
    try:
        conn = await pool.acquire(timeout=ACQUIRE_TIMEOUT)
    except TimeoutError:  # before DB_DOWN: TimeoutError is an OSError
        raise pool_busy(ACQUIRE_TIMEOUT) from None
    except DB_DOWN as exc:
        raise database_down(exc) from None
    try:
        yield conn
    finally:
        await pool.release(conn)


async def snapshot(conn: Annotated[asyncpg.Connection, Depends(connection)]) -> AsyncIterator[asyncpg.Connection]:
    """The connection inside one read-only transaction: a cursor needs one, and the export sees one snapshot."""
    try:
        transaction = conn.transaction(isolation="repeatable_read", readonly=True)
        await transaction.start()
    except DB_DOWN as exc:
        raise database_down(exc) from None
    try:
        yield conn
    finally:
        if not conn.is_closed():
            await transaction.rollback()  # read-only: nothing to keep


Connection = Annotated[asyncpg.Connection, Depends(connection)]
InSnapshot = Annotated[asyncpg.Connection, Depends(snapshot)]
Limit = Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="at most this many rows")]


def limited(query: str) -> str:
    return f"SELECT * FROM ({query}) AS export LIMIT $1"  # LIMIT NULL: no limit


async def cursor_pages(conn: asyncpg.Connection, query: str, limit: int | None, batch: int) -> Pages:
    cursor = await conn.cursor(limited(query), limit)
    while rows := await cursor.fetch(batch):
        yield rows


async def row_pages(conn: asyncpg.Connection, query: str, limit: int | None, batch: int) -> Pages:
    async for row in conn.cursor(limited(query), limit, prefetch=1):
        yield [row]


async def offset_pages(conn: asyncpg.Connection, query: str, limit: int | None, batch: int) -> Pages:
    sent = 0
    while limit is None or sent < limit:
        size = batch if limit is None else min(batch, limit - sent)
        rows = await conn.fetch(f"SELECT * FROM ({query}) AS export LIMIT $1 OFFSET $2", size, sent)
        if not rows:
            return
        yield rows
        sent += len(rows)


async def all_pages(conn: asyncpg.Connection, query: str, limit: int | None, batch: int) -> Pages:
    rows = await conn.fetch(limited(query), limit)
    for start in range(0, len(rows), batch):
        yield rows[start : start + batch]


def to_csv(rows: Sequence[asyncpg.Record], header: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    if header and rows:
        writer.writerow(rows[0].keys())
    writer.writerows(rows)
    return out.getvalue().encode()


async def first_of(items: AsyncIterator[T], empty: T) -> T:
    """The first item, fetched before the response starts: a database that is missing, down or busy, or a query
    that fails at once, becomes a clear 503 instead of a 200 and a broken body."""
    try:
        return await anext(items, empty)
    except DB_DOWN as exc:
        raise database_down(exc) from None
    except asyncpg.UndefinedTableError:
        raise HTTPException(503, "the seed data is not loaded: await course_app.seed_data.ensure_seeded(url)") from None
    except asyncpg.PostgresError as exc:
        raise query_failed(exc) from None


async def stream_csv(pages: Pages, filename: str) -> StreamingResponse:
    """The first page fetched now (errors: a clear 503), the rest as the client reads."""
    first = await first_of(pages, [])

    async def body() -> AsyncIterator[bytes]:
        yield to_csv(first, header=True)
        async for rows in _reporting(pages, filename):
            yield to_csv(rows)

    return _attachment(body(), filename)


async def copy_chunks(conn: asyncpg.Connection, query: str, limit: int | None) -> AsyncIterator[bytes]:
    """PostgreSQL's own CSV, header included (``COPY (query) TO STDOUT``), passed on as it arrives.

    asyncpg awaits the sink (``queue.put``) before it reads more from the server, and the sink waits while the
    queue is full: a slow client pauses the COPY, and memory holds ``COPY_QUEUE`` chunks of about 64 KiB at most.
    A client that goes away cancels the COPY (asyncpg asks the server to stop) and the connection is closed.
    """
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=COPY_QUEUE)
    failed: list[Exception] = []

    async def sink(data: bytes) -> None:
        await queue.put(bytes(data))  # asyncpg hands a bytearray; a response body is bytes

    async def copy() -> None:
        try:
            await conn.copy_from_query(limited(query), limit, output=sink, format="csv", header=True)
        except Exception as exc:  # handed to the reader, which raises it where the response can see it
            failed.append(exc)
        await queue.put(None)

    task = asyncio.create_task(copy())
    try:
        while (chunk := await queue.get()) is not None:
            yield chunk
        if failed:
            raise failed[0]
    finally:
        if not task.done():  # the client went away mid-COPY: stop it; the connection cannot be reused
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            conn.terminate()  # the pool replaces it when it is released


async def stream_copy(chunks: AsyncIterator[bytes], filename: str) -> StreamingResponse:
    """As :func:`stream_csv`, for bytes that are CSV already: the first chunk now, the rest as the client reads."""
    first = await first_of(chunks, b"")

    async def body() -> AsyncIterator[bytes]:
        yield first
        async for chunk in _reporting(chunks, filename):
            yield chunk

    return _attachment(body(), filename)


async def _reporting(items: AsyncIterator[U], filename: str) -> AsyncIterator[U]:
    """``items``; a failure is logged, then re-raised."""
    try:
        async for item in items:
            yield item
    except Exception as exc:
        # The status line (200) is sent: nothing can change it. Re-raising makes uvicorn abort the connection
        # before the chunked body's last chunk, which every HTTP client reports as an incomplete body.
        log.error("ch07 csv_export: %s failed mid-stream (%s: %s)", filename, type(exc).__name__, exc)
        raise


def _attachment(body: AsyncIterator[bytes], filename: str) -> StreamingResponse:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(body, media_type="text/csv; charset=utf-8", headers=headers)


PageMaker = Callable[[asyncpg.Connection, str, "int | None", int], Pages]


def create_app(database: str | None = None, *, query: str = DEFAULT_QUERY, batch: int = BATCH) -> FastAPI:
    """The export of ``query`` from the PostgreSQL at ``database`` (default: ``$COURSE_DATABASE_URL``)."""
    if not isinstance(batch, int) or not 1 <= batch <= 1_000_000:
        raise ValueError(f"batch must be a whole number of rows from 1 to 1,000,000, not {batch!r}")
    app = FastAPI(title="ch07: a CSV export from PostgreSQL, four ways", lifespan=lifespan)
    app.state.database = configured_database(database)

    @app.get("/export/cursor.csv")
    async def export_cursor(conn: InSnapshot, limit: Limit = None) -> StreamingResponse:
        return await stream_csv(cursor_pages(conn, query, limit, batch), "export.csv")

    @app.get("/export/rows.csv")
    async def export_rows(conn: InSnapshot, limit: Limit = None) -> StreamingResponse:
        return await stream_csv(row_pages(conn, query, limit, batch), "export.csv")

    @app.get("/export/offset.csv")
    async def export_offset(conn: Connection, limit: Limit = None) -> StreamingResponse:
        return await stream_csv(offset_pages(conn, query, limit, batch), "export.csv")

    @app.get("/export/copy.csv")
    async def export_copy(conn: Connection, limit: Limit = None) -> StreamingResponse:
        return await stream_copy(copy_chunks(conn, query, limit), "export.csv")

    @app.get("/export/all.csv")
    async def export_all(conn: Connection, limit: Limit = None) -> StreamingResponse:
        return await stream_csv(all_pages(conn, query, limit, batch), "export.csv")

    return app


app = create_app()
