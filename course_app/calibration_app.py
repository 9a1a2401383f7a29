"""The app :func:`course_app.load.calibrate` measures against: the ideal is known exactly."""

import asyncio

from fastapi import FastAPI, Query

app = FastAPI(title="course-calibration")


@app.get("/sleep")
async def sleep(t: float = Query(0.2, ge=0, le=5)) -> dict[str, float]:
    """N concurrent calls take ``t`` seconds in all: the sleeps overlap."""
    await asyncio.sleep(t)
    return {"slept": t}


@app.get("/noop")
async def noop() -> dict[str, bool]:
    """The cheapest route FastAPI can serve: the client's throughput ceiling."""
    return {"ok": True}
