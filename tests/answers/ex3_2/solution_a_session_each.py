"""Each query on a session of its own, gathered: three connections from the pool, really at the same time.

Right too; worth it when the queries are slow, and it takes three of the pool's connections per request.
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

EXPECTED = None


@app.get("/dashboard")
async def dashboard(request: Request) -> dict[str, Any]:
    async def run(query: Any, many: bool) -> Any:
        async with request.state.sessions() as session:
            return (await session.scalars(query)).all() if many else await session.scalar(query)

    users, orders, total = await asyncio.gather(run(USERS, True), run(ORDERS, True), run(TOTAL, False))
    return {"users": list(users), "orders": list(orders), "total_users": total}
