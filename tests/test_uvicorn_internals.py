"""The uvicorn internals course_app/_uvicorn.py relies on are still there, with the same shape.

These are not uvicorn's documented API, so a release may change any of them without notice.
Each test names the internal it checks and, when it fails, says which uvicorn release changed
what, so that the fix starts in the right place: course_app/_uvicorn.py (its docstring lists
every internal and why LiveServer needs it).
"""

from __future__ import annotations

import asyncio
import inspect
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
import uvicorn.config
import uvicorn.importer
from fastapi import FastAPI

import course_app.calibration_app
import course_app.server
from course_app import _uvicorn
from course_app.server import LiveServer

EMPTY = inspect.Parameter.empty


def changed(what: str, detail: str) -> str:
    return (
        f"uvicorn {uvicorn.__version__} changed {what}: {detail}; update course_app/_uvicorn.py "
        "(its docstring lists every uvicorn internal LiveServer relies on, and why)"
    )


def describe(params: list[tuple[str, Any]]) -> str:
    return "(" + ", ".join(name if default is EMPTY else f"{name}={default!r}" for name, default in params) + ")"


# (owner, method, async?, parameters as (name, default)): what course_app/_uvicorn.py overrides or calls
METHODS: list[tuple[type, str, bool, list[tuple[str, Any]]]] = [
    (uvicorn.Server, "main_loop", True, [("self", EMPTY)]),
    (uvicorn.Server, "on_tick", True, [("self", EMPTY), ("counter", EMPTY)]),
    (uvicorn.Server, "shutdown", True, [("self", EMPTY), ("sockets", None)]),
    (uvicorn.Server, "serve", True, [("self", EMPTY), ("sockets", None)]),
    (uvicorn.Server, "capture_signals", False, [("self", EMPTY)]),
    (uvicorn.Config, "get_loop_factory", False, [("self", EMPTY)]),
]


@pytest.mark.parametrize(
    ("owner", "name", "is_async", "params"), METHODS, ids=[f"{o.__name__}.{n}" for o, n, _, _ in METHODS]
)
def test_methods_keep_their_signatures(owner: type, name: str, is_async: bool, params: list[tuple[str, Any]]) -> None:
    what = f"{owner.__name__}.{name}"
    method = getattr(owner, name, None)
    assert method is not None, changed(what, "it no longer exists")
    assert inspect.iscoroutinefunction(method) == is_async, changed(
        what, "it is no longer a coroutine function" if is_async else "it is now a coroutine function"
    )
    found = [(p.name, p.default) for p in inspect.signature(method).parameters.values()]
    assert found == params, changed(what, f"its parameters are now {describe(found)}, not {describe(params)}")


def test_on_tick_still_answers_should_exit() -> None:
    returns = inspect.signature(uvicorn.Server.on_tick).return_annotation
    assert returns in ("bool", bool), changed("Server.on_tick", f"it returns {returns!r}, not bool (exit now?)")


def test_a_new_server_has_the_attributes_liveserver_reads_and_sets() -> None:
    server = uvicorn.Server(uvicorn.Config(FastAPI()))
    for flag in ("started", "should_exit", "force_exit"):
        assert getattr(server, flag, None) is False, changed(f"Server.{flag}", "a new Server no longer has it as False")
    state = getattr(server, "server_state", None)
    assert state is not None, changed("Server.server_state", "a new Server no longer has it")
    for name in ("connections", "tasks"):
        value = getattr(state, name, None)
        assert isinstance(value, set), changed(
            f"Server.server_state.{name}", f"it is {type(value).__name__}, not a set"
        )


def test_config_still_gives_a_loop_factory_and_a_lifespan_with_shutdown() -> None:
    config = uvicorn.Config(FastAPI(), lifespan="on", log_config=None, access_log=False)  # as LiveServer makes it
    factory = config.get_loop_factory()
    assert factory is None or callable(factory), changed(
        "Config.get_loop_factory", f"it returned {factory!r}, not a loop factory or None"
    )
    loop = _uvicorn.new_event_loop(config)
    try:
        assert isinstance(loop, asyncio.AbstractEventLoop), changed(
            "Config.get_loop_factory", f"its factory made {loop!r}, not an event loop"
        )
    finally:
        loop.close()
    config.load()
    lifespan_class = getattr(config, "lifespan_class", None)
    assert lifespan_class is not None, changed("Config.lifespan_class", "Config.load() no longer sets it")
    shutdown = getattr(lifespan_class, "shutdown", None)
    assert shutdown is not None and inspect.iscoroutinefunction(shutdown), changed(
        f"{lifespan_class.__name__}.shutdown",
        "it is gone or no longer a coroutine function (Server.lifespan.shutdown())",
    )
    assert [p.name for p in inspect.signature(shutdown).parameters.values()] == ["self"], changed(
        f"{lifespan_class.__name__}.shutdown", f"its parameters are now {inspect.signature(shutdown)}"
    )


def test_logging_config_still_configures_uvicorns_loggers() -> None:
    config = uvicorn.config.LOGGING_CONFIG
    assert _uvicorn.LOGGING_CONFIG is config
    assert isinstance(config, dict) and config.get("version") == 1, changed(
        "uvicorn.config.LOGGING_CONFIG", "it is no longer a logging.config.dictConfig dictionary (version 1)"
    )
    missing = set(_uvicorn.LOGGERS) - set(config.get("loggers", {}))
    assert not missing, changed(
        "uvicorn.config.LOGGING_CONFIG", f"it no longer configures the loggers {sorted(missing)}"
    )


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no_such_module_here:app", 'Could not import module "no_such_module_here"'),
        ("course_app.server:nothing", 'Attribute "nothing" not found'),
        ("course_app.server", "must be in format"),
    ],
)
def test_import_from_string_keeps_its_errors(target: str, message: str) -> None:
    assert _uvicorn.import_from_string is uvicorn.importer.import_from_string
    assert issubclass(uvicorn.importer.ImportFromStringError, Exception)
    with pytest.raises(uvicorn.importer.ImportFromStringError) as info:
        uvicorn.importer.import_from_string(target)
    assert message in str(info.value), changed("uvicorn.importer.import_from_string", f"its error is now {info.value}")
    app = uvicorn.importer.import_from_string("course_app.calibration_app:app")
    assert app is course_app.calibration_app.app, changed(
        "uvicorn.importer.import_from_string", "it loads another object"
    )


def test_signals_are_captured_only_on_the_main_thread() -> None:
    server = uvicorn.Server(uvicorn.Config(FastAPI()))
    seen: list[object] = []

    def off_main_thread() -> None:
        with server.capture_signals():
            seen.append(signal.getsignal(signal.SIGINT))

    before = signal.getsignal(signal.SIGINT)
    thread = threading.Thread(target=off_main_thread)
    thread.start()
    thread.join(5)
    assert seen == [before], changed(
        "Server.capture_signals", "it now installs signal handlers off the main thread (the kernel's Ctrl+C)"
    )


class Spy(_uvicorn.Server):
    """course_app's Server, recording what uvicorn calls and what those calls find."""

    def __init__(self, config: uvicorn.Config, *, graceful_timeout: float) -> None:
        super().__init__(config, graceful_timeout=graceful_timeout)
        self.calls: list[str] = []
        self.seen: dict[str, Any] = {}

    async def main_loop(self) -> None:
        self.calls.append("main_loop")
        await super().main_loop()

    async def shutdown(self, sockets: Any = None) -> None:
        self.calls.append("shutdown")
        self.seen["servers"] = list(self.servers)
        self.seen["connections"] = list(self.server_state.connections)
        self.seen["lifespan"] = self.lifespan
        await super().shutdown(sockets)


def test_a_live_server_goes_through_the_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        events.append("lifespan shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.get("/ping")
    async def ping() -> str:
        return "pong"

    servers: list[Spy] = []

    def make(config: uvicorn.Config, *, graceful_timeout: float) -> Spy:
        servers.append(Spy(config, graceful_timeout=graceful_timeout))
        return servers[-1]

    monkeypatch.setattr(course_app.server, "Server", make)
    with httpx.Client() as client, LiveServer(app) as srv:  # the server stops while the client's connection is open
        assert client.get(srv.url + "/ping").json() == "pong"
    (server,) = servers
    assert server.calls == ["main_loop", "shutdown"], changed(
        "Server.serve / Server._serve", f"it called {server.calls}, not main_loop() then shutdown()"
    )
    found = server.seen
    assert found["servers"] and all(callable(getattr(s, "close", None)) for s in found["servers"]), changed(
        "Server.servers", f"after startup it holds {found['servers']!r}, not the listening servers (with close())"
    )
    shutdowns = [getattr(c, "shutdown", None) for c in found["connections"]]
    assert shutdowns and all(callable(s) for s in shutdowns), changed(
        "Server.server_state.connections", f"an open connection is {found['connections']!r}, without shutdown()"
    )
    assert inspect.iscoroutinefunction(getattr(found["lifespan"], "shutdown", None)), changed(
        "Server.lifespan", f"during shutdown it is {found['lifespan']!r}, without an async shutdown()"
    )
    assert events == ["lifespan shutdown"], changed("Server.lifespan.shutdown", "it no longer runs the app's shutdown")


def test_server_py_uses_this_module() -> None:
    # The point of _uvicorn.py: LiveServer's uvicorn internals come from there and nowhere else.
    source = inspect.getsource(course_app.server)
    assert "uvicorn.importer" not in source and "uvicorn.config" not in source and "main_loop" not in source
    assert vars(course_app.server)["Server"] is _uvicorn.Server
