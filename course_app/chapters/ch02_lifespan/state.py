"""Two places for what the lifespan makes: ``app.state`` (one per app object) and the lifespan state (one per run).

The lifespan yields a dict; the server keeps it for that run of the lifespan and hands every request a
shallow copy of it as ``request.state``. ``app.state`` is an attribute of the app object: every server and
test client that runs this one app object shares it, and it outlives the lifespan.
"""

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request

_runs = itertools.count(1)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    run = next(_runs)
    async with httpx.AsyncClient() as client:
        app.state.client, app.state.run = client, run  # one attribute per app object: the last run wins
        yield {"client": client, "run": run}  # this run's own, read back as request.state


app = FastAPI(title="ch02: app.state vs the lifespan state", lifespan=lifespan)


@app.get("/whose")
async def whose(request: Request) -> dict[str, Any]:
    """Which run's client each place holds, and whether that client is still open."""
    return {
        "lifespan state": {"run": request.state.run, "closed": request.state.client.is_closed},
        "app.state": {"run": request.app.state.run, "closed": request.app.state.client.is_closed},
    }
