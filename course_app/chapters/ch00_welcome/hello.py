"""Your first live server: a greeting, and a wait that does not block."""

import asyncio

from fastapi import FastAPI, Query

app = FastAPI(title="Chapter 00: hello")


@app.get("/hello")
async def hello(name: str = Query("world", min_length=1, max_length=50)) -> dict[str, str]:
    return {"message": f"Hello, {name}!"}


@app.get("/sleep")
async def sleep(seconds: float = Query(0.2, ge=0, le=5)) -> dict[str, float]:
    """Waits without blocking: while this request sleeps, the server serves others."""
    await asyncio.sleep(seconds)
    return {"slept": seconds}
