"""The app :func:`course_app.loadgen.calibrate` measures against: the ideal is known exactly."""

import asyncio

from fastapi import FastAPI, Query
from starlette.types import Receive, Scope, Send

app = FastAPI(title="course-calibration")


@app.get("/sleep")
async def sleep(t: float = Query(0.2, ge=0, le=5)) -> dict[str, float]:
    """N concurrent calls take ``t`` seconds in all: the sleeps overlap."""
    await asyncio.sleep(t)
    return {"slept": t}


@app.get("/noop")
async def noop() -> dict[str, bool]:
    """The cheapest route FastAPI can serve: the client's throughput ceiling."""
    return {"ok": True}


async def asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The same two routes in plain ASGI: no framework, so a calibration against it
    measures the harness alone (the load client plus uvicorn)."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] != "http":  # a websocket: refuse it
        await send({"type": "websocket.close", "code": 1003})
        return
    # the path below the app's root path (uvicorn puts root_path in front of it, e.g. behind a hub's proxy)
    path, root = scope["path"], scope.get("root_path", "")
    path = path[len(root) :] if root and path.startswith(root) else path
    if path == "/sleep":
        t = 0.2
        for key, _, value in (p.partition("=") for p in scope["query_string"].decode().split("&")):
            if key == "t":
                try:
                    t = min(5.0, max(0.0, float(value)))
                except ValueError:
                    await _reply(send, 422, b'{"detail":"t must be a number of seconds"}')
                    return
        await asyncio.sleep(t)
        await _reply(send, 200, b'{"slept":%s}' % str(t).encode())
    elif path == "/noop":
        await _reply(send, 200, b'{"ok":true}')
    else:
        await _reply(send, 404, b'{"detail":"Not Found"}')


async def _reply(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
