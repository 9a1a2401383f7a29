"""`async with` blocks that end before `yield`: the resources are closed before the first request."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from course_app.chapters import ch02_lifespan as ch02

EXPECTED = "its HTTP client was already closed"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    journal = app.state.journal
    async with (
        ch02.http_client(journal) as client,
        ch02.background_task(journal) as beats,
        ch02.cache(app.state.cache_port, journal),
    ):
        pass
    yield {"client": client, "beats": beats}


app = FastAPI(lifespan=lifespan)


@app.get("/status")
async def status(request: Request) -> dict[str, Any]:
    return {"client closed": request.state.client.is_closed, "beats": request.state.beats.count}
