"""The cell as handed out: the placeholder, and so a lifespan without `yield`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

EXPECTED = "your lifespan has no `yield`"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    raise NotImplementedError()


app = FastAPI(lifespan=lifespan)


@app.get("/status")
async def status(request: Request) -> dict[str, Any]:
    return {"client closed": request.state.client.is_closed, "beats": request.state.beats.count}
