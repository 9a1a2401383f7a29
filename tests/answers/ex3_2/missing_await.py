"""`session.scalar(TOTAL)` without `await`: the handler puts a coroutine in its answer."""

import asyncio  # noqa: F401  (imported as the notebook cell has it)
from typing import Any

from fastapi import FastAPI, Request  # noqa: F401
from sqlalchemy import func, select

from course_app.chapters.ch03_databases import Order, User, sqla_app

app = FastAPI(lifespan=sqla_app.lifespan)
USERS = select(User.name).order_by(User.id).limit(10)
ORDERS = select(Order.id).order_by(Order.id).limit(10)
TOTAL = select(func.count(User.id))

EXPECTED = "an async function was called without `await`"
MISTAKE = "await"


@app.get("/dashboard")
async def dashboard(session: sqla_app.Session) -> dict[str, Any]:
    users = (await session.scalars(USERS)).all()
    orders = (await session.scalars(ORDERS)).all()
    total = session.scalar(TOTAL)
    return {"users": list(users), "orders": list(orders), "total_users": total}
