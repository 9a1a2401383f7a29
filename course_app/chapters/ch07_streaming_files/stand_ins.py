"""What the seed's streaming section leaves undefined or makes up, replaced by the course's; read at each call.

* ``DATA_FOLDER`` stands for the seed's ``/data/`` folder. By default it is a folder that does not exist (so
  every name is missing, and no ``../`` can climb out of it: the kernel resolves ``..`` only through folders
  that exist); :func:`data_folder` points it at a real one for the length of a ``with`` block.
* :func:`fetch_users_batch` is the seed's undefined helper: ``batch_size`` users from ``offset``, paged with
  ``LIMIT``/``OFFSET`` as its name and arguments say, from the course's PostgreSQL (``$COURSE_DATABASE_URL``).
  The seed does not say where its connection comes from; the simplest reading opens one per call, and so does
  this stand-in. Its ``users`` is the seed data's (schema ``course``) unless the URL names a ``search_path``.
* :func:`fetch_section_data` is the seed's other undefined helper: a small summary per report section, after
  ``SECTION_DELAY`` seconds of "work". :func:`section_delay` scales the seed's ``asyncio.sleep(0.5)`` down too,
  and :func:`failing_section` makes one section's data source fail, to see what a reader of the report gets.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import Any, NamedTuple

import asyncpg

from .._postgres import DB_ENV

DATA_FOLDER = os.path.join(tempfile.gettempdir(), "course-ch07-no-such-folder", "data")
SEED_SLEEP = 0.5  # the seed's own `await asyncio.sleep(0.5)` per section of the report
SECTION_DELAY = 0.0  # the stand-in fetch_section_data's own work, in seconds
FAILING: str | None = None  # a section whose data source fails (see failing_section)
NOWHERE = "postgresql://user:pass@127.0.0.1:9/db"  # nothing listens on the discard port


def data() -> str:
    """The folder the seed's ``/data/`` stands for, right now."""
    return DATA_FOLDER


@contextlib.contextmanager
def data_folder(path: str | os.PathLike[str]) -> Iterator[None]:
    """Serve the seed's downloads from ``path`` inside the block."""
    global DATA_FOLDER
    saved, DATA_FOLDER = DATA_FOLDER, os.fspath(path)
    try:
        yield
    finally:
        DATA_FOLDER = saved


@contextlib.contextmanager
def section_delay(seed_sleep: float, work: float = 0.0) -> Iterator[None]:
    """The seed's per-section ``asyncio.sleep`` (and the stand-in's own work) set to other values in the block."""
    global SEED_SLEEP, SECTION_DELAY
    saved = SEED_SLEEP, SECTION_DELAY
    SEED_SLEEP, SECTION_DELAY = seed_sleep, work
    try:
        yield
    finally:
        SEED_SLEEP, SECTION_DELAY = saved


@contextlib.contextmanager
def failing_section(section: str) -> Iterator[None]:
    """``fetch_section_data(section)`` raises inside the block, as a data source that is down would."""
    global FAILING
    saved, FAILING = FAILING, section
    try:
        yield
    finally:
        FAILING = saved


class SectionUnavailable(RuntimeError):
    """A section's data source failed."""


class User(NamedTuple):
    id: int
    name: str
    email: str


async def fetch_users_batch(offset: int, batch_size: int) -> list[User]:
    """``batch_size`` users from ``offset``, in id order: one connection per call, one LIMIT/OFFSET query."""
    url = os.environ.get(DB_ENV, "").strip() or NOWHERE
    settings = {} if "search_path=" in url else {"search_path": "course"}
    conn = await asyncpg.connect(url, timeout=5, server_settings=settings)
    try:
        rows = await conn.fetch("SELECT id, name, email FROM users ORDER BY id LIMIT $1 OFFSET $2", batch_size, offset)
    finally:
        await conn.close()
    return [User(*row) for row in rows]


async def fetch_section_data(section: str) -> dict[str, Any]:
    """A made-up summary of one section of the report."""
    await asyncio.sleep(SECTION_DELAY)
    if section == FAILING:
        raise SectionUnavailable(f"the {section} data source did not answer")
    return {"section": section, "rows": len(section) * 1000, "status": "ok"}
