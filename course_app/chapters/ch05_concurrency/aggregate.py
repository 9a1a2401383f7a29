"""The seed's "parallel API calls", three ways, with one client from the lifespan and ``raise_for_status()``:

* ``/gather/user/{id}``: ``asyncio.gather``, as the seed. The first failure reaches the handler at once, and the
  other calls **keep running**: nothing cancels them, their answers are thrown away;
* ``/taskgroup/user/{id}``: ``asyncio.TaskGroup`` (Python 3.11). The first failure cancels the others, and the
  task group waits for them to finish before it raises;
* ``/anyio/user/{id}``: anyio's task group, which FastAPI and Starlette themselves use: the same behaviour;
* ``/taskgroup-narrow/user/{id}``: a TaskGroup caught with a plain ``except httpx.HTTPError``. A task group
  raises an ``ExceptionGroup``, which that clause does not catch: a 500 (the lesson). ``except*`` catches it.

A call that failed is a 502 and a call too slow a 504, for the handler's client (:func:`.common.service_failed`).
"""

import asyncio
from typing import Annotated, Any

import anyio
import httpx
from fastapi import Depends, FastAPI, Path, Request

from .common import SERVICE_ENV, configured, first_http_error, one_client, service_failed, service_url

#: what this app needs from outside, when it is served alone (python3 run.py serve 05 --app ...)
NEEDS = {SERVICE_ENV: "the service it calls: python3 run.py serve 05 --app service"}

UserId = Annotated[int, Path(ge=1, le=10**9)]
PARTS = ("", "/posts", "/comments")  # profile, posts, comments


async def fetch(client: httpx.AsyncClient, url: str) -> Any:
    response = await client.get(url)
    response.raise_for_status()  # a 503 from the service is a failure, not data
    return response.json()


def urls(base: str, user_id: int) -> list[str]:
    return [f"{base}/api/users/{user_id}{part}" for part in PARTS]


async def with_gather(user_id: UserId, request: Request, base: Annotated[str, Depends(service_url)]) -> dict[str, Any]:
    client: httpx.AsyncClient = request.state.client
    try:
        profile, posts, comments = await asyncio.gather(*(fetch(client, u) for u in urls(base, user_id)))
    except httpx.HTTPError as exc:
        raise service_failed(exc) from None
    return {"profile": profile, "posts": posts, "comments": comments}


async def with_taskgroup(
    user_id: UserId, request: Request, base: Annotated[str, Depends(service_url)]
) -> dict[str, Any]:
    client: httpx.AsyncClient = request.state.client
    try:
        async with asyncio.TaskGroup() as tg:
            profile, posts, comments = [tg.create_task(fetch(client, u)) for u in urls(base, user_id)]
    except* httpx.HTTPError as group:
        raise service_failed(first_http_error(group)) from None
    return {"profile": profile.result(), "posts": posts.result(), "comments": comments.result()}


async def with_anyio(user_id: UserId, request: Request, base: Annotated[str, Depends(service_url)]) -> dict[str, Any]:
    client: httpx.AsyncClient = request.state.client
    results: dict[str, Any] = {}

    async def into(key: str, url: str) -> None:
        results[key] = await fetch(client, url)

    try:
        async with anyio.create_task_group() as tg:
            for key, url in zip(("profile", "posts", "comments"), urls(base, user_id), strict=True):
                tg.start_soon(into, key, url)
    except* httpx.HTTPError as group:
        raise service_failed(first_http_error(group)) from None
    return results


async def with_taskgroup_caught_narrowly(
    user_id: UserId, request: Request, base: Annotated[str, Depends(service_url)]
) -> dict[str, Any]:
    client: httpx.AsyncClient = request.state.client
    try:
        async with asyncio.TaskGroup() as tg:
            profile, posts, comments = [tg.create_task(fetch(client, u)) for u in urls(base, user_id)]
    except httpx.HTTPError as exc:  # never true: the task group raises an ExceptionGroup that holds the error
        raise service_failed(exc) from None
    return {"profile": profile.result(), "posts": posts.result(), "comments": comments.result()}


def create_app(service: str | None = None) -> FastAPI:
    """The app, calling the service at ``service`` (default: ``$COURSE_SERVICE_URL``)."""
    app = FastAPI(title="ch05: gather, TaskGroup, anyio", lifespan=one_client)
    app.state.service = configured(service)
    app.get("/gather/user/{user_id}")(with_gather)
    app.get("/taskgroup/user/{user_id}")(with_taskgroup)
    app.get("/anyio/user/{user_id}")(with_anyio)
    app.get("/taskgroup-narrow/user/{user_id}")(with_taskgroup_caught_narrowly)
    return app


app = create_app()
