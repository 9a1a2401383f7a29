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

#: The routes whose 500 is what the chapter teaches (tests/test_chapters.py lets them answer 500), and why.
LESSONS = {
    ("seed_as_pasted", "/io-intensive"): "the seed calls api.example.com: no network here, a 500 with the seed's code",
}

#: For the instructor guide (``python3 run.py guide``), by the notebook's own headings (tests/test_guide.py checks
#: that each still exists): where a pause fits, what to show live, and what a shared hub should know.
INSTRUCTOR = {
    "breaks": {
        "Exercise 1.1 · Call a blocking library without blocking the loop": (
            "the measurements so far make one point: only a blocked loop serialises requests. Make sure everyone "
            "has seen it in their own plots before the exercise."
        ),
        "CPU-bound work: on the loop, in threads, in processes": (
            "halfway: the thread pool is done (and Exercise 1.2 with it); CPU work and external services follow. "
            "The natural place for a break."
        ),
    },
    "live": {
        'Does a `def` handler "block the entire server"?': (
            "read the seed's comment, then ask the room how long 80 concurrent `/sync` requests of T seconds take "
            "before you run the cell: 80 × T, or two waves? Then show the step between 40 and 41."
        ),
        "What really blocks: `time.sleep` inside `async def`": (
            "point at the probe's lower panel: red bars where the loop was stuck, and no worker thread in use."
        ),
        "Forty threads, and how to get more": (
            "run the web's one-liner in a cell and ask for a prediction (one wave?); it stays two waves, because the "
            "limiter is per event loop. Exercise 1.2's frequent mistake is this one."
        ),
        "Calling a slow external service": (
            "show the per-request client's probe: the loop stalls while clients are created. Outside the notebook, "
            "`python3 run.py serve 01 --app upstream` and then `python3 run.py serve 01 --app shared_client` with "
            "`COURSE_UPSTREAM_URL` set to the first one's URL show the same apps in a terminal."
        ),
    },
    "hub": [
        f"the process-pool section starts {WORKERS} worker processes per learner, and Exercise 1.3 a pool of its "
        f"own; its parallel claim is judged only when {WORKERS} cores are free, and on a crowded hub the cell says it "
        "could not be judged. That is expected, not a failure.",
    ],
}
