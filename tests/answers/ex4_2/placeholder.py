"""The cell as handed out: the dependency still raises the placeholder's `NotImplementedError`."""

from collections.abc import AsyncIterator

import asyncpg
from fastapi import Request

from . import app_with

EXPECTED = "the exercise code is still the placeholder"


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    raise NotImplementedError()


app = app_with(connection)
