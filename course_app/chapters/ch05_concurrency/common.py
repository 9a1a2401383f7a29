"""What chapter 05's apps share: where the service they call is, one httpx client from the lifespan, the answers
for a service that failed or was slow (502, 504: never a 500 with a traceback), and how a handler learns that its
client went away.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException, Request

from .._postgres import DB_ENV as DB_ENV

SERVICE_ENV = "COURSE_SERVICE_URL"  # where the apps find the service they call, when not told in code
CALL_TIMEOUT = 2.0  # seconds any one call to the service may take, unless an app says otherwise


def configured(value: str | None, variable: str = SERVICE_ENV) -> str | None:
    """The URL an app is created with: the one given, else ``$variable``, else None."""
    return (value or os.environ.get(variable, "").strip() or "").rstrip("/") or None


def no_service() -> HTTPException:
    return HTTPException(503, f"this app calls a service and was not told where: create_app(url), or set {SERVICE_ENV}")


def service_url(request: Request) -> str:
    """A dependency: the service's base URL, or a clear 503 when the app was not told where it is."""
    url: str | None = request.app.state.service
    if not url:
        raise no_service()
    return url


@asynccontextmanager
async def one_client(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    """A lifespan: one ``httpx.AsyncClient`` for the app (chapter 04), with a timeout on every call."""
    async with httpx.AsyncClient(timeout=CALL_TIMEOUT) as client:
        yield {"client": client}


def service_failed(exc: BaseException) -> HTTPException:
    """What the handler's client gets when a call failed: 504 when the service was too slow, 502 otherwise."""
    if isinstance(exc, httpx.TimeoutException):
        return HTTPException(504, f"the service did not answer in time ({type(exc).__name__})")
    if isinstance(exc, httpx.HTTPStatusError):
        path = exc.request.url.path
        return HTTPException(502, f"the service failed: {path} answered {exc.response.status_code}")
    return HTTPException(502, f"the service could not be reached: {type(exc).__name__}")


def first_http_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first httpx error inside an exception group (task groups raise them), however deeply nested."""
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return first_http_error(exc)
        return exc
    return group


async def until_disconnected(request: Request) -> None:
    """Return when the client has gone away.

    After the request's body, uvicorn's ``receive()`` waits until the connection closes (or the response is
    sent), then answers ``http.disconnect``. Nothing else tells a plain route's handler: uvicorn does not cancel it.
    """
    while (await request.receive())["type"] != "http.disconnect":
        pass
