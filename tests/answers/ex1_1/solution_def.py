"""Right: a plain `def` handler; FastAPI runs it in a worker thread."""

from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = None

app = FastAPI()
app.include_router(ch01.ping_router)


@app.get("/lookup/{key}")
def lookup(key: str) -> dict[str, str]:  # a plain def: FastAPI runs it in a worker thread
    return ch01.legacy_lookup(key)
