"""Chapter 09: what the notebook does not show cell by cell.

* the publisher: every subscriber gets every event; a full queue drops its subscriber and nobody else;
  resuming after an id, and after an id of another boot (a restarted server);
* the live app's edges: 406 without ``Accept: text/event-stream``, 400 for a malformed ``Last-Event-ID``, 422
  for a body that is not JSON, 413 for one too big; hostile queries to the streams, with the header;
* a stream holds the server's shutdown for its grace period, and its cleanup runs;
* the feed page in headless Chromium (last in this file: Playwright's sync API marks the thread's event loop as
  running while the module's browser is open, and the async tests above need one of their own): it shows events as they arrive in two tabs, reconnects after the server
  restarts on the same port, and works behind jupyter-server-proxy's path prefix.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from course_app.chapters.ch09_sse import cleanup, finite, live
from course_app.chapters.ch09_sse.client import SSE_HEADERS, collect
from course_app.chapters.ch09_sse.common import Publisher
from course_app.server import LiveServer
from tests.jupyter_server import PREFIX, Jupyter

# -- the publisher ---------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_every_subscriber_gets_every_event_and_a_full_queue_drops_only_its_own() -> None:
    pub = Publisher(queue_size=2, history=10)
    with pub.subscribe() as slow, pub.subscribe() as fast:
        for i in range(3):
            pub.publish({"i": i})
            if i < 2:
                assert (await fast.queue.get()).n == i + 1  # the fast one reads as it goes
        assert slow.dropped and not fast.dropped, "the third event overflowed the slow one's queue of 2"
        assert slow.queue.get_nowait() is None, "told to end its stream"
        assert (await fast.queue.get()).n == 3
        assert pub.stats()["subscribers"] == 1 and pub.dropped == 1
    assert pub.stats()["subscribers"] == 0 and pub.cleanups == 2


@pytest.mark.anyio
async def test_resuming_sends_what_was_missed_and_a_foreign_id_resets() -> None:
    pub = Publisher(history=3)
    for i in range(5):
        pub.publish(i)
    with pub.subscribe((pub.boot, 3)) as sub:
        assert [e.n for e in sub.backlog] == [4, 5] and not sub.reset
    with pub.subscribe((pub.boot, 0)) as sub:
        assert [e.n for e in sub.backlog] == [3, 4, 5], "only what the history still holds"
    for stale in (("other", 3), (pub.boot, 99)):
        with pub.subscribe(stale) as sub:
            assert sub.reset and sub.backlog == []
    events = pub.events(("other", 1))
    first = await anext(events)
    assert first.event == "reset"
    await events.aclose()


def test_publisher_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        Publisher(queue_size=0)
    with pytest.raises(ValueError):
        live.build(ping=-1)


# -- the live app's edges ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def feed_server() -> Iterator[LiveServer]:
    with LiveServer(live.build(), name="test ch09 live", log_level="critical") as srv:
        yield srv


@pytest.mark.parametrize("path", ["/events", "/events-fastapi"])
def test_a_client_that_does_not_ask_for_a_stream_gets_406(feed_server: LiveServer, path: str) -> None:
    r = httpx.get(feed_server.url + path, timeout=5)
    assert r.status_code == 406 and "Accept: text/event-stream" in r.json()["detail"]


@pytest.mark.parametrize("bad", ["17", "abc-x", "-1", "a" * 40 + "-1", "x-99999999999999999999"])
@pytest.mark.parametrize("path", ["/events", "/events-fastapi"])
def test_a_malformed_last_event_id_gets_400(feed_server: LiveServer, path: str, bad: str) -> None:
    r = httpx.get(feed_server.url + path, headers={**SSE_HEADERS, "Last-Event-ID": bad}, timeout=5)
    assert r.status_code == 400 and "Last-Event-ID" in r.json()["detail"]
    r = httpx.get(feed_server.url + path, params={"last_id": bad}, headers=SSE_HEADERS, timeout=5)
    assert r.status_code == 400


def test_publish_wants_json_and_not_too_much_of_it(feed_server: LiveServer) -> None:
    assert httpx.post(feed_server.url + "/publish", content=b"not json").status_code == 422
    assert httpx.post(feed_server.url + "/publish", content=b"").status_code == 422
    big = httpx.post(feed_server.url + "/publish", json={"x": "y" * (live.MAX_BODY + 1)})
    assert big.status_code == 413
    ok = httpx.post(feed_server.url + "/publish", json={"x": 1})
    assert ok.status_code == 200 and ok.json()["id"].startswith(feed_server.app.state.publisher.boot)


@pytest.mark.parametrize("query", ["?every=-1", "?every=abc", "?every=1e309", "?every=nan", "?n=0", "?n=101"])
@pytest.mark.parametrize("path", ["/count", "/count-fastapi"])
def test_hostile_queries_to_a_finite_stream_get_422(path: str, query: str) -> None:
    with LiveServer(finite.app, log_level="critical") as srv:
        r = httpx.get(srv.url + path + query, headers=SSE_HEADERS, timeout=5)
    assert r.status_code == 422, r.text


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/ticks/nope", "/ticks/finally?every=0", "/ticks-fastapi/finally?every=99"])
async def test_hostile_input_to_the_tick_streams_gets_422(path: str) -> None:
    with LiveServer(cleanup.build(), log_level="critical") as srv:
        async with httpx.AsyncClient(base_url=srv.url, timeout=5) as c:
            s = await collect(c, path, messages=1, seconds=3)
    assert s.status == 422, s


@pytest.mark.anyio
async def test_the_finite_stream_ends_by_itself_in_both_libraries() -> None:
    with LiveServer(finite.app, log_level="critical") as srv:
        async with httpx.AsyncClient(base_url=srv.url, timeout=5) as c:
            for path in ("/count?n=3&every=0", "/count-fastapi?n=3&every=0"):
                s = await collect(c, path, seconds=3)
                assert s.ended == "complete" and [e.id for e in s.messages] == ["0", "1", "2"]


@pytest.mark.anyio
async def test_a_stream_holds_shutdown_for_the_grace_period_and_cleans_up() -> None:
    app = cleanup.build()
    stop_timeout = 1.0  # LiveServer gives a stream half of it (the grace period), then cuts it off
    srv = LiveServer(app, stop_timeout=stop_timeout, log_level="critical").start()
    async with httpx.AsyncClient(base_url=srv.url, timeout=5) as c:
        reader = asyncio.create_task(collect(c, "/ticks-fastapi/finally?every=0.05", seconds=5))
        await asyncio.sleep(0.2)
        started = time.perf_counter()
        await asyncio.to_thread(srv.stop)
        took = time.perf_counter() - started
        s = await reader
    # held for the grace period (not cut at once), and not past the stop_timeout the server was given
    assert stop_timeout / 2 * 0.9 < took < stop_timeout * 1.5, f"stop took {took:.2f} s"
    assert s.ended.startswith("cut off") and [c.how for c in app.state.closed] == ["finally"]


# -- the page, in a browser --------------------------------------------------------------------------------------


def _publish(base: str, text: str, **kwargs: Any) -> None:
    r = httpx.post(base + "/publish", json={"text": text}, timeout=5, **kwargs)
    assert r.status_code == 200, r.text


def _wait_open(page: Any, opens: int) -> None:
    page.wait_for_function(
        f"document.getElementById('state').textContent === 'open' && "
        f"Number(document.getElementById('opens').textContent) >= {opens}",
        timeout=10_000,
    )


@pytest.mark.slow
def test_the_feed_page_shows_events_as_they_arrive_in_two_tabs(browser: Any) -> None:
    with LiveServer(live.build(), name="test ch09 page", log_level="critical") as srv:
        context = browser.new_context()
        try:
            tabs = [context.new_page(), context.new_page()]
            failed: list[str] = []
            for tab in tabs:
                tab.on("requestfailed", lambda req: failed.append(req.url))
                tab.goto(srv.url + "/feed")
                _wait_open(tab, 1)
            tabs[0].fill("#text", "hello from tab one")
            tabs[0].click("button")
            for tab in tabs:
                tab.wait_for_selector("li:has-text('hello from tab one')", timeout=5_000)
            _publish(srv.url, "from the server")
            for tab in tabs:
                tab.wait_for_selector("li:has-text('from the server')", timeout=5_000)
                assert tab.locator("li").count() == 2
            assert not [u for u in failed if not u.startswith(srv.url)], "nothing loaded from the network"
        finally:
            context.close()


@pytest.mark.slow
def test_the_feed_page_reconnects_after_the_server_restarts_on_the_same_port(browser: Any) -> None:
    first = LiveServer(live.build(retry_ms=200), name="test ch09 restart", stop_timeout=1, log_level="critical")
    first.start()
    port = first.port
    context = browser.new_context()
    second: LiveServer | None = None
    try:
        page = context.new_page()
        page.goto(first.url + "/feed")
        _wait_open(page, 1)
        _publish(first.url, "before the restart")
        page.wait_for_selector("li:has-text('before the restart')", timeout=5_000)
        first.stop()
        page.wait_for_function("document.getElementById('state').textContent !== 'open'", timeout=5_000)
        second = LiveServer(live.build(retry_ms=200), port=port, name="test ch09 restarted", log_level="critical")
        second.start()
        started = time.monotonic()
        _wait_open(page, 2)
        page.wait_for_selector("li.reset", timeout=5_000)  # it said: the history is gone
        assert time.monotonic() - started < 5
        _publish(second.url, "after the restart")
        page.wait_for_selector("li:has-text('after the restart')", timeout=5_000)
    finally:
        context.close()
        first.stop()
        if second is not None:
            second.stop()


@pytest.mark.slow
def test_the_feed_page_works_behind_the_hubs_proxy_prefix(
    browser: Any, jupyter: Jupyter, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("JUPYTERHUB_PUBLIC_URL", "COURSE_PROXY_PREFIX", "COURSE_PUBLIC_URL", "JUPYTER_SERVER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", PREFIX)
    monkeypatch.setenv("JUPYTERHUB_USER", "learner")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_URL", jupyter.url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", jupyter.token)
    with LiveServer(live.build(), name="test ch09 behind the proxy", log_level="critical") as srv:
        assert srv.browser_url == f"{PREFIX}proxy/{srv.port}"
        context = browser.new_context(extra_http_headers={"Authorization": f"token {jupyter.token}"})
        try:
            page = context.new_page()
            seen: list[str] = []
            page.on("request", lambda req: seen.append(req.url))
            page.goto(jupyter.origin + srv.browser_url + "/feed")
            _wait_open(page, 1)
            _publish(srv.url, "through the proxy")  # straight to the app; the page reads it through the proxy
            page.wait_for_selector("li:has-text('through the proxy')", timeout=5_000)
            page.fill("#text", "from the page")
            page.click("button")
            page.wait_for_selector("li:has-text('from the page')", timeout=5_000)
            proxied = jupyter.origin + srv.browser_url + "/"
            assert seen and all(u.startswith(proxied) for u in seen), seen
        finally:
            context.close()


@pytest.mark.slow
def test_the_hubs_proxy_streams_only_what_asks_for_an_event_stream(
    jupyter: Jupyter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why the chapter's streams answer 406 without ``Accept: text/event-stream``: jupyter-server-proxy buffers
    any other request whole, so the first byte of a stream comes only when the stream ends."""
    from course_app.chapters.ch09_sse import seed_as_pasted, stand_ins

    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", PREFIX)
    monkeypatch.setenv("JUPYTERHUB_USER", "learner")
    first_byte: dict[str, float] = {}
    with stand_ins.faster(5), LiveServer(seed_as_pasted.app, log_level="critical") as srv:  # 10 events, 0.2 s apart
        for accept in ("text/event-stream", "*/*"):
            headers = {"Authorization": f"token {jupyter.token}", "Accept": accept}
            started = time.perf_counter()
            with httpx.stream("GET", jupyter.origin + srv.browser_url + "/sse", headers=headers, timeout=10) as r:
                assert r.status_code == 200
                chunks = r.iter_raw()
                next(chunks)
                first_byte[accept] = time.perf_counter() - started
                for _ in chunks:  # the rest, to the end of the stream
                    pass
    assert first_byte["text/event-stream"] < 1.0 < first_byte["*/*"], first_byte  # the whole stream takes 2 s
