"""The first to answer wins: the seed's race, half fixed, and fixed.

* ``/tasks-first-done/{product_id}``: the seed's code with its coroutines wrapped in tasks, the fix its
  ``TypeError`` suggests. It runs, and the first call to **finish** wins, a failure as well as a price: its
  exception is re-raised (a 500, the lesson here);
* ``/fastest-price/{product_id}``: the first **successful** answer wins; failures are set aside; the losers are
  cancelled, and awaited, before the handler answers. When every store fails: a 502 that says so.
"""

import asyncio
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Path, Request

from .common import SERVICE_ENV, configured, one_client, service_failed, service_url

NEEDS = {SERVICE_ENV: "the service it calls: python3 run.py serve 05 --app service"}

STORES = (1, 2, 3)
ProductId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,40}$")]


async def tasks_first_done(product_id: ProductId, request: Request, base: Annotated[str, Depends(service_url)]) -> Any:
    client: httpx.AsyncClient = request.state.client
    tasks = [asyncio.create_task(client.get(f"{base}/store{n}/price/{product_id}")) for n in STORES]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    result = done.pop().result()
    result.raise_for_status()  # or not: then the failure's body is the answer, with a 200
    return result.json()


async def price(client: httpx.AsyncClient, url: str) -> Any:
    response = await client.get(url)
    response.raise_for_status()
    return response.json()


async def fastest_price(product_id: ProductId, request: Request, base: Annotated[str, Depends(service_url)]) -> Any:
    client: httpx.AsyncClient = request.state.client
    pending = {asyncio.create_task(price(client, f"{base}/store{n}/price/{product_id}")) for n in STORES}
    failures: list[BaseException] = []
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = task.exception()
                if error is None:
                    return task.result()  # the first success wins
                if not isinstance(error, httpx.HTTPError):
                    raise error  # a bug, not a store that failed
                failures.append(error)
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)  # the losers are gone before the answer leaves
    raise service_failed(failures[0])


def create_app(service: str | None = None) -> FastAPI:
    app = FastAPI(title="ch05: the first to answer wins", lifespan=one_client)
    app.state.service = configured(service)
    app.get("/tasks-first-done/{product_id}")(tasks_first_done)
    app.get("/fastest-price/{product_id}")(fastest_price)
    return app


app = create_app()
