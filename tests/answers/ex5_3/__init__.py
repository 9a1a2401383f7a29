"""Answers to exercise 5.3: three calls in a row, a timeout on each, a budget for the handler, 504 when either runs
out and 502 when a call fails.

:func:`app_with` builds what the notebook's cell builds around the learner's code: the app, with one httpx client
from the lifespan, and ``GET /user/{user_id}``, whose body is ``three(client, urls)``.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI, Request

from course_app.chapters.ch05_concurrency.common import one_client

CALL_TIMEOUT, BUDGET = 0.3, 0.5
Three = Callable[[httpx.AsyncClient, list[str]], Awaitable[Any]]


def app_with(three: Three) -> FastAPI:
    app = FastAPI(lifespan=one_client)

    @app.get("/user/{user_id}")
    async def user(user_id: int, request: Request) -> Any:
        base = request.app.state.service
        urls = [f"{base}/api/users/{user_id}{part}" for part in ("", "/posts", "/comments")]
        return await three(request.state.client, urls)

    return app
