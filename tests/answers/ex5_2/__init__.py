"""Answers to exercise 5.2: many calls from one handler, never more than BOUND in flight for the whole app.

:func:`app_with` builds what the notebook's cell builds around the learner's two pieces: ``state``, what the
lifespan yields beside the aiohttp client, and ``call``, one call under the bound; ``GET /fan-out?n=`` makes ``n``
calls at once in a TaskGroup and answers with :func:`course_app.chapters.ch05_concurrency.bounded.summary`.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import aiohttp
from fastapi import FastAPI, Query, Request

from course_app.chapters.ch05_concurrency import bounded

BOUND = 20
Call = Callable[[Request, str], Awaitable[int]]


def app_with(state: Callable[[], dict[str, Any]], call: Call) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with aiohttp.ClientSession() as client:
            yield {"client": client, **state()}

    app = FastAPI(lifespan=lifespan)

    @app.get("/fan-out")
    async def fan_out(request: Request, n: Annotated[int, Query(ge=1, le=2000)] = 10) -> dict[str, Any]:
        urls = [f"{request.app.state.service}/api/items/{i}" for i in range(n)]
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(call(request, url)) for url in urls]
        return bounded.summary([t.result() for t in tasks])

    return app
