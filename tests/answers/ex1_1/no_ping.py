"""A right handler, but the line that includes `ch01.ping_router` was deleted.

The check pings the app to see whether the loop is free; without GET /ping it cannot, and it says which line to
keep.
"""

from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "your app has no GET /ping, which the check uses to see whether the loop is free"

app = FastAPI()  # the line that includes ch01.ping_router was deleted


@app.get("/lookup/{key}")
def lookup(key: str) -> dict[str, str]:
    return ch01.legacy_lookup(key)
