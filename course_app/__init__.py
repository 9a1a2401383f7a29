"""FastAPI async patterns, the executable course: the helpers every notebook imports.

Notebooks import only what ``__all__`` names (tests/test_exported_members.py pins it),
so a rename breaks a test, not a learner's session.
"""

from .loadgen import (
    Calibration,
    LoadResult,
    RequestRecord,
    calibrate,
    calibration,
    ideal_async,
    ideal_serial,
    ideal_threadpool,
    load,
)
from .plots import compare, scaling, timeline
from .probes import Probe, probe
from .server import LiveServer, ServerStartError, running_servers, serve, stop_all

__all__ = [
    "Calibration",
    "LiveServer",
    "LoadResult",
    "Probe",
    "RequestRecord",
    "ServerStartError",
    "calibrate",
    "calibration",
    "compare",
    "ideal_async",
    "ideal_serial",
    "ideal_threadpool",
    "load",
    "probe",
    "running_servers",
    "scaling",
    "serve",
    "show_source",
    "stop_all",
    "timeline",
]

from .display import show_source  # noqa: E402
