"""The live-server contract of DESIGN.md, one behaviour per test."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

import course_app.server
from course_app.server import LiveServer, ServerStartError, running_servers, serve, stop_all


def make_app(title: str = "test app") -> FastAPI:
    app = FastAPI(title=title)
    app.state.entered = threading.Event()  # set once /hang or /block is running

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"thread": threading.current_thread().name}

    @app.get("/hang")
    async def hang() -> None:
        app.state.entered.set()
        await asyncio.Event().wait()  # never returns

    @app.get("/block")
    async def block(seconds: float = 1.0) -> None:
        app.state.entered.set()
        time.sleep(seconds)  # blocks the server's loop on purpose

    @app.get("/boom")
    async def boom() -> None:
        raise ValueError("boom")

    return app


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_serves_on_loopback_on_a_port_the_os_picked() -> None:
    with LiveServer(make_app()) as srv:
        assert srv.host == "127.0.0.1"
        assert srv.port > 0
        assert srv.url == f"http://127.0.0.1:{srv.port}"
        r = httpx.get(srv.url + "/ping")
        assert r.status_code == 200
        assert r.json()["thread"].startswith("LiveServer[")  # its own thread, not the caller's


def test_start_twice_is_one_server_and_stop_twice_is_harmless() -> None:
    srv = LiveServer(make_app())
    assert srv.start() is srv
    port = srv.port
    assert srv.start() is srv and srv.port == port
    srv.stop()
    srv.stop()
    assert not srv.running
    with pytest.raises(RuntimeError, match="cannot be restarted"):
        srv.start()


def test_plain_object_and_context_manager() -> None:
    srv = serve(make_app())
    assert srv.running and srv in running_servers()
    srv.stop()
    assert not srv.running and srv not in running_servers()
    with LiveServer(make_app()) as srv2:
        assert srv2.running
    assert not srv2.running


def test_port_is_freed_after_stop() -> None:
    srv = serve(make_app())
    port = srv.port
    assert not port_is_free(port)
    srv.stop()
    assert port_is_free(port)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/ping")


def uvicorns_own_stop() -> float:
    """Seconds from ``should_exit`` to the end of a plain ``uvicorn.Server`` run in a thread."""
    server = uvicorn.Server(uvicorn.Config(make_app(), log_config=None, access_log=False, lifespan="on"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            time.sleep(0.001)
        assert server.started, "uvicorn itself did not start"
        t = time.perf_counter()
        server.should_exit = True
        thread.join(10)
        return time.perf_counter() - t
    finally:
        sock.close()


def test_stop_is_fast() -> None:
    def ours() -> float:
        srv = serve(make_app())
        t = time.perf_counter()
        srv.stop()
        return time.perf_counter() - t

    fastest = min(ours() for _ in range(3))
    # uvicorn's own stop waits for its 0.1 s tick, then sleeps 0.1 s; ours waits for neither.
    theirs = uvicorns_own_stop()
    assert fastest < theirs / 2, f"LiveServer.stop took {fastest:.3f} s, uvicorn's own stop {theirs:.3f} s"


def test_a_stopped_server_lets_go_of_its_loop_and_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stopped server stays referenced (a variable, IPython's Out, a Probe): it must not keep ~300 kB each."""
    trims: list[int] = []
    monkeypatch.setattr(course_app.server, "_malloc_trim", lambda pad: trims.append(pad) or 1)
    srv = serve(make_app())
    uvicorn_server = weakref.ref(srv._server)  # type: ignore[arg-type]
    assert srv.loop.is_running()
    srv.stop()
    gc.collect()
    assert srv._loop is None and srv._server is None and uvicorn_server() is None
    with pytest.raises(RuntimeError, match="is not running"):
        srv.loop  # noqa: B018
    assert trims == [0], "the C heap's free pages go back to the OS once the server's threads are done"


def test_restarting_the_same_app_replaces_the_old_server() -> None:
    app = make_app()
    first = serve(app)
    second = serve(app)
    try:
        assert not first.running and second.running
        assert first not in running_servers()
    finally:
        second.stop()


def test_the_same_name_replaces_and_different_apps_coexist() -> None:
    a = serve(make_app(), name="shared")
    b = serve(make_app(), name="shared")
    c = serve(make_app())  # another app with the same default title: a different server
    try:
        assert not a.running and b.running and c.running
    finally:
        b.stop()
        c.stop()


def test_explicit_port_replaces_the_server_holding_it() -> None:
    first = serve(make_app())
    port = first.port
    first_app_other = serve(make_app("other"), port=port)
    try:
        assert not first.running and first_app_other.port == port
    finally:
        first_app_other.stop()


def test_bind_error_is_a_clear_exception() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(ServerStartError, match=f"cannot bind 127.0.0.1:{port}.*port=0"):
            LiveServer(make_app(), port=port).start()
    assert not any(s.port == port for s in running_servers())


def test_failing_lifespan_is_a_clear_exception_with_the_cause() -> None:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise ConnectionRefusedError("database is down")
        yield

    srv = LiveServer(FastAPI(lifespan=lifespan), name="broken")
    with pytest.raises(ServerStartError, match="startup failed: ConnectionRefusedError: database is down") as info:
        srv.start()
    assert isinstance(info.value.__cause__, ConnectionRefusedError)
    assert not srv.running and srv not in running_servers()
    assert port_is_free(srv.port)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no_such_module_here:app", 'Could not import module "no_such_module_here"'),
        ("course_app.server:nothing", 'Attribute "nothing" not found'),
        ("course_app.server", "must be in format"),
    ],
)
def test_import_errors_are_clear_exceptions(target: str, message: str) -> None:
    with pytest.raises(ServerStartError, match="cannot load the app") as info:
        LiveServer(target).start()
    assert message in str(info.value)


def test_an_import_string_serves() -> None:
    with LiveServer("course_app.calibration_app:app") as srv:
        assert httpx.get(srv.url + "/noop").json() == {"ok": True}


@pytest.mark.parametrize(
    "bad",
    [
        {"port": -1},
        {"port": 70000},
        {"port": "80"},
        {"host": "0.0.0.0"},
        {"stop_timeout": 0},
        {"timeout_graceful_shutdown": 5},  # it derives from stop_timeout
    ],
)
def test_bad_arguments_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        LiveServer(make_app(), **bad)  # type: ignore[arg-type]


def test_not_an_app_is_refused() -> None:
    with pytest.raises(ServerStartError, match="not an ASGI app"):
        LiveServer(42).start()  # type: ignore[arg-type]


def request_in_background(url: str) -> tuple[threading.Thread, list[float]]:
    """GET ``url`` in a thread; the list receives the time the request ended (answered or not)."""
    ended: list[float] = []

    def get() -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=10)
        ended.append(time.perf_counter())

    thread = threading.Thread(target=get, daemon=True)
    thread.start()
    return thread, ended


def test_stop_is_bounded_with_a_handler_that_never_returns() -> None:
    app = make_app()
    srv = serve(app, stop_timeout=2.0)
    pending, _ = request_in_background(srv.url + "/hang")
    assert app.state.entered.wait(10)
    t = time.perf_counter()
    srv.stop()
    # the hung request is cancelled after half of stop_timeout: stop() returns within the bound
    assert time.perf_counter() - t < srv.stop_timeout
    assert not srv.running and port_is_free(srv.port)
    pending.join(5)


def test_stop_is_bounded_even_when_a_handler_blocks_the_loop() -> None:
    app = make_app()
    srv = serve(app, stop_timeout=0.5)
    blocked, ended = request_in_background(srv.url + "/block?seconds=2")
    assert app.state.entered.wait(10)
    with pytest.warns(RuntimeWarning, match="blocking the event loop"):
        srv.stop()
    stopped = time.perf_counter()
    assert port_is_free(srv.port), "the port must be free even while the abandoned loop is stuck"
    blocked.join(5)
    assert ended and stopped < ended[0], "stop() returned only after the handler blocking the loop had let go"


def test_handler_errors_are_kept_and_answered_with_500() -> None:
    with LiveServer(make_app(), log_level="critical") as srv:
        r = httpx.get(srv.url + "/boom")
        assert r.status_code == 500
        assert len(srv.errors) == 1 and str(srv.errors[0]) == "boom"


def test_run_executes_on_the_servers_own_loop() -> None:
    async def which_loop() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    with LiveServer(make_app()) as srv:
        assert srv.run(which_loop()) is srv.loop
    with pytest.raises(RuntimeError, match="not running"):
        _ = srv.loop


def test_the_callers_signal_handlers_are_untouched() -> None:
    before = signal.getsignal(signal.SIGINT)
    with LiveServer(make_app()):
        assert signal.getsignal(signal.SIGINT) is before
    assert signal.getsignal(signal.SIGINT) is before


def test_stop_all_stops_everything() -> None:
    servers = [serve(make_app()) for _ in range(3)]
    stop_all()
    assert not any(s.running for s in servers)
    assert running_servers() == []


def test_servers_left_running_are_stopped_at_interpreter_exit(tmp_path: object) -> None:
    marker = f"{tmp_path}/shutdown-ran"
    script = textwrap.dedent(
        f"""
        from contextlib import asynccontextmanager
        from pathlib import Path
        from fastapi import FastAPI
        from course_app.server import serve

        @asynccontextmanager
        async def lifespan(app):
            yield
            Path({marker!r}).write_text("clean")

        srv = serve(FastAPI(lifespan=lifespan))
        print(srv.port)
        # no stop(): the interpreter exits with the server running
        """
    )
    # timeout: a guard against a hang at exit, not a speed claim
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    with open(marker) as f:
        assert f.read() == "clean", "the app's shutdown ran: the server was stopped, not killed"
    assert port_is_free(int(out.stdout.strip()))


def test_each_servers_log_level_applies_to_its_own_thread() -> None:
    class Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.DEBUG)
            self.records: list[logging.LogRecord] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.records.append(record)

    quiet = serve(make_app("quiet"), log_level="critical")
    loud = serve(make_app("loud"), log_level="error")  # started last: it must not change quiet's level
    collect = Collect()
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(collect)
    try:
        httpx.get(quiet.url + "/boom")
        httpx.get(loud.url + "/boom")
        threads = {r.threadName for r in collect.records if r.levelno >= logging.ERROR}
        assert threads == {f"LiveServer[{loud.name}:{loud.port}]"}
        assert len(quiet.errors) == 1 and len(loud.errors) == 1  # both kept the exception
    finally:
        logger.removeHandler(collect)
        quiet.stop()
        loud.stop()


def test_a_bad_log_level_is_refused() -> None:
    with pytest.raises(ValueError, match="log_level must be one of"):
        LiveServer(make_app(), log_level="loud")


def test_a_loop_that_cannot_be_closed_is_kept_and_the_server_still_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvloop refuses to close a loop while the app left handles open (the seed's engine that is never disposed):
    OSError EBUSY. Freeing such a loop later crashed a kernel (a segfault). The server must still stop cleanly,
    release its port, and keep that loop alive instead of letting it be freed."""
    import course_app.server as server_module

    class BusyLoop(asyncio.SelectorEventLoop):
        def close(self) -> None:
            raise OSError(16, "Device or resource busy")

    monkeypatch.setattr(server_module, "new_event_loop", lambda config: BusyLoop())
    before = len(server_module._unclosable_loops)
    srv = LiveServer(FastAPI()).start()
    port = srv.port
    srv.stop()  # raises if the server thread died before reporting
    assert not srv.running and srv._loop is None
    assert len(server_module._unclosable_loops) == before + 1
    assert isinstance(server_module._unclosable_loops[-1], BusyLoop)
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", port))  # the port was released
