"""Answers to exercise 5.1: the first successful price wins, failures never do, the losers are cancelled.

:func:`app_with` builds what the notebook's cell builds around the learner's code: the app, with one httpx
client from the lifespan, and ``GET /fastest-price/{product_id}``, whose body is ``first(client, urls)``.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI, Request

from course_app.chapters.ch05_concurrency.common import one_client

First = Callable[[httpx.AsyncClient, list[str]], Awaitable[Any]]


def app_with(first: First) -> FastAPI:
    app = FastAPI(lifespan=one_client)

    @app.get("/fastest-price/{product_id}")
    async def fastest_price(product_id: str, request: Request) -> Any:
        urls = [f"{request.app.state.service}/store{n}/price/{product_id}" for n in (1, 2, 3)]
        return await first(request.state.client, urls)

    return app
