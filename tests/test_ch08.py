"""Chapter 08, what no notebook cell shows: the room's interface (benchmark P6 relies on it) and its refusals, the
JSON protocol giving up with a reason, the HTTP side of the auth app, and the chat page in a real browser: two
pages chatting, directly and behind a JupyterHub's proxy prefix (jupyter-server-proxy).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from course_app.chapters.ch08_websockets import auth, json_protocol, room
from course_app.chapters.ch08_websockets.common import DeafClient, StalledClient
from course_app.server import LiveServer, serve
from tests.jupyter_server import PREFIX, Jupyter

HUB_VARS = ("JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_SERVICE_URL", "JUPYTERHUB_PUBLIC_URL", "JUPYTERHUB_API_TOKEN",
            "JUPYTERHUB_USER", "COURSE_PROXY_PREFIX", "COURSE_PUBLIC_URL", "JPY_PARENT_PID", "JUPYTER_SERVER_URL")  # fmt: skip


async def _close_of(url: str, *send: str | bytes) -> tuple[int, str] | None:
    async with connect(url, close_timeout=1) as ws:
        for message in send:
            await ws.send(message)
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 2)
        except ConnectionClosed as exc:
            return (exc.rcvd.code, exc.rcvd.reason) if exc.rcvd else None


@pytest.fixture
def room_server() -> Iterator[LiveServer]:
    with LiveServer(room.build(queue_size=5, max_message=100), log_level="critical") as srv:
        yield srv


# -- the room -------------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_without_presence_members_get_messages_only() -> None:
    with LiveServer(room.build(presence=False), log_level="critical") as srv:
        url = srv.ws_url + "/ws/quiet?name={}"
        async with connect(url.format("ann")) as ann, connect(url.format("ben")) as ben:
            await ben.send("hi")
            assert json.loads(await ann.recv())["type"] == "message"


def test_build_takes_the_room_settings_and_nothing_else() -> None:
    assert room.build(queue_size=7).state.settings.queue_size == 7
    with pytest.raises(TypeError, match="unknown room settings"):
        room.build(queue=7)


@pytest.mark.anyio
async def test_a_member_gets_every_message_of_its_room_as_json_and_nothing_of_another(room_server: LiveServer) -> None:
    url = room_server.ws_url + "/ws/{}?name={}"
    async with (
        connect(url.format("a", "ann")) as ann,
        connect(url.format("a", "ben")) as ben,
        connect(url.format("b", "cat")) as cat,
    ):
        assert json.loads(await ann.recv()) == {"type": "joined", "member": "ann", "room": "a", "members": 1}
        await ben.send('{"t": 1.5}')
        events = [json.loads(await ann.recv()) for _ in range(2)]
        assert events[1] == {"type": "message", "room": "a", "member": "ben", "text": '{"t": 1.5}'}
        assert json.loads(events[1]["text"])["t"] == 1.5  # what the benchmark reads
        assert json.loads(await cat.recv())["type"] == "joined"  # its own join, and then nothing of room a
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(cat.recv(), 0.2)
        assert httpx.get(room_server.url + "/rooms").json() == {"rooms": {"a": 2, "b": 1}, "too_slow": 0}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "send", "code", "words"),
    [
        ("/ws/bad room?name=ann", (), 1008, "a room is"),
        ("/ws/lobby", (), 1008, "a name"),
        ("/ws/lobby?name=" + "x" * 40, (), 1008, "a name"),
        ("/ws/lobby?name=ann", (b"\x00",), 1003, "text messages only"),
        ("/ws/lobby?name=ann", ("x" * 101,), 1009, "100 characters at most"),
    ],
    ids=["bad room", "no name", "long name", "binary", "too long"],
)
async def test_refusals_come_after_accept_with_a_code_and_a_reason(
    room_server: LiveServer, path: str, send: tuple[Any, ...], code: int, words: str
) -> None:
    closed = await _close_of(room_server.ws_url + path.replace(" ", "%20"), *send)
    assert closed is not None and closed[0] == code and words in closed[1], closed
    assert not room_server.errors


@pytest.mark.anyio
async def test_a_member_that_never_reads_is_disconnected_when_its_queue_is_full() -> None:
    with LiveServer(room.build(queue_size=5, max_message=65536), log_level="critical") as srv:
        url = srv.ws_url + "/ws/lobby?name={}"
        async with StalledClient(url.format("stalled")), connect(url.format("talker"), max_size=None) as talker:

            async def drain() -> None:  # the talker reads its own messages back: it is no slow member
                async for _ in talker:
                    pass

            draining = asyncio.create_task(drain())
            for i in range(1000):  # past the stalled client's buffers (a few MB), then past its queue of 5
                await talker.send("x" * 65536)
                await asyncio.sleep(0.001)
                if i % 20 == 19 and httpx.get(srv.url + "/rooms").json()["too_slow"]:
                    break
            counts = httpx.get(srv.url + "/rooms").json()
            draining.cancel()
    assert counts == {"rooms": {"lobby": 1}, "too_slow": 1}, counts
    assert not srv.errors


@pytest.mark.anyio
async def test_a_client_that_never_answers_pings_is_closed_with_1011() -> None:
    with LiveServer(room.app, log_level="critical", ws_ping_interval=0.1, ws_ping_timeout=0.1) as srv:
        async with DeafClient(srv.ws_url + "/ws/lobby?name=deaf") as deaf:
            heard = await deaf.listen(2)
        await asyncio.sleep(0.1)
        assert httpx.get(srv.url + "/rooms").json()["rooms"] == {}
    assert heard.close is not None and heard.close.code == 1011
    assert heard.closed_after is not None and heard.pings[0] < heard.closed_after


# -- the JSON protocol and the auth app -----------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_protocol_gives_up_after_max_errors_bad_messages_with_a_reason() -> None:
    with LiveServer(json_protocol.app, log_level="critical") as srv:
        closed = await _close_of(srv.ws_url + "/ws/json", *(["nope"] * json_protocol.MAX_ERRORS))
        binary = await _close_of(srv.ws_url + "/ws/json", b"{}")
        schema = httpx.get(srv.url + "/protocol").json()
    assert closed == (1008, f"{json_protocol.MAX_ERRORS} invalid messages in a row")
    assert binary is not None and binary[0] == 1003
    assert "discriminator" in schema and not srv.errors


def test_http_clients_use_the_authorization_header() -> None:
    with LiveServer(auth.app, log_level="critical") as srv:
        assert httpx.get(srv.url + "/me", headers={"Authorization": "Bearer alice-secret-token"}).json() == {
            "name": "alice"
        }
        refused = httpx.get(srv.url + "/me", params={"token": "alice-secret-token"})
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"


# -- the chat page in a browser -------------------------------------------------------------------------------


def _chat(browser: Any, page_url: str, origin: str, before: str | None = None) -> None:
    """Two pages join the same room at ``page_url`` and talk; nothing loads from outside ``origin``."""
    from playwright.sync_api import expect

    context = browser.new_context()
    outside: list[str] = []
    errors: list[str] = []
    try:
        if before:
            context.new_page().goto(before)  # e.g. the Jupyter server's login by token: its cookie for the proxy
        pages = [context.new_page(), context.new_page()]

        def loaded(url: str) -> None:
            if not url.startswith((origin, origin.replace("http", "ws", 1))):
                outside.append(url)

        for page in pages:
            page.on("request", lambda r: loaded(r.url))
            page.on("websocket", lambda ws: loaded(ws.url))
            page.on("pageerror", lambda exc: errors.append(str(exc)))
        for page, name in zip(pages, ("ann", "ben"), strict=True):
            page.goto(page_url)
            page.fill("#name", name)
            page.click("#join")
            expect(page.locator("#status")).to_have_text(f"in room lobby as {name}", timeout=5000)
        ann, ben = pages
        expect(ann.locator("#log")).to_contain_text("ben joined (2 here)", timeout=5000)
        ann.fill("#text", "hello ben <b>not bold</b>")
        ann.press("#text", "Enter")
        expect(ben.locator("#log")).to_contain_text("ann: hello ben <b>not bold</b>", timeout=5000)
        assert ben.locator("#log b").count() == 0, "a member's text is shown as text, never as HTML"
        ben.fill("#text", "hi ann")
        ben.click("#send")
        expect(ann.locator("#log")).to_contain_text("ben: hi ann", timeout=5000)
        ben.close()
        expect(ann.locator("#log")).to_contain_text("ben left (1 here)", timeout=5000)
    finally:
        context.close()
    assert not outside, f"the page loaded from outside its server: {outside}"
    assert not errors, errors


@pytest.mark.slow
def test_two_pages_chat_with_each_other(browser: Any) -> None:
    with LiveServer(room.build(), log_level="critical") as srv:
        _chat(browser, srv.url + "/chat", srv.url)
        assert not srv.errors


@pytest.fixture
def kernel_on_hub(monkeypatch: pytest.MonkeyPatch, jupyter: Jupyter) -> pytest.MonkeyPatch:
    """The environment a hub's spawner gives a learner's kernel, pointing at the stand-in hub server."""
    for name in HUB_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", PREFIX)
    monkeypatch.setenv("JUPYTERHUB_USER", "learner")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_URL", jupyter.url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", jupyter.token)
    return monkeypatch


@pytest.mark.slow
def test_the_page_works_behind_the_proxy_prefix(
    kernel_on_hub: pytest.MonkeyPatch, jupyter: Jupyter, browser: Any
) -> None:
    srv = serve(room.build(), log_level="critical")
    try:
        assert srv.browser_url == f"{PREFIX}proxy/{srv.port}"
        login = f"{jupyter.origin}{PREFIX}lab?token={jupyter.token}"
        _chat(browser, jupyter.origin + srv.browser_url + "/chat", jupyter.origin, before=login)
        assert not srv.errors
    finally:
        srv.stop()
