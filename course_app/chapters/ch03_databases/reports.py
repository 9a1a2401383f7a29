"""Orders with their items, three ways, on one ``AsyncSession``: the N+1 queries, ``selectinload``, one join.

In async SQLAlchemy, touching ``order.items`` when it was not loaded does not quietly query (as the sync ORM
would): it raises ``MissingGreenlet``, because the query would have to block the loop. The N+1 has to be
written out (``await order.awaitable_attrs.items``), which at least makes it visible in the code.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from .models import Order, OrderItem


async def n_plus_one(session: AsyncSession, last_order: int) -> dict[int, int]:
    """Items per order for orders 1..last_order: one query for the orders, then one per order."""
    orders = (await session.scalars(select(Order).where(Order.id <= last_order).order_by(Order.id))).all()
    return {o.id: len(await o.awaitable_attrs.items) for o in orders}


async def selectin(session: AsyncSession, last_order: int) -> dict[int, int]:
    """The same with ``selectinload``: one query for the orders, one for all their items (IN (...))."""
    query = select(Order).where(Order.id <= last_order).order_by(Order.id).options(selectinload(Order.items))
    return {o.id: len(o.items) for o in (await session.scalars(query)).all()}


async def one_query(session: AsyncSession, last_order: int) -> dict[int, int]:
    """The same in one query: the database counts (a join and GROUP BY would do the same)."""
    rows = await session.execute(
        select(OrderItem.order_id, func.count()).where(OrderItem.order_id <= last_order).group_by(OrderItem.order_id)
    )
    return dict(Counter({order_id: n for order_id, n in rows.all()}))
