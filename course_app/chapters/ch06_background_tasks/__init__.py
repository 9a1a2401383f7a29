"""Chapter 06: background tasks, when they run, where, what a failure does, and what a stop loses. One app per module:

* :mod:`.seed_as_pasted`: the seed's ``POST /send-email``, ``POST /users/{user_id}/action`` and ``POST /upload``
  with its ``cleanup_temp_files``, as written (``UploadFile`` imported, which the seed forgot; its ``/tmp/`` and
  its 60 s read from :mod:`.stand_ins` at each request);
* :mod:`.order`: an ``async def`` task then a ``def`` task, each noting when, on which thread and which loop it ran;
* :mod:`.blocking`: a task that awaits, one that blocks the loop (``time.sleep`` in ``async def``), and one that
  holds a worker thread (``time.sleep`` in ``def``), with an ``async def`` and a ``def`` ping;
* :mod:`.failing`: three steps, one of which raises: the ones after it never run, the connection is closed;
* :mod:`.guarded`: the same steps, each wrapped by ``log_failures``, which logs a failure instead of raising it;
* :mod:`.lost`: ``n`` jobs for one request, to count what a stopping server never runs.

What the apps share (the journal of task runs, a log capture, a timed standard output) is in :mod:`.common`; the
chapter's timeline figure in :mod:`.figures`.
"""

from . import stand_ins
from .common import Event, Journal, TimedOutput, captured_log

__all__ = ["Event", "Journal", "TimedOutput", "captured_log", "stand_ins"]

#: The routes whose 500 is what the chapter teaches (tests/test_chapters.py lets them answer 500): none. The
#: failures this chapter shows happen after the response, so the client gets its 200 every time.
LESSONS: dict[tuple[str, str], str] = {}

#: For the instructor guide (``python3 run.py guide``), by the notebook's own headings (tests/test_guide.py checks
#: that each still exists): where a pause fits, what to show live, and what a shared hub should know.
INSTRUCTOR = {
    "breaks": {
        "The seed's upload cleanup, run as written": (
            "timing, threads and failures are done; the seed's cleanup and what a stop loses follow. The natural "
            "place for a break."
        ),
    },
    "live": {
        "When, in what order, and where: a timeline": (
            "before running the cell, ask the room: does the client get its answer before or after the tasks? And "
            "the next request on the same connection? Most guess that it waits."
        ),
        "A task that raises": (
            "point at the 200 the client got, then at the log: the only trace of the failure. Then run the next "
            "cell and read the RemoteProtocolError aloud: a request that had nothing to do with the order failed."
        ),
        "Lost on stop": (
            "ask what a deploy does to the seed's 60 s cleanup, then show the timeline: one job done, one "
            "cancelled, three never started, and no record anywhere that they were asked for."
        ),
    },
    "hub": [
        "the seed's /upload writes into a folder of each user's own under the system's temporary folder "
        "(course-uploads-UID, owner-only), never into the shared temporary folder itself; the notebook points it at "
        "a temporary folder of its own, removed at the end of the cell.",
        "the cell with 40 def tasks holds 40 threads of its own server for half a second; other kernels are not "
        "affected (each server has its own thread pool), only their share of the CPU.",
    ],
}
