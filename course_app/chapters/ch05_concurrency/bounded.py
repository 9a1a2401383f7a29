"""Many calls from one handler, to a service that allows ``BOUND`` at a time.

* ``/unbounded?n=``: a task per call, all at once. Tasks are cheap; what they call is not. The only bound left is
  the client's pool (100 connections by default, in aiohttp as in httpx), and the service refuses the rest;
* ``/bounded?n=``: the same tasks, each waiting for a place in one ``asyncio.Semaphore(BOUND)``, made in the
  lifespan: on the server's loop, once for the whole app, so it bounds every request's calls together.

Either answers 200 with what the calls got when every call got an answer, else 502 saying how many did not.

The client is aiohttp's, not httpx's: at a thousand calls, the client's own cost per call decides how fast they
can be sent, and httpx's is several times aiohttp's (chapter 00 shows why; the notebook measures it). With
httpx, the calls could never be sent fast enough to need a bound of 20, and the lesson would not show.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import aiohttp
from fastapi import Depends, FastAPI, HTTPException, Query, Request

from .common import SERVICE_ENV, configured, service_url

NEEDS = {SERVICE_ENV: "the service it calls: python3 run.py serve 05 --app service"}

BOUND = 20  # calls in flight at once, for the whole app
Calls = Annotated[int, Query(ge=1, le=2000)]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5.0)) as client:
        yield {"client": client, "bound": asyncio.Semaphore(BOUND)}


async def call(client: aiohttp.ClientSession, url: str) -> int:
    try:
        async with client.get(url) as response:
            await response.read()
            return response.status
    except TimeoutError:
        return 504
    except aiohttp.ClientError:
        return 502


async def bounded_call(bound: asyncio.Semaphore, client: aiohttp.ClientSession, url: str) -> int:
    async with bound:
        return await call(client, url)


def summary(statuses: list[int]) -> dict[str, Any]:
    counts = Counter(statuses)
    if set(counts) != {200}:
        raise HTTPException(
            502, f"{len(statuses) - counts[200]} of {len(statuses)} calls got no answer: {dict(counts)}"
        )
    return {"calls": len(statuses), "statuses": dict(counts)}


async def unbounded(request: Request, base: Annotated[str, Depends(service_url)], n: Calls = 10) -> dict[str, Any]:
    client = request.state.client
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(call(client, f"{base}/api/items/{i}")) for i in range(n)]
    return summary([t.result() for t in tasks])


async def bounded(request: Request, base: Annotated[str, Depends(service_url)], n: Calls = 10) -> dict[str, Any]:
    client, bound = request.state.client, request.state.bound
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(bounded_call(bound, client, f"{base}/api/items/{i}")) for i in range(n)]
    return summary([t.result() for t in tasks])


def create_app(service: str | None = None) -> FastAPI:
    app = FastAPI(title="ch05: bounding concurrency with a semaphore", lifespan=lifespan)
    app.state.service = configured(service)
    app.get("/unbounded")(unbounded)
    app.get("/bounded")(bounded)
    return app


app = create_app()
