"""`create_async_engine(...)` inside the dependency: a new engine, and a new pool of connections, for every request.

Each request connects afresh (tens of milliseconds) and leaves its pool's connection open until the engine is
garbage-collected.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from course_app.chapters import ch03_databases as ch03
from course_app.chapters.ch03_databases import models, sqla_app

app = FastAPI(lifespan=sqla_app.lifespan)
app.exception_handler(IntegrityError)(sqla_app.integrity_error)

EXPECTED = "an engine (and its pool) was made per request"
MISTAKE = "per request"


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(request.app.state.sqlalchemy_url)
    async with async_sessionmaker(engine)() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


@app.post("/signups", status_code=201)
async def signups(
    batch: list[ch03.Signup], session: Annotated[AsyncSession, Depends(get_session, scope="function")]
) -> dict[str, int]:
    session.add_all(models.Signup(name=s.name, email=s.email) for s in batch)
    return {"added": len(batch)}
