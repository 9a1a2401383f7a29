"""The cell as handed out: the check run before anything was written (`raise NotImplementedError()`).

The lifespan raises, so the app never starts; the check says why.
"""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "did not start: the exercise code is still the placeholder"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    raise NotImplementedError()
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/work")
def work() -> dict[str, float]:
    time.sleep(ch01.SLEEP)
    return {"slept": ch01.SLEEP}
