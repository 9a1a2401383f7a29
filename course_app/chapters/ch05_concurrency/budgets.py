"""A timeout on every call, and a total budget for a handler that makes several.

Both routes make three calls one after another (each needs the one before, say), each with its own timeout
(``?call_timeout=``, httpx's ``timeout=`` on the call):

* ``/per-call/user/{id}``: that is all. A call over its timeout is a 504; but three calls that each stay under it
  add up, and the handler may take three timeouts;
* ``/budget/user/{id}``: the same, inside ``asyncio.timeout(budget)``: however the time is spent, the handler
  answers within its budget, a 504 that says which ran out.
"""

import asyncio
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request

from .common import SERVICE_ENV, configured, one_client, service_failed, service_url

NEEDS = {SERVICE_ENV: "the service it calls: python3 run.py serve 05 --app service"}

UserId = Annotated[int, Path(ge=1, le=10**9)]
Seconds = Annotated[float, Query(gt=0, le=10)]
PARTS = ("", "/posts", "/comments")


async def one_after_another(client: httpx.AsyncClient, base: str, user_id: int, timeout: float) -> list[Any]:
    answers = []
    for part in PARTS:
        response = await client.get(f"{base}/api/users/{user_id}{part}", timeout=timeout)
        response.raise_for_status()
        answers.append(response.json())
    return answers


async def per_call(
    user_id: UserId, request: Request, base: Annotated[str, Depends(service_url)], call_timeout: Seconds = 1.0
) -> list[Any]:
    try:
        return await one_after_another(request.state.client, base, user_id, call_timeout)
    except httpx.HTTPError as exc:
        raise service_failed(exc) from None


async def with_budget(
    user_id: UserId,
    request: Request,
    base: Annotated[str, Depends(service_url)],
    call_timeout: Seconds = 1.0,
    budget: Seconds = 1.5,
) -> list[Any]:
    try:
        async with asyncio.timeout(budget):
            return await one_after_another(request.state.client, base, user_id, call_timeout)
    except TimeoutError:
        raise HTTPException(504, f"the handler's budget of {budget:g} s ran out before its three calls") from None
    except httpx.HTTPError as exc:
        raise service_failed(exc) from None


def create_app(service: str | None = None) -> FastAPI:
    app = FastAPI(title="ch05: timeouts and a budget", lifespan=one_client)
    app.state.service = configured(service)
    app.get("/per-call/user/{user_id}")(per_call)
    app.get("/budget/user/{user_id}")(with_budget)
    return app


app = create_app()
