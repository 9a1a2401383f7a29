"""Chapter 04: connection pooling, for a database and for calls to another service. One small app per module:

* :mod:`.seed_as_pasted`: the seed's ``get_asyncpg_pool`` (a pool per request) and its ``HTTPClientPool``, as
  written: the first runs a database out of connections at 30 concurrent requests, the second never runs;
* :mod:`.shared_pool`: one asyncpg pool from the lifespan, sized, with an acquire timeout that turns a full pool
  into a clear 503, and a 503 when the database refuses a connection or is down;
* :mod:`.http_limits`: one httpx client from the lifespan with ``max_connections``,
  ``max_keepalive_connections`` and a pool timeout, a full pool answered with a 503.

What they share (where the database and the service are, the 503s, a throw-away PostgreSQL with a small
``max_connections``) is in :mod:`.common`; the addresses the seed makes up are in :mod:`.stand_ins`.
"""

from .common import (
    APP_NAME,
    DB_ENV,
    SEED_MAX_SIZE,
    SEED_MIN_SIZE,
    UPSTREAM_ENV,
    Throwaway,
    close_pool,
    count_connections,
    throwaway_postgres,
    with_settings,
)
from .stand_ins import SEED_APP_NAME

__all__ = [
    "APP_NAME",
    "DB_ENV",
    "SEED_APP_NAME",
    "SEED_MAX_SIZE",
    "SEED_MIN_SIZE",
    "UPSTREAM_ENV",
    "Throwaway",
    "close_pool",
    "count_connections",
    "throwaway_postgres",
    "with_settings",
]

#: The routes whose 500 is what the chapter teaches (tests/test_chapters.py lets them answer 500), and why.
LESSONS = {
    ("seed_as_pasted", "/users-fast/{user_id}"): "a pool per request: a database refusing it is a 500",
    ("seed_as_pasted", "/external-api"): "the seed's `def init`: an AttributeError on every request",
}

#: For the instructor guide (``python3 run.py guide``), by the notebook's own headings (tests/test_guide.py checks
#: that each still exists): where a pause fits, what to show live, and what a shared hub should know.
INSTRUCTOR = {
    "breaks": {
        "Several workers against `max_connections`": (
            "the pool per request and the sizing of one pool are done; the limits across processes and for HTTP "
            "calls follow. The natural place for a break."
        ),
    },
    "live": {
        "The seed's pool per request": (
            "before the cell with 30 concurrent requests, ask the room how many connections 30 requests open with "
            "the seed's dependency. Then point at the error the database itself sent: `sorry, too many clients "
            "already`."
        ),
        "Exhaustion, as a client sees it, and as the probe sees it": (
            "read the probe's panels top to bottom: loop lag flat, no thread busy, the pool pinned at max_size. "
            "That is how to tell which resource ran out."
        ),
    },
    "hub": [
        "the cells that run a database out of connections use a throw-away PostgreSQL of each kernel's own, in "
        "the system's temporary folder (course-ch04-pg-UID-PID, about 40 MB, 50 connections at most): the "
        "course's shared server, used by the other kernels of a learner, is never exhausted.",
        "a kernel killed halfway leaves that server to the course's guard, which stops it within seconds; its "
        "folder is removed by the next run of the chapter.",
    ],
}
