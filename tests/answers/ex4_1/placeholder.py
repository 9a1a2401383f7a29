"""The cell as handed out: the placeholder, and so a lifespan without `yield`.

The app cannot start; the check says why.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request

from . import app_with

EXPECTED = "your lifespan has no `yield`"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    raise NotImplementedError()


async def get_pool(request: Request) -> asyncpg.Pool:
    raise NotImplementedError()


app = app_with(lifespan, get_pool)
