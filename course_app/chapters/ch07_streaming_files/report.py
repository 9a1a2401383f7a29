"""A generated report, streamed section by section as it is built, that tells a reader when it is cut short.

``GET /report?delay=0.1`` streams an HTML page: its heading at once, then each section as soon as its data
is there (``delay`` seconds of work each, as the seed's ``asyncio.sleep(0.5)``). What it adds to the seed's:

* a section whose data source fails becomes a paragraph that says so, and the report goes on: the status
  (200) is long gone when a section fails, so the page itself is the only place left to say it
  (``?fail=orders`` makes that section's source fail, to see it);
* the page ends with a marker, ``<!-- report complete: k of n sections -->``: a reader (or a test) that does
  not find it knows the report was cut off, by a crash or a dropped connection;
* the data is HTML-escaped before it goes into the page.
"""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query
from fastapi.responses import StreamingResponse

SECTIONS = ("users", "orders", "analytics")
Section = Literal["users", "orders", "analytics"]
MARKER = "<!-- report complete:"

app = FastAPI(title="ch07: a report streamed as it is built")


class SectionFailed(RuntimeError):
    pass


async def build_section(section: str, delay: float, fail: str | None) -> dict[str, Any]:
    """The data of one section, after ``delay`` seconds of work; fails for the section named by ``fail``."""
    await asyncio.sleep(delay)
    if section == fail:
        raise SectionFailed(f"the {section} data source did not answer")
    return {"section": section, "rows": len(section) * 1000, "status": "ok"}


async def sections(delay: float, fail: str | None) -> AsyncIterator[bytes]:
    yield b"<!doctype html><html><body><h1>Report</h1>\n"
    done = 0
    for section in SECTIONS:
        title = f"<h2>{html.escape(section.title())}</h2>"
        try:
            data = await build_section(section, delay, fail)
        except SectionFailed as exc:
            yield f'{title}<p class="error">This section could not be built: {html.escape(str(exc))}.</p>\n'.encode()
            continue
        yield f"{title}<pre>{html.escape(json.dumps(data))}</pre>\n".encode()
        done += 1
    yield f"{MARKER} {done} of {len(SECTIONS)} sections -->\n</body></html>\n".encode()


@app.get("/report")
async def report(
    delay: Annotated[float, Query(ge=0, le=2, description="seconds of work per section")] = 0.1,
    fail: Annotated[Section | None, Query(description="a section whose data source fails")] = None,
) -> StreamingResponse:
    return StreamingResponse(sections(delay, fail), media_type="text/html; charset=utf-8")
