"""The seed's SSE intervals, read by its code at each step, so that a notebook cell can watch them pass faster.

``TICK`` stands for the finite stream's ``await asyncio.sleep(1)``, ``UPDATE_EVERY`` for the updates' ``2``,
``HEARTBEAT_EVERY`` for the heartbeat's ``30``: the seed's values by default. :func:`faster` divides all three
for the length of a ``with`` block.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

SEED_TICK, SEED_UPDATE_EVERY, SEED_HEARTBEAT_EVERY = 1.0, 2.0, 30.0  # what the seed wrote
TICK, UPDATE_EVERY, HEARTBEAT_EVERY = SEED_TICK, SEED_UPDATE_EVERY, SEED_HEARTBEAT_EVERY


@contextlib.contextmanager
def faster(factor: float) -> Iterator[None]:
    """The seed's three intervals divided by ``factor`` inside the block."""
    global TICK, UPDATE_EVERY, HEARTBEAT_EVERY
    if not factor > 0:
        raise ValueError("factor must be a positive number")
    saved = TICK, UPDATE_EVERY, HEARTBEAT_EVERY
    TICK, UPDATE_EVERY, HEARTBEAT_EVERY = (
        value / factor for value in (SEED_TICK, SEED_UPDATE_EVERY, SEED_HEARTBEAT_EVERY)
    )
    try:
        yield
    finally:
        TICK, UPDATE_EVERY, HEARTBEAT_EVERY = saved
