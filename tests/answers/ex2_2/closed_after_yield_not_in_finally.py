"""`stack = AsyncExitStack()`, the resources entered, `yield`, then `await stack.aclose()`: not in `finally`.

A normal shutdown closes everything; when the cache refuses during startup, the code after `yield` never runs.
"""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from course_app.chapters import ch02_lifespan as ch02

EXPECTED = "the code after `yield` never runs when startup fails"
MISTAKE = "lifespan"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    journal = app.state.journal
    stack = AsyncExitStack()
    client = await stack.enter_async_context(ch02.http_client(journal))
    beats = await stack.enter_async_context(ch02.background_task(journal))
    await stack.enter_async_context(ch02.cache(app.state.cache_port, journal))
    yield {"client": client, "beats": beats}
    await stack.aclose()


app = FastAPI(lifespan=lifespan)


@app.get("/status")
async def status(request: Request) -> dict[str, Any]:
    return {"client closed": request.state.client.is_closed, "beats": request.state.beats.count}
