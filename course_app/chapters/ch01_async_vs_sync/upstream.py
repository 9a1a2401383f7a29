"""A slow "external" service: ``/data`` waits ``delay`` seconds, and ``/stats`` counts callers' connections."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.peers = set()  # (host, port) of every client connection seen
    app.state.requests = 0
    yield


app = FastAPI(title="ch01: a slow external service", lifespan=lifespan)


@app.get("/data")
async def data(request: Request, delay: Annotated[float, Query(ge=0, le=5)] = 0.1) -> dict[str, Any]:
    assert request.client is not None
    request.app.state.peers.add((request.client.host, request.client.port))
    request.app.state.requests += 1
    await asyncio.sleep(delay)  # an await: it serves many callers at once
    return {"data": [1, 2, 3], "delay": delay}


@app.get("/stats")
async def stats(request: Request) -> dict[str, int]:
    """Requests served and distinct TCP connections they came on."""
    return {"requests": request.app.state.requests, "connections": len(request.app.state.peers)}


@app.delete("/stats", status_code=204)
async def reset(request: Request) -> None:
    request.app.state.peers.clear()
    request.app.state.requests = 0
