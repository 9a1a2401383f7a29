"""A dependency that yields a session, commits after `yield` and rolls back on error, declared `scope="function"`.

FastAPI runs its exit code when the handler returns, before the response is sent: a failed commit is a 409.
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

SCOPE = "function"


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.state.sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


@app.post("/signups", status_code=201)
async def signups(
    batch: list[ch03.Signup], session: Annotated[AsyncSession, Depends(get_session, scope=SCOPE)]
) -> dict[str, int]:
    session.add_all(models.Signup(name=s.name, email=s.email) for s in batch)
    return {"added": len(batch)}
