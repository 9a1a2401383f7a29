"""The handler commits (`await session.commit()` before `return`); the dependency only closes and rolls back.

Also right: the commit runs inside the handler, so its failure is the handler's exception, answered with 409.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from course_app.chapters import ch03_databases as ch03
from course_app.chapters.ch03_databases import models, sqla_app

app = FastAPI(lifespan=sqla_app.lifespan)
app.exception_handler(IntegrityError)(sqla_app.integrity_error)

EXPECTED = None


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.state.sessions() as session:
        yield session


@app.post("/signups", status_code=201)
async def signups(batch: list[ch03.Signup], session: Annotated[AsyncSession, Depends(get_session)]) -> dict[str, int]:
    session.add_all(models.Signup(name=s.name, email=s.email) for s in batch)
    await session.commit()
    return {"added": len(batch)}
