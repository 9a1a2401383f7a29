"""The two helpers the seed's lifespan calls but never shows, ``create_db_pool()`` and ``create_redis_client()``.

The course supplies them, so that the seed's lifespan runs as written. They read where their service is from
the environment (the seed passes nothing): ``$COURSE_DATABASE_URL`` and ``$COURSE_REDIS_URL``. There is no
Redis in this course: ``create_redis_client()`` opens a TCP connection to that address, which is refused when
nothing listens there, as a Redis client's would be. When a variable is not set, the helper returns an object
whose ``close()`` does nothing and whose every other use answers 503 naming the variable.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, NoReturn
from urllib.parse import urlsplit

import asyncpg
from fastapi import HTTPException

from .common import DB_ENV, DB_TIMEOUT

REDIS_ENV = "COURSE_REDIS_URL"
SEED_APP_NAME = f"course-ch02-seed-{os.getpid()}"  # the seed pool's application_name, in pg_stat_activity


class NotConfigured:
    """Stands for a service whose address was not given."""

    def __init__(self, variable: str) -> None:
        self.variable = variable

    async def close(self) -> None:
        return None

    def __getattr__(self, name: str) -> NoReturn:
        raise HTTPException(503, f"this app was not told where its service is: set {self.variable}")


async def create_db_pool() -> Any:
    url = os.environ.get(DB_ENV, "").strip()
    if not url:
        return NotConfigured(DB_ENV)
    return await asyncpg.create_pool(
        url, min_size=2, max_size=4, timeout=DB_TIMEOUT, server_settings={"application_name": SEED_APP_NAME}
    )


class TcpClient:
    """A connection to a TCP service, with the ``close()`` a Redis client has."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def create_redis_client() -> Any:
    url = os.environ.get(REDIS_ENV, "").strip()
    if not url:
        return NotConfigured(REDIS_ENV)
    parts = urlsplit(url)
    _, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port or 6379), DB_TIMEOUT)
    return TcpClient(writer)
