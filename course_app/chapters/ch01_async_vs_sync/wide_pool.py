"""More worker threads: the limit is set in the lifespan, which runs on the server's own loop."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from .common import ping_router
from .seed_fixed import sync_endpoint


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # anyio keeps one limiter per event loop; the lifespan runs on the server's loop
    anyio.to_thread.current_default_thread_limiter().total_tokens = 100
    yield


app = FastAPI(title="ch01: 100 worker threads", lifespan=lifespan)
app.include_router(ping_router)
app.get("/sync")(sync_endpoint)  # the seed's /sync, unchanged
