"""The uvicorn internals that :class:`course_app.server.LiveServer` depends on, and nothing else.

uvicorn's public surface (``uvicorn.run``, ``Config``, ``Server.serve``, ``should_exit``) runs a
server, but every stop costs at least 0.1 s: ``Server.main_loop`` checks ``should_exit`` on a
0.1 s tick and ``Server.shutdown`` sleeps a fixed 0.1 s before it waits, again in 0.1 s steps,
for connections to close. A course that starts and stops dozens of servers per notebook cannot
afford that, so :class:`Server` below overrides those two methods. They are not documented API:
any uvicorn release may change them. Everything that touches them lives in this module, and
``tests/test_uvicorn_internals.py`` checks each item below against the installed uvicorn and
says which one changed.

Relied on, and why (checked against uvicorn 0.54):

``uvicorn.Server.main_loop(self)`` (async, overridden)
    ``Server._serve`` awaits it once startup is done and calls ``shutdown`` when it returns.
    Ours waits on :attr:`Server.wake` (set by ``LiveServer.stop``) instead of sleeping 0.1 s.
``uvicorn.Server.on_tick(self, counter) -> bool`` (async, called)
    One tick of uvicorn's housekeeping (the ``date`` header once a second, i.e. when
    ``counter % 10 == 0``; ``limit_max_requests``) and the ``should_exit`` check. Our
    ``main_loop`` calls it exactly as uvicorn's does: on wake-up and at least every 0.1 s.
``uvicorn.Server.shutdown(self, sockets=None)`` (async, overridden)
    Called by ``_serve`` after ``main_loop`` returns. Ours does what uvicorn's does without
    its fixed sleeps, and reads:

    * ``Server.servers``: the ``asyncio.Server`` objects ``startup`` created; closed first;
    * ``Server.server_state.connections``: the live protocol objects; each has ``shutdown()``;
    * ``Server.server_state.tasks``: the running request tasks; cancelled after the timeout;
    * ``Server.lifespan.shutdown()``: the app's lifespan shutdown (``_serve`` sets ``lifespan``);
    * ``Server.force_exit``: set by ``LiveServer.stop`` when the loop stayed blocked; then
      the lifespan shutdown is skipped, as uvicorn does on a second Ctrl+C.
``uvicorn.Server.started`` / ``should_exit`` / ``force_exit``
    ``LiveServer.start`` polls ``started``; ``stop`` sets ``should_exit`` and ``force_exit``.
``uvicorn.Server.serve(self, sockets=None)`` and ``capture_signals``
    ``LiveServer`` runs ``serve(sockets=[sock])`` in its own thread and loop. ``serve`` installs
    signal handlers only on the main thread, so the notebook kernel's SIGINT handler is untouched.
``uvicorn.Config.get_loop_factory()``
    The event-loop factory uvicorn's own ``Server.run`` would use (uvloop under ``loop="auto"``
    when installed), or ``None`` for asyncio's default. ``LiveServer`` builds its loop with it,
    because it runs the loop itself instead of through ``Server.run``.
``uvicorn.config.LOGGING_CONFIG``
    uvicorn's default ``logging.config.dictConfig``, for the loggers ``uvicorn``,
    ``uvicorn.error`` and ``uvicorn.access``: applied once, so that servers log as under
    ``uvicorn app:app``.
``uvicorn.importer.import_from_string`` / ``ImportFromStringError``
    ``"module:attribute"`` loading, with uvicorn's error messages (``tests/test_server.py``
    matches them).

``uvicorn.Config(root_path=...)`` (public, but what it means has changed before)
    Behind a JupyterHub's proxy ``LiveServer`` serves with the proxy path as ``root_path``. uvicorn
    puts it in front of ``scope["path"]`` and ``raw_path`` (and requires it to be ASCII), and Starlette
    strips it again to route, so a direct request for ``/ping`` and the proxy's forwarded ``/ping`` reach
    the same route, while FastAPI writes the prefixed ``openapi.json`` URL into ``/docs``.
    ``tests/test_hub.py`` checks both, directly and through a real jupyter-server-proxy.

Not relied on: ``Config.timeout_graceful_shutdown``. uvicorn types it ``int | None``, and
LiveServer's bound (half its ``stop_timeout``) is a float, so :class:`Server` takes its own
``graceful_timeout`` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import uvicorn
import uvicorn.config
from uvicorn.importer import ImportFromStringError, import_from_string

__all__ = [
    "LOGGERS",
    "LOGGING_CONFIG",
    "ImportFromStringError",
    "Server",
    "import_from_string",
    "new_event_loop",
]

#: uvicorn's default logging configuration (what ``uvicorn app:app`` uses).
LOGGING_CONFIG: dict[str, Any] = uvicorn.config.LOGGING_CONFIG
#: The loggers that configuration sets up.
LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

#: How often shutdown checks whether the connections and tasks are gone (uvicorn: every 0.1 s).
DRAIN_POLL = 0.005


class Server(uvicorn.Server):
    """uvicorn's Server with a main loop and a shutdown that react at once.

    uvicorn checks ``should_exit`` every 0.1 s and sleeps a fixed 0.1 s during
    shutdown, so a plain start plus stop costs about 170 ms. Here the exit check
    waits on :attr:`wake`, which ``LiveServer.stop`` sets, and shutdown polls its
    connections every few milliseconds. Everything else is uvicorn's own code.
    """

    def __init__(self, config: uvicorn.Config, *, graceful_timeout: float) -> None:
        super().__init__(config)
        #: Seconds shutdown waits for open connections and tasks before cancelling them.
        self.graceful_timeout = graceful_timeout
        #: Set it (from the server's loop) to make :meth:`main_loop` check ``should_exit`` now.
        self.wake = asyncio.Event()  # bound to the server's loop on first use (Python >= 3.10)

    async def main_loop(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        try:
            await asyncio.wait_for(self._drain(), timeout=self.graceful_timeout)
        except TimeoutError:
            for task in self.server_state.tasks:
                task.cancel(msg="LiveServer.stop: graceful shutdown timed out")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._drain(), timeout=0.5)
        if not self.force_exit:
            await self.lifespan.shutdown()

    async def _drain(self) -> None:
        # uvicorn offers no event for "all connections closed": poll, but every 5 ms, not 100 ms
        while self.server_state.connections or self.server_state.tasks:  # noqa: ASYNC110
            await asyncio.sleep(DRAIN_POLL)


def new_event_loop(config: uvicorn.Config) -> asyncio.AbstractEventLoop:
    """A new event loop of the kind uvicorn itself would run ``config`` on (uvloop if chosen)."""
    factory = config.get_loop_factory() or asyncio.new_event_loop
    return factory()
