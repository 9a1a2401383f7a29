"""`stack.enter_async_context(...)` without `await` in front: `client` is a coroutine, not a client."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from course_app.chapters import ch02_lifespan as ch02

EXPECTED = "an async function was called without `await`"
MISTAKE = "await"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    journal = app.state.journal
    async with AsyncExitStack() as stack:
        client = stack.enter_async_context(ch02.http_client(journal))
        beats = stack.enter_async_context(ch02.background_task(journal))
        await stack.enter_async_context(ch02.cache(app.state.cache_port, journal))
        yield {"client": client, "beats": beats}


app = FastAPI(lifespan=lifespan)


@app.get("/status")
async def status(request: Request) -> dict[str, Any]:
    return {"client closed": request.state.client.is_closed, "beats": request.state.beats.count}
