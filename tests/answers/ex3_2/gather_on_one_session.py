"""The seed's way: the three `session.execute(...)` gathered on the one session of the request.

The first request on a fresh server, and concurrent ones, fail: the session is still opening its connection
when the second query asks for it.
"""

import asyncio  # noqa: F401  (imported as the notebook cell has it)
from typing import Any

from fastapi import FastAPI, Request  # noqa: F401
from sqlalchemy import func, select

from course_app.chapters.ch03_databases import Order, User, sqla_app

app = FastAPI(lifespan=sqla_app.lifespan)
USERS = select(User.name).order_by(User.id).limit(10)
ORDERS = select(Order.id).order_by(Order.id).limit(10)
TOTAL = select(func.count(User.id))

EXPECTED = "several queries ran at once on one session"


@app.get("/dashboard")
async def dashboard(session: sqla_app.Session) -> dict[str, Any]:
    users, orders, total = await asyncio.gather(session.execute(USERS), session.execute(ORDERS), session.execute(TOTAL))
    return {"users": list(users.scalars()), "orders": list(orders.scalars()), "total_users": total.scalar()}
