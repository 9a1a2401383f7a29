"""What really blocks the server: a blocking call, or CPU work, inside ``async def``."""

import time

from fastapi import FastAPI

from .common import CPU_N, SLEEP, cpu_work, ping_router

app = FastAPI(title="ch01: blocking calls inside async def")
app.include_router(ping_router)


@app.get("/async-blocking")
async def async_blocking() -> dict[str, str]:
    time.sleep(SLEEP)  # inside async def this runs ON the event loop: nothing else runs meanwhile
    return {"message": f"Completed after {SLEEP} s"}


@app.get("/cpu-on-loop")
async def cpu_on_loop() -> dict[str, int]:
    return cpu_work(CPU_N)  # CPU work inside async def: the loop is busy computing, nothing else runs
