"""The seed's ``@app.on_event("startup")`` beside a ``lifespan=``: which of the two runs?

FastAPI 0.165 still accepts ``on_event`` (deprecated: it warns when called). It keeps the handlers in
``app.router.on_startup`` / ``on_shutdown`` and runs them from its default lifespan, the one an app gets
when it is given no ``lifespan=``. Give it one, and the handlers are kept but never called.
"""

import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

#: what ran, in order, in each app of this module (the notebook reads it back)
RAN: list[str] = []


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    RAN.append("lifespan: startup")
    yield
    RAN.append("lifespan: shutdown")


async def startup() -> None:
    RAN.append("on_event: startup")


async def shutdown() -> None:
    RAN.append("on_event: shutdown")


def build(with_lifespan: bool) -> FastAPI:
    app = FastAPI(title="ch02: on_event, with and without lifespan=", lifespan=lifespan if with_lifespan else None)
    with warnings.catch_warnings(
        record=True
    ) as caught:  # the notebook shows these warnings; tests turn them into errors
        warnings.simplefilter("always")
        app.on_event("startup")(startup)
        app.on_event("shutdown")(shutdown)
    app.state.warnings = [str(w.message).split("\n\n")[0].strip() for w in caught]

    @app.get("/ran")
    async def ran(request: Request) -> dict[str, list[str]]:
        return {"ran": RAN, "registered": [f.__name__ for f in request.app.router.on_startup]}

    return app


app = build(with_lifespan=True)  # both: the seed's handlers and a lifespan
only_on_event = build(with_lifespan=False)
