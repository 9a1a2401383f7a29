"""Chapter 02: the lifespan, ``app.state`` and async context managers. One small app per module:

* :mod:`.resources`: every resource (a database pool, a process pool, an HTTP client, a background task)
  opened in one lifespan with an ``AsyncExitStack``, closed in reverse order, even when startup fails halfway;
* :mod:`.naive_startup`: the same resources opened the seed's way, closed after ``yield``: a failed start leaks;
* :mod:`.events`: the seed's ``@app.on_event("startup")`` beside a ``lifespan=``: which one runs;
* :mod:`.state`: ``app.state`` against the lifespan state read back through ``request.state``;
* :mod:`.seed_as_pasted`: the seed's lifespan and ``AsyncDatabaseSession`` exactly as written (its ``/data``
  answers 500);
* :mod:`.seed_fixed`: the same, fixed: nested ``try/finally``, ``__init__``, a transaction, release last.

What they share (the database URL, the journal of what was opened and closed, the resources) is in
:mod:`.common`; the two helpers the seed calls and never shows are in :mod:`.stand_ins`.
"""

from .common import (
    APP_NAME,
    DB_ENV,
    HEARTBEAT,
    POOL_SIZE,
    Beats,
    Event,
    Journal,
    background_task,
    beat,
    cache,
    connect_cache,
    database_pool,
    dead_port,
    http_client,
    process_pool,
    square,
)
from .stand_ins import REDIS_ENV, SEED_APP_NAME

__all__ = [
    "APP_NAME",
    "DB_ENV",
    "HEARTBEAT",
    "POOL_SIZE",
    "REDIS_ENV",
    "SEED_APP_NAME",
    "Beats",
    "Event",
    "Journal",
    "background_task",
    "beat",
    "cache",
    "connect_cache",
    "database_pool",
    "dead_port",
    "http_client",
    "process_pool",
    "square",
]

#: The routes whose 500 is what the chapter teaches (tests/test_chapters.py lets them answer 500), and why.
LESSONS = {
    ("seed_as_pasted", "/data"): "the seed's `def init` instead of `__init__`: a TypeError on every request",
}

#: For the instructor guide (``python3 run.py guide``), by the notebook's own headings (tests/test_guide.py checks
#: that each still exists): where a pause fits, what to show live, and what a shared hub should know.
INSTRUCTOR = {
    "breaks": {
        "A startup that fails halfway": (
            "the lifespan, on_event and the two kinds of state are done; failure and the seed's session follow. "
            "The natural place for a break."
        ),
    },
    "live": {
        "`@app.on_event` in the installed FastAPI": (
            "before running the measuring cell, ask the room: with both a lifespan= and @app.on_event('startup'), "
            "which runs? Most say both. Then point at `registered` against `ran` in the output."
        ),
        "A startup that fails halfway": (
            "after the naive start fails, run `ps` in a terminal to show the worker process still there, then the "
            "next cell that shuts it down by hand."
        ),
        "The seed's `AsyncDatabaseSession`, as written": (
            "read the seed's __aexit__ aloud and ask what a failing query does; then show that the caller's "
            "traceback names `rollback`, not the missing table."
        ),
    },
    "hub": [
        "every learner's kernel uses the same embedded PostgreSQL data folder in their own course folder; the "
        "chapter's tables and connection names carry the kernel's pid, so two kernels of one learner do not clash.",
        "each start of `resources` or `naive_startup` spawns one worker process (about 50 MB) for a moment; the "
        "failed naive start leaves one running until the next cell shuts it down.",
    ],
}
