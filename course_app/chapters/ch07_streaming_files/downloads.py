"""Serving the files of one folder: four ways to stream them, the name checked before any byte is sent.

``build(folder)`` makes the app (the module-level ``app`` serves an empty folder of the course's data until a
notebook puts files there). Its routes, each ``GET /<way>/{name}``:

* ``/file/{name}``: Starlette's ``FileResponse``. It sets ``Content-Length`` and ``Last-Modified``, answers
  ``Range`` requests, and reads 64 KiB at a time with ``anyio.open_file``: in a worker thread, off the loop;
* ``/async-gen/{name}``: a ``StreamingResponse`` over an async generator that reads with ``anyio.open_file``
  (the fix of the seed's generator: each read runs in a worker thread);
* ``/sync-gen/{name}``: a ``StreamingResponse`` over a plain ``def`` generator: Starlette iterates it with
  ``iterate_in_threadpool``, so its blocking reads run in a worker thread too;
* ``/blocking/{name}``: the seed's generator, a blocking ``open().read()`` inside ``async def``, for comparison;
* ``/ping``: answers at once, to see whether the loop is free while a download runs.

Every way first turns the name into a file with :func:`.safe_names.find`: 400 for a name that cannot be a file
name, 404 for one that is not a file of the folder, both before the response starts.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.responses import FileResponse, StreamingResponse

from ...paths import course_home
from .safe_names import attachment, find

CHUNK = 64 * 1024  # bytes per read: FileResponse's own chunk size
SEED_CHUNK = 8192  # the seed's


async def read_async(path: Path, chunk: int = CHUNK) -> AsyncIterator[bytes]:
    """The file's bytes, ``chunk`` at a time; each read runs in a worker thread (anyio), never on the loop."""
    async with await anyio.open_file(path, "rb") as f:
        while data := await f.read(chunk):
            yield data


def read_sync(path: Path, chunk: int = CHUNK) -> Iterator[bytes]:
    """The same as a plain generator: ``StreamingResponse`` runs each ``next()`` in a worker thread."""
    with open(path, "rb") as f:
        while data := f.read(chunk):
            yield data


async def read_blocking(path: Path, chunk: int = SEED_CHUNK) -> AsyncIterator[bytes]:
    """The seed's way: blocking reads inside an async generator, on the event loop."""
    with open(path, "rb") as f:
        while data := f.read(chunk):
            yield data


def build(folder: str | os.PathLike[str]) -> FastAPI:
    """The app serving the regular files of ``folder`` (not its sub-folders, not what lies outside it)."""
    app = FastAPI(title="ch07: downloads, four ways")
    base = Path(folder)

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"pong": True}

    @app.get("/file/{name}")
    async def file(name: str) -> FileResponse:
        path = await find(base, name)
        return FileResponse(path, filename=name)  # filename: Content-Disposition, non-ASCII names included

    @app.get("/async-gen/{name}")
    async def async_gen(name: str) -> StreamingResponse:
        path = await find(base, name)
        return _stream(read_async(path), name)

    @app.get("/sync-gen/{name}")
    async def sync_gen(name: str) -> StreamingResponse:
        path = await find(base, name)
        return _stream(read_sync(path), name)

    @app.get("/blocking/{name}")
    async def blocking(name: str) -> StreamingResponse:
        path = await find(base, name)
        return _stream(read_blocking(path), name)

    return app


def _stream(body: AsyncIterator[bytes] | Iterator[bytes], name: str) -> StreamingResponse:
    headers = {"Content-Disposition": attachment(name)}
    return StreamingResponse(body, media_type="application/octet-stream", headers=headers)


DEFAULT_FOLDER = course_home() / "ch07-downloads"  # empty (or missing) until a notebook puts files there
app = build(DEFAULT_FOLDER)
