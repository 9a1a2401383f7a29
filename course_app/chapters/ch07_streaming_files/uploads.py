"""An upload streamed to disk in chunks, off the event loop, with a size limit that FastAPI enforces.

``build(folder, *, max_size)`` makes the app; the module-level ``app`` stores into the course's data folder
with a limit of 10 MiB. ``POST /files`` takes one multipart file field named ``file``:

* the limit is FastAPI's own ``max_body_size`` on the route (Starlette's ``RequestBodyLimitMiddleware`` under
  it): the **whole request body**, multipart framing included, is at most ``max_size`` bytes. A request that
  declares a bigger ``Content-Length`` gets **413** before a byte of it is read; one that does not declare its
  size (chunked) gets 413 as soon as the count passes the limit. The handler never runs, so nothing is written;
* the form parser's limits (``form_limits``) refuse a second file or any other field: one file per request;
* the name is checked first (:func:`.safe_names.plain_name`): 400 for anything but a plain file name;
* the bytes go to a hidden ``.<random>.part`` file of the folder, ``CHUNK`` at a time
  (``await file.read(CHUNK)``, written with ``anyio``: both in worker threads), then are renamed to the name at
  once (``os.replace``): a reader never sees half a file, and a failure leaves no ``.part`` behind;
* ``GET /ping`` answers at once.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, UploadFile

from ...paths import course_home
from .safe_names import plain_name

CHUNK = 1024 * 1024  # bytes per read and write: memory holds one chunk, whatever the file's size
DEFAULT_MAX_SIZE = 10 * 1024 * 1024


def build(folder: str | os.PathLike[str], *, max_size: int) -> FastAPI:
    """The upload app: files into ``folder`` (made when the first file arrives), ``max_size`` bytes per request."""
    if not isinstance(max_size, int) or max_size < 1:
        raise ValueError(f"max_size must be a positive whole number of bytes, not {max_size!r}")
    app = FastAPI(title="ch07: a streamed, size-limited upload", form_limits={"max_files": 1, "max_fields": 0})
    base = Path(folder)

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"pong": True}

    @app.post("/files", max_body_size=max_size)
    async def upload(file: UploadFile) -> dict[str, Any]:
        name = plain_name(file.filename or "")
        await anyio.Path(base).mkdir(parents=True, exist_ok=True)
        partial = base / f".{uuid.uuid4().hex}.part"
        size = 0
        try:
            async with await anyio.open_file(partial, "wb") as out:
                while chunk := await file.read(CHUNK):
                    await out.write(chunk)
                    size += len(chunk)
            await anyio.to_thread.run_sync(os.replace, partial, base / name)
        finally:
            await anyio.Path(partial).unlink(missing_ok=True)  # gone already when the rename succeeded
        return {"name": name, "bytes": size}

    return app


DEFAULT_FOLDER = course_home() / "ch07-uploads"
app = build(DEFAULT_FOLDER, max_size=DEFAULT_MAX_SIZE)
