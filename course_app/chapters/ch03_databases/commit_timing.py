"""The seed's ``get_db``, as written, behind a route that writes; and the same dependency with ``scope="function"``.

Both routes add the batch to the session and return; the dependency commits after its ``yield``. The app notes,
on one clock (``time.perf_counter``, shared with the notebook: the server runs in its process), when the
response's last byte was handed to the server and when SQLAlchemy issued ``COMMIT``. The unique check on
``email`` is deferred to the commit (:mod:`.models`), so a duplicate makes the commit itself fail.
"""

import time
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import seed_as_pasted
from .common import DB_ENV, Signup
from .models import Signup as SignupRow

#: what this app needs from outside: the seed's engine reads it when seed_as_pasted is imported
NEEDS = {DB_ENV: "a PostgreSQL URL (postgresql://...), set before the app is imported (the seed makes its engine then)"}

#: (perf_counter, what) for every request: "handler returned", "response sent", "COMMIT issued", "COMMIT failed"
TIMELINE: list[tuple[float, str]] = []


def note(what: str) -> None:
    TIMELINE.append((time.perf_counter(), what))


@event.listens_for(seed_as_pasted.engine.sync_engine, "commit")
def _commit(conn: Any) -> None:
    note("COMMIT issued")


@event.listens_for(seed_as_pasted.engine.sync_engine, "handle_error")
def _failed(context: Any) -> None:
    note(
        "COMMIT failed"
        if "COMMIT" in str(context.statement or "").upper() or context.statement is None
        else "query failed"
    )


class NoteResponseSent:
    """ASGI middleware: notes the moment the response's last body chunk goes to the server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                note("response sent")

        await self.app(scope, receive, sending)


app = FastAPI(title="ch03: when does the seed's get_db commit?")
app.add_middleware(NoteResponseSent)
Batch = Annotated[list[Signup], Body(min_length=1, max_length=100)]


@app.post("/signups/seed", status_code=201)
async def with_the_seeds_get_db(
    batch: Batch, db: Annotated[AsyncSession, Depends(seed_as_pasted.get_db)]
) -> dict[str, int]:
    db.add_all(SignupRow(name=s.name, email=s.email) for s in batch)
    note("handler returned")
    return {"added": len(batch)}


@app.post("/signups/fixed", status_code=201)
async def with_scope_function(
    batch: Batch, db: Annotated[AsyncSession, Depends(seed_as_pasted.get_db, scope="function")]
) -> dict[str, int]:
    db.add_all(SignupRow(name=s.name, email=s.email) for s in batch)
    note("handler returned")
    return {"added": len(batch)}


@app.exception_handler(sa_exc.IntegrityError)
async def duplicate(request: Request, exc: sa_exc.IntegrityError) -> JSONResponse:
    return JSONResponse({"detail": "an email of this batch is already signed up; nothing was written"}, 409)


@app.exception_handler(sa_exc.DBAPIError)
async def database_error(request: Request, exc: sa_exc.DBAPIError) -> JSONResponse:
    return JSONResponse({"detail": f"the database refused the batch: {type(exc.orig).__name__}"}, 503)


@app.exception_handler(OSError)
async def database_down(request: Request, exc: OSError) -> JSONResponse:
    return JSONResponse({"detail": f"the database did not answer: {type(exc).__name__}"}, 503)
