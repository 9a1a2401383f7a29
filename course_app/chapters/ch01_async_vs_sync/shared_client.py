"""One ``httpx.AsyncClient`` for the app's life: a pool of kept-alive connections, explicit timeouts, 504/502."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request

from .common import UPSTREAM_ENV, UPSTREAM_TIMEOUT, configured_upstream, ping_router, upstream_url

#: what this app needs from outside, when it is served alone (python3 run.py serve 01 --app ...)
NEEDS = {UPSTREAM_ENV: "the upstream service: python3 run.py serve 01 --app upstream"}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    async with httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT, limits=limits) as client:
        app.state.client = client  # one client, one pool of keep-alive connections, for the app's life
        yield
    # leaving the block closed the client and its connections


router = APIRouter()


@router.get("/io")
async def io_shared(
    request: Request,
    base: Annotated[str, Depends(upstream_url)],
    delay: Annotated[float, Query(ge=0, le=5)] = 0.1,
) -> Any:
    client: httpx.AsyncClient = request.app.state.client
    try:
        response = await client.get(f"{base}/data", params={"delay": delay})
        response.raise_for_status()
    except httpx.TimeoutException:
        raise HTTPException(504, f"the upstream service did not answer within {UPSTREAM_TIMEOUT} s") from None
    except httpx.HTTPError as exc:
        raise HTTPException(502, f"the upstream service failed: {type(exc).__name__}") from None
    return response.json()


def create_app(upstream: str | None = None) -> FastAPI:
    """The app, calling the upstream service at ``upstream`` (default: ``$COURSE_UPSTREAM_URL``)."""
    app = FastAPI(title="ch01: one shared httpx client", lifespan=lifespan)
    app.state.upstream_url = configured_upstream(upstream)  # read by the upstream_url dependency
    app.include_router(ping_router)
    app.include_router(router)
    return app


app = create_app()
