"""An engine made in the handler, to "be sure the queries are independent": one engine per request."""

import asyncio  # noqa: F401  (imported as the notebook cell has it)
from typing import Any

from fastapi import FastAPI, Request  # noqa: F401
from sqlalchemy import func, select

from course_app.chapters.ch03_databases import Order, User, sqla_app

app = FastAPI(lifespan=sqla_app.lifespan)
USERS = select(User.name).order_by(User.id).limit(10)
ORDERS = select(Order.id).order_by(Order.id).limit(10)
TOTAL = select(func.count(User.id))

EXPECTED = "an engine was made per request"
MISTAKE = "per request"


@app.get("/dashboard")
async def dashboard(request: Request) -> dict[str, Any]:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(request.app.state.sqlalchemy_url)
    async with engine.connect() as conn:
        users = (await conn.scalars(USERS)).all()
        orders = (await conn.scalars(ORDERS)).all()
        total = await conn.scalar(TOTAL)
    return {"users": list(users), "orders": list(orders), "total_users": total}
