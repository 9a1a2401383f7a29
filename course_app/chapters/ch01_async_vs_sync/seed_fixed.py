"""The seed's four endpoints, fixed so that they run. The comments say what really happens."""

import asyncio
import time
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Query

from .common import (
    CPU_N,
    SLEEP,
    UPSTREAM_ENV,
    UPSTREAM_TIMEOUT,
    configured_upstream,
    cpu_work,
    ping_router,
    upstream_url,
)

#: what this app needs from outside, when it is served alone (python3 run.py serve 01 --app ...)
NEEDS = {UPSTREAM_ENV: "the upstream service: python3 run.py serve 01 --app upstream"}

router = APIRouter()


@router.get("/sync")
def sync_endpoint() -> dict[str, str]:
    time.sleep(SLEEP)  # blocks one worker thread of the pool, not the server
    return {"message": f"Completed after {SLEEP} s"}


@router.get("/async")
async def async_endpoint() -> dict[str, str]:
    await asyncio.sleep(SLEEP)  # other requests are served meanwhile
    return {"message": f"Completed after {SLEEP} s"}


@router.get("/cpu-intensive")
def cpu_intensive() -> dict[str, int]:
    return cpu_work(CPU_N)  # in a worker thread: the loop stays free, but the GIL allows one at a time


@router.get("/io-intensive")
async def io_intensive(
    base: Annotated[str, Depends(upstream_url)], delay: Annotated[float, Query(ge=0, le=5)] = 0.1
) -> Any:
    # The seed's pattern, a new client per request. Fixed: httpx is imported, the URL exists, a timeout is set.
    async with httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT) as client:
        response = await client.get(f"{base}/data", params={"delay": delay})
        return response.json()


def create_app(upstream: str | None = None) -> FastAPI:
    """The app, calling the upstream service at ``upstream`` (default: ``$COURSE_UPSTREAM_URL``)."""
    app = FastAPI(title="ch01: the seed's four endpoints, fixed")
    app.state.upstream_url = configured_upstream(upstream)  # read by the upstream_url dependency
    app.include_router(ping_router)
    app.include_router(router)
    return app


app = create_app()
