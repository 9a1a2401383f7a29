"""One ``httpx.AsyncClient`` from the lifespan, with its limits spelled out, calling another service.

* ``max_connections``: at most this many calls in flight to the service; the next one waits for a connection;
* ``max_keepalive_connections``: how many idle connections are kept open for the next calls (the rest close);
* the ``pool`` timeout: how long a call may wait for a free connection. Past it, httpx raises ``PoolTimeout``,
  which this app answers with a clear 503; a service that is slow to answer gets a 504, a broken one a 502.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, HTTPException, Query, Request

from .common import UPSTREAM_ENV, configured

#: what this app needs from outside, when it is served alone (python3 run.py serve 04 --app ...)
NEEDS = {UPSTREAM_ENV: "the service it calls: python3 run.py serve 01 --app upstream"}


@dataclass(frozen=True)
class ClientSettings:
    max_connections: int = 10
    max_keepalive_connections: int = 10
    pool_timeout: float = 1.0  # seconds a call may wait for a free connection
    read_timeout: float = 5.0  # seconds the service may take to answer


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    s: ClientSettings = app.state.settings
    limits = httpx.Limits(max_connections=s.max_connections, max_keepalive_connections=s.max_keepalive_connections)
    timeout = httpx.Timeout(5.0, read=s.read_timeout, pool=s.pool_timeout)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        yield {"client": client}


def upstream(request: Request) -> str:
    """A dependency: the service's base URL, or a clear 503 when the app was not told where it is."""
    url: str | None = request.app.state.upstream
    if not url:
        raise HTTPException(
            503, f"this app calls a service and was not told where: create_app(url), or set {UPSTREAM_ENV}"
        )
    return url


async def call(
    request: Request,
    base: Annotated[str, Depends(upstream)],
    delay: Annotated[float, Query(ge=0, le=5)] = 0.1,
) -> Any:
    client: httpx.AsyncClient = request.state.client
    s: ClientSettings = request.app.state.settings
    try:
        response = await client.get(f"{base}/data", params={"delay": delay})
        response.raise_for_status()
    except httpx.PoolTimeout:  # before TimeoutException, which it is
        raise HTTPException(
            503,
            f"all {s.max_connections} connections to the service stayed busy for {s.pool_timeout:g} s: try again shortly",
            headers={"Retry-After": "1"},
        ) from None
    except httpx.TimeoutException:
        raise HTTPException(504, f"the service did not answer within {s.read_timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise HTTPException(502, f"the service failed: {type(exc).__name__}") from None
    return response.json()


def create_app(upstream_url: str | None = None, settings: ClientSettings | None = None) -> FastAPI:
    """The app, calling the service at ``upstream_url`` (default: ``$COURSE_UPSTREAM_URL``) with ``settings``."""
    app = FastAPI(title="ch04: httpx limits for calls to another service", lifespan=lifespan)
    app.state.upstream = configured(upstream_url, UPSTREAM_ENV)
    app.state.settings = settings or ClientSettings()
    app.get("/call")(call)
    return app


app = create_app()
