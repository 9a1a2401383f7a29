"""Chapter 08: WebSockets: echo, authentication, a broadcast room, a JSON protocol, keep-alive. One small app per
module:

* :mod:`.seed_as_pasted`: the seed's four WebSocket routes as written: the echo works; the authentication refuses
  with an HTTP 403 and a traceback, and logs the token; the ``ConnectionManager`` never runs (``def init``); the
  JSON route drops the connection on malformed JSON;
* :mod:`.seed_as_meant`: the seed's ``ConnectionManager`` with ``__init__``: it runs, and one member that never
  reads stalls the room, one that dies takes the next sender down;
* :mod:`.auth`: the token as the first message, refused after ``accept()`` with 1008 and a reason, never logged;
* :mod:`.room`: a broadcast room that survives real clients: a bounded queue and a writer task per member, and a
  chat page (:mod:`.page`) that works behind a proxy's path prefix. Benchmark P6 uses its ``build()``;
* :mod:`.json_protocol`: every message validated (a pydantic discriminated union), every bad one answered.

What the measurements share (clients that never read or never answer pings, the server's log captured, deliveries
as a ``LoadResult``) is in :mod:`.common`; what the seed calls and never defines is in :mod:`.stand_ins`.
"""

from . import stand_ins
from .common import DeafClient, StalledClient, captured_log, deliveries, fresh_manager, send_buffer_max

__all__ = ["DeafClient", "StalledClient", "captured_log", "deliveries", "fresh_manager", "send_buffer_max", "stand_ins"]

#: For the instructor guide (``python3 run.py guide``), by the notebook's own headings (tests/test_guide.py checks
#: that each still exists): where a pause fits, what to show live, and what a shared hub should know.
INSTRUCTOR = {
    "breaks": {
        "A JSON protocol, with validation": (
            "echo, authentication and the broadcast room are done; the protocol, keep-alive and the page follow. "
            "The natural place for a break."
        ),
    },
    "live": {
        "Authentication: the seed's dependency": (
            "before running the cell, ask what close code the client will see. It sees none: an HTTP 403. Then "
            "point at the token in uvicorn's INFO line."
        ),
        "A member that never reads": (
            "ask why one client that reads nothing can stop alice's messages reaching bob. The answer is the "
            "`await` inside the seed's `for` loop."
        ),
        "The chat page": (
            "open the page in two tabs (or have the room open it on their own machines) and chat; then close one "
            "tab and watch the other see the leave."
        ),
    },
    "hub": [
        "the chat page's WebSocket goes through jupyter-server-proxy like the page itself: every URL in the page is "
        "relative, so it needs nothing from the hub beyond the proxy every chapter uses.",
        "the cells with a member that never reads push about 10 MB through loopback per run: nothing a hub notices.",
    ],
}
