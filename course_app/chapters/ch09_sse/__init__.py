"""Chapter 09: Server-Sent Events, with sse-starlette and with FastAPI's own SSE, side by side. One app per module:

* :mod:`.seed_as_pasted`: the seed's ``/sse``, ``/sse/updates`` and ``/sse/heartbeat``, as written: the first
  works, the other two die at their first event (``fetch_latest_update`` and ``datetime`` are never defined);
* :mod:`.finite`: the seed's finite stream with ids, from both libraries, to compare them on the wire;
* :mod:`.live`: a live feed, one in-process publisher (a bounded queue per subscriber, a history to resume from
  ``Last-Event-ID``), served by both libraries, with ``POST /publish`` and a page for a browser (benchmark P6
  uses ``live.build``);
* :mod:`.cleanup`: endless ticks whose cleanup notes when it ran, in four shapes (``finally``, the seed's
  ``except CancelledError``, a blocking and an awaited cleanup), for disconnects, heartbeats and shutdown.

What they share (the publisher, the ``Last-Event-ID`` rules, the 406 for clients that do not ask for an event
stream, the SSE parser) is in :mod:`.common`; the notebook's bounded reads in :mod:`.client`; its plots in
:mod:`.figures`; the page in :mod:`.page`; the seed's intervals in :mod:`.stand_ins`.
"""

from .common import EVENT_STREAM, Event, Feed, Publisher, Subscriber, WireEvent, read_events

__all__ = ["EVENT_STREAM", "Event", "Feed", "Publisher", "Subscriber", "WireEvent", "read_events"]

#: For the instructor guide (``python3 run.py guide``), by the notebook's own headings.
INSTRUCTOR = {
    "breaks": {
        "Disconnects and cleanup": (
            "the wire format, the publisher and the heartbeats are done; cleanup, resuming and shutdown follow. "
            "The natural place for a break."
        ),
    },
    "live": {
        "The live feed in a browser": (
            "open the feed page in two tabs side by side, publish from one, watch both. Then stop and restart the "
            "server on the same port (LiveServer(app, port=old_port)): the page reconnects by itself and says the "
            "history is gone."
        ),
        "Disconnects and cleanup": (
            "before running the cell with aclose(), ask the room whether the seed's `except CancelledError` runs "
            "when the generator is closed. Then show that `finally` is the only place that always runs."
        ),
    },
    "hub": [
        "the feed page goes through jupyter-server-proxy, which streams a response only when the request says "
        "`Accept: text/event-stream` (EventSource does) and buffers anything else; the chapter's stream routes "
        "answer 406 without it, so that a learner's curl says so instead of hanging.",
        "jupyter-server-proxy gives a streamed request at most 7200 s; EventSource then reconnects and resumes.",
    ],
}
