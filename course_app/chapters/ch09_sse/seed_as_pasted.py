# ruff: noqa  (the seed as written: its style is part of what the chapter shows)
"""The seed's three SSE endpoints, as written.

Only the line breaks are restored (the published text lost them), and the seed's sleeps read their seconds from
:mod:`.stand_ins` (``stand_ins.TICK`` for its ``1``, ``UPDATE_EVERY`` for its ``2``, ``HEARTBEAT_EVERY`` for its
``30``; the seed's values unless a cell shortens them). Nothing is added: the seed imports neither ``json`` nor
``datetime`` and defines no ``fetch_latest_update``, and this module does not either. The ``print`` is the seed's.
"""

from fastapi import FastAPI
from sse_starlette.sse import EventSourceResponse
import asyncio

from . import stand_ins

app = FastAPI()


@app.get("/sse")
async def sse_endpoint():
    async def event_generator():
        for i in range(10):
            await asyncio.sleep(stand_ins.TICK)
            yield {"event": "message", "data": f"Message {i}"}

    return EventSourceResponse(event_generator())


@app.get("/sse/updates")
async def sse_updates():
    async def update_generator():
        while True:
            # Simulate fetching updates
            await asyncio.sleep(stand_ins.UPDATE_EVERY)
            update = await fetch_latest_update()
            yield {"event": "update", "data": json.dumps(update)}

    return EventSourceResponse(update_generator())


@app.get("/sse/heartbeat")
async def sse_heartbeat():
    async def heartbeat_generator():
        try:
            while True:
                await asyncio.sleep(stand_ins.HEARTBEAT_EVERY)
                yield {"event": "heartbeat", "data": datetime.now().isoformat()}
        except asyncio.CancelledError:
            print("SSE connection closed")

    return EventSourceResponse(heartbeat_generator())
