"""Chapter 01: ``async def`` vs ``def`` vs blocking. One small app per module, variants side by side:

* :mod:`.seed_as_pasted`: the seed's I/O endpoint exactly as written (it imports; its request fails);
* :mod:`.seed_fixed`: the seed's four endpoints, fixed so that they run (``/sync``, ``/async``,
  ``/cpu-intensive``, ``/io-intensive``);
* :mod:`.loop_blockers`: what really blocks the server: ``time.sleep`` and CPU work inside ``async def``;
* :mod:`.wide_pool`: the thread limit raised the right way, in the lifespan (the server's own loop);
* :mod:`.process_pool`: CPU work in a pool of processes created, warmed and shut down by the lifespan;
* :mod:`.upstream`: a slow "external" service (there is no internet here, so the chapter runs its own);
* :mod:`.shared_client`: one ``httpx.AsyncClient`` for the app's life, explicit timeouts, clear 504/502.

What they share (the constants, the CPU job, the blocking call, ``GET /ping``) is in :mod:`.common`, and
re-exported here: ``ch01.SLEEP``, ``ch01.cpu_work``, ``ch01.ping_router``.
"""

from .common import (
    CPU_N,
    SLEEP,
    UPSTREAM_ENV,
    UPSTREAM_TIMEOUT,
    WORKERS,
    cpu_work,
    legacy_lookup,
    ping,
    ping_router,
    upstream_url,
    warm_up,
    worker_pid,
)

__all__ = [
    "CPU_N",
    "SLEEP",
    "UPSTREAM_ENV",
    "UPSTREAM_TIMEOUT",
    "WORKERS",
    "cpu_work",
    "legacy_lookup",
    "ping",
    "ping_router",
    "upstream_url",
    "warm_up",
    "worker_pid",
]
