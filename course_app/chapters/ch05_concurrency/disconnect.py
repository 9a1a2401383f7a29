"""When the client goes away: what happens to the calls a handler is waiting for.

uvicorn does not cancel a plain route's handler when its client disconnects: it only marks the request, and
``receive()`` answers ``http.disconnect`` to whoever asks. So:

* ``/plain/user/{id}``: three calls in a task group; a client that gives up leaves them running to the end,
  and the answer goes nowhere;
* ``/watched/user/{id}``: the same task group, with one more task that waits for the disconnect
  (:func:`.common.until_disconnected`) and cancels the group: the calls are cancelled when the client leaves.
"""

from typing import Annotated, Any

import anyio
import httpx
from fastapi import Depends, FastAPI, HTTPException, Path, Request

from .common import (
    SERVICE_ENV,
    configured,
    first_http_error,
    one_client,
    service_failed,
    service_url,
    until_disconnected,
)

NEEDS = {SERVICE_ENV: "the service it calls: python3 run.py serve 05 --app service"}

UserId = Annotated[int, Path(ge=1, le=10**9)]
PARTS = {"profile": "", "posts": "/posts", "comments": "/comments"}


async def three_calls(tg: anyio.abc.TaskGroup, client: httpx.AsyncClient, base: str, user_id: int) -> dict[str, Any]:
    results: dict[str, Any] = {}

    async def into(key: str, url: str) -> None:
        response = await client.get(url)
        response.raise_for_status()
        results[key] = response.json()

    for key, part in PARTS.items():
        tg.start_soon(into, key, f"{base}/api/users/{user_id}{part}")
    return results


async def plain(user_id: UserId, request: Request, base: Annotated[str, Depends(service_url)]) -> dict[str, Any]:
    try:
        async with anyio.create_task_group() as tg:
            results = await three_calls(tg, request.state.client, base, user_id)
    except* httpx.HTTPError as group:
        raise service_failed(first_http_error(group)) from None
    return results


async def watched(user_id: UserId, request: Request, base: Annotated[str, Depends(service_url)]) -> dict[str, Any]:
    gone = False

    async def watch(scope: anyio.CancelScope) -> None:
        nonlocal gone
        await until_disconnected(request)
        gone = True
        scope.cancel()  # the calls, and this handler's wait for them

    try:
        async with anyio.create_task_group() as outer:
            outer.start_soon(watch, outer.cancel_scope)
            async with anyio.create_task_group() as tg:
                results = await three_calls(tg, request.state.client, base, user_id)
            outer.cancel_scope.cancel()  # the calls are done: stop watching
    except* httpx.HTTPError as group:
        raise service_failed(first_http_error(group)) from None
    if gone:
        raise HTTPException(499, "the client went away: its calls were cancelled")  # nobody reads it
    return results


def create_app(service: str | None = None) -> FastAPI:
    app = FastAPI(title="ch05: cancellation when the client goes away", lifespan=one_client)
    app.state.service = configured(service)
    app.get("/plain/user/{user_id}")(plain)
    app.get("/watched/user/{user_id}")(watched)
    return app


app = create_app()
