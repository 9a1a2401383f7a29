"""The cell as handed out: the placeholder, and so a lifespan without `yield`.

The app cannot start; the check says why.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

EXPECTED = "your lifespan has no `yield`"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    raise NotImplementedError()


app = FastAPI(lifespan=lifespan)


@app.get("/beats")
async def beats(request: Request) -> dict[str, int]:
    return {"beats": request.state.beats.count}
