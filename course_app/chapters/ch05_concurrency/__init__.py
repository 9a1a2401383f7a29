"""Chapter 05: concurrent calls inside a handler. One small app per module:

* :mod:`.service`: the "external services" (the seed's api.example.com and store1.com...), one local app with a
  delay and a failure rate per source that each cell sets, a limit of requests in flight, and a record of every
  call: started, ended, and how (answered, failed, refused, or cancelled when the caller went away);
* :mod:`.seed_as_pasted`: the seed's parallel API calls and its "first to complete wins", as written;
* :mod:`.aggregate`: the parallel calls with ``asyncio.gather``, ``asyncio.TaskGroup`` and anyio's task group:
  what happens to the other calls when one fails; and a task group caught too narrowly (a 500, the lesson);
* :mod:`.first_wins`: the seed's race half fixed (a failure wins) and fixed (the first success wins, the losers
  are cancelled and awaited);
* :mod:`.budgets`: a timeout on every call, and a total budget for a handler that makes several;
* :mod:`.bounded`: a thousand calls with and without one semaphore from the lifespan;
* :mod:`.parallel_queries`: the seed's parallel database queries done correctly, a session per query;
* :mod:`.disconnect`: what happens to a handler's calls when its client goes away, and how to cancel them.

What they share is in :mod:`.common` (where the service is, one httpx client from the lifespan, the 502/504
answers, how a handler hears of a disconnect); the seed's made-up hosts are in :mod:`.stand_ins`; the chapter's
figures of what the service saw are in :mod:`.figures`.
"""

from .common import (
    DB_ENV,
    SERVICE_ENV,
    configured,
    first_http_error,
    one_client,
    service_failed,
    service_url,
    until_disconnected,
)
from .service import Behaviour, Book, Call

__all__ = [
    "DB_ENV",
    "SERVICE_ENV",
    "Behaviour",
    "Book",
    "Call",
    "configured",
    "first_http_error",
    "one_client",
    "service_failed",
    "service_url",
    "until_disconnected",
]

#: The routes whose 500 is what the chapter teaches (tests/test_chapters.py lets them answer 500), and why.
LESSONS = {
    ("seed_as_pasted", "/aggregate/user/{user_id}"): "the seed's calls without a 502: a service down is a 500",
    ("seed_as_pasted", "/fastest-price/{product_id}"): "the seed passes coroutines to asyncio.wait: a TypeError",
    ("first_wins", "/tasks-first-done/{product_id}"): "the seed's race with tasks: the first failure wins, a 500",
    ("aggregate", "/taskgroup-narrow/user/{user_id}"): "except httpx.HTTPError misses the task group's ExceptionGroup",
}

#: For the instructor guide (``python3 run.py guide``), by the notebook's own headings (tests/test_guide.py checks
#: that each still exists): where a pause fits, what to show live, and what a shared hub should know.
INSTRUCTOR = {
    "breaks": {
        "A timeout on every call, and a budget for the handler": (
            "gather against task groups and the race are done; timeouts, bounds, parallel queries and "
            "disconnects follow. The natural place for a break."
        ),
    },
    "live": {
        "`gather`, `TaskGroup` and anyio's task group when one call fails": (
            "before running the cell, ask the room: comments fail after 50 ms; what happens to the profile and "
            "posts calls? Most say they stop. Then read the service's records: with gather, they ran to the end."
        ),
        "When the client goes away": (
            "say first that uvicorn does not cancel a handler when its client leaves; then show the plain route's "
            "calls answering 0.4 s after nobody was listening, and the watched route's cancelled at once."
        ),
    },
    "hub": [
        "every kernel starts its own local service and apps on free ports of 127.0.0.1: nothing is shared "
        "between learners but the course's PostgreSQL, where the parallel-queries section opens six connections "
        "per kernel for a few seconds.",
        "the thousand-call section costs about a second of CPU per kernel; on a crowded hub its figure may "
        "stretch, and its assertions allow for that.",
    ],
}
