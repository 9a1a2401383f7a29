"""The cell as handed out: the check run before anything was written (`raise NotImplementedError()`).

The lifespan raises, so the app never starts; the check says why.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "did not start: the exercise code is still the placeholder"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    raise NotImplementedError()
    yield
    app.state.pool.shutdown()


app = FastAPI(lifespan=lifespan)
app.include_router(ch01.ping_router)


@app.get("/cpu")
async def cpu(request: Request) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app.state.pool, ch01.cpu_work, ch01.CPU_N)
