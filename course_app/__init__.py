"""FastAPI async patterns, the executable course: the helpers every notebook imports.

Notebooks import only what ``__all__`` names (tests/test_exported_members.py pins it),
so a rename breaks a test, not a learner's session.
"""

from .loadgen import (
    Calibration,
    LoadResult,
    Outcome,
    RequestRecord,
    calibrate,
    calibration,
    ideal_async,
    ideal_serial,
    ideal_threadpool,
    load,
)
from .measure import BusyAndPings, best_of, free_cores, ping_while_busy, thread_limit
from .plots import compare, scaling, timeline
from .probes import Probe, probe
from .server import LiveServer, ServerStartError, running_servers, serve, stop_all

__all__ = [
    "BusyAndPings",
    "Calibration",
    "LiveServer",
    "LoadResult",
    "Outcome",
    "Probe",
    "RequestRecord",
    "ServerStartError",
    "best_of",
    "calibrate",
    "calibration",
    "compare",
    "free_cores",
    "ideal_async",
    "ideal_serial",
    "ideal_threadpool",
    "load",
    "ping_while_busy",
    "probe",
    "running_servers",
    "scaling",
    "serve",
    "show_source",
    "stop_all",
    "thread_limit",
    "timeline",
]

from .display import show_source  # noqa: E402
