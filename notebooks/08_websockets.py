# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · WebSockets: echo, authentication, a room that survives real clients, a JSON protocol, keep-alive
#
# **Teaching:** 40 min · **Exercises:** 25 min
#
# **Questions**
# - What is a WebSocket handler doing while it waits for a message, and what does it cost?
# - What does a client see when the seed's authentication refuses it, and what does the server log?
# - What does one client that never reads do to the seed's broadcast room? One that dies? Many that come and go?
# - What happens to malformed JSON, the wrong shape, an oversized message?
# - What do uvicorn's ping settings do about a client that vanished without a word?
#
# **Objectives**
# - Measure an echo server's waiting connections: no thread each, the loop free.
# - Refuse a bad token with close code 1008 and a reason, without a traceback, and keep the token out of the log.
# - Build a broadcast that no member can stall or crash: a bounded queue and a writer task per member.
# - Answer every bad message with an error or a close with a reason; set the size limit on the server.
# - Read `ws_ping_interval` and `ws_ping_timeout` as a bound on how long a dead connection lingers.

# %% [markdown]
# ## Where this chapter starts
#
# The seed's section "WebSocket Handling" reads, reflowed (the published text lost its line breaks):
#
# ```python
# @app.websocket('/ws')
# async def websocket_endpoint(websocket: WebSocket):
#     await websocket.accept()
#     try:
#         while True:
#             data = await websocket.receive_text()
#             await websocket.send_text(f'Echo: {data}')
#     except WebSocketDisconnect:
#         print('Client disconnected')
#
# async def get_current_user_ws(websocket: WebSocket):
#     token = websocket.query_params.get('token')
#     if not token or not verify_token(token):
#         await websocket.close(code=1008)  # Policy violation
#         raise HTTPException(status_code=401, detail='Unauthorized')
#     return decode_token(token)
#
# class ConnectionManager:
#     def init(self):
#         self.active_connections: List[WebSocket] = []
#
#     async def connect(self, websocket: WebSocket):
#         await websocket.accept()
#         self.active_connections.append(websocket)
#
#     def disconnect(self, websocket: WebSocket):
#         self.active_connections.remove(websocket)
#
#     async def broadcast(self, message: str):
#         for connection in self.active_connections:
#             await connection.send_text(message)
#
# @app.websocket('/ws/chat/{client_id}')
# async def chat_endpoint(websocket: WebSocket, client_id: str):
#     await manager.connect(websocket)
#     await manager.broadcast(f'Client {client_id} joined the chat')
#     try:
#         while True:
#             data = await websocket.receive_text()
#             await manager.broadcast(f'Client {client_id}: {data}')
#     except WebSocketDisconnect:
#         manager.disconnect(websocket)
#         await manager.broadcast(f'Client {client_id} left the chat')
# ```
#
# and a `/ws/json` route that answers `{"type": "ping"}` and `{"type": "message", ...}`. `seed_as_pasted` holds all
# of it as written (`verify_token` and `decode_token`, which the seed never defines, come from `stand_ins`: two
# made-up users). The clients here are the `websockets` library's asyncio client, and two misbehaving ones of the
# chapter's own (`common.StalledClient`, `common.DeafClient`) for the clients a real server meets.

# %%
import asyncio
import threading
import time

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from course_app import LiveServer, compare, probe, serve, show_source
from course_app.chapters import ch08_websockets as ch08
from course_app.chapters.ch08_websockets import auth, json_protocol, room, seed_as_meant, seed_as_pasted
from course_app.chapters.ch08_websockets.common import (
    DeafClient,
    StalledClient,
    captured_log,
    deliveries,
    fresh_manager,
    send_buffer_max,
)
from course_app.errata import record
from course_app.exercises import ch08 as checks

GOOD = "alice-secret-token"  # one of stand_ins.TOKENS
print("tokens the stand-in accepts:", list(ch08.stand_ins.TOKENS))


async def closed_how(ws, wait: float = 2.0) -> str:
    """Wait up to ``wait`` seconds for the server to end ``ws``; say how: its close code and reason, or none."""
    try:
        async with asyncio.timeout(wait):
            while True:
                await ws.recv()
    except ConnectionClosed as exc:
        return f"{exc.rcvd.code} {exc.rcvd.reason!r}" if exc.rcvd else "no close frame (1006)"
    except TimeoutError:
        return "still open"


# %% [markdown]
# ## Echo, and what the handler does while it waits
#
# The seed's echo, from its module:

# %%
show_source(seed_as_pasted.websocket_endpoint)

# %% [markdown]
# `await websocket.receive_text()` suspends the handler until a message arrives: the coroutine is parked, a
# few kilobytes of memory, and the event loop serves everyone else. No thread waits per connection. To see it:
# echo round trips on an otherwise empty server, then the same with 200 other clients connected and idle, a probe
# sampling the server's loop lag and its worker threads meanwhile, and the process's thread count before and after.

# %% seed_claim={"id": "ws-echo", "measurement": "20 echo round trips alone, then with 200 other connections open and idle: every reply is 'Echo: ...', the median round trip stays within a few times the first, no worker thread is busy and the process gains no thread for the 200 waiting handlers.", "verdict": "right", "words": "@app.websocket('/ws') async def websocket_endpoint(websocket: WebSocket): await websocket.accept() try: while True: data = await websocket.receive_text() await websocket.send_text(f'Echo: {data}') except WebSocketDisconnect: print('Client disconnected')"}
seed_srv = serve(seed_as_pasted.app, name="ch08: the seed's app", log_level="critical")


async def echo_round_trips(n: int = 20) -> tuple[str, float]:
    async with connect(seed_srv.ws_url + "/ws") as ws:
        times = []
        for i in range(n):
            started = time.perf_counter()
            await ws.send(f"hello {i}")
            reply = await ws.recv()
            times.append(time.perf_counter() - started)
    return reply, sorted(times)[n // 2]


reply, alone = await echo_round_trips()
threads_before = threading.active_count()
idle = await asyncio.gather(*(connect(seed_srv.ws_url + "/ws") for _ in range(200)))
with probe(seed_srv) as waiting:
    await asyncio.sleep(0.3)  # 200 handlers parked in receive_text()
    _, crowded = await echo_round_trips()
threads_during = threading.active_count()
await asyncio.gather(*(ws.close() for ws in idle))
print(f"reply: {reply!r}; median round trip alone {alone * 1e3:.2f} ms, with 200 idle clients {crowded * 1e3:.2f} ms")
print(f"threads in this process: {threads_before} before, {threads_during} with 200 open connections;", waiting)
assert reply == "Echo: hello 19"
assert threads_during - threads_before < 5, "no thread per connection"
assert waiting.max_threads_busy == 0, "no worker thread was used"
assert crowded < 5 * alone, "(a busy machine can disturb this: run the cell again) idle connections cost nothing"
record(
    "ws-echo",
    f"median round trip {alone * 1e3:.2f} ms alone, {crowded * 1e3:.2f} ms with 200 idle connections; "
    f"threads {threads_before} -> {threads_during}; {waiting!r}",
)

# %% [markdown]
# Right as written. The `print` in `except WebSocketDisconnect` is the one thing to change: in a server, that goes
# to a logger, or nowhere.

# %% [markdown]
# ## Authentication: the seed's dependency
#
# The seed reads the token from the query string, and when it is missing or bad, closes with 1008 *before*
# accepting and then raises `HTTPException(401)`. Three clients, no token, a bad one, a good one; the server at
# log level INFO, its log captured:

# %%
show_source(seed_as_pasted.get_current_user_ws)

# %% seed_claim={"id": "ws-auth-dependency", "measurement": "With no token and a bad token the client gets an HTTP 403 handshake rejection, not close code 1008 nor 401; the server logs 'Exception in ASGI application' with a traceback for each (HTTPException, then RuntimeError: Unexpected ASGI message 'websocket.http.response.start'); a good token works, and uvicorn logs the URL with the token in it.", "verdict": "wrong", "words": "async def get_current_user_ws(websocket: WebSocket): token = websocket.query_params.get('token') if not token or not verify_token(token): await websocket.close(code=1008) # Policy violation raise HTTPException(status_code=401, detail='Unauthorized') return decode_token(token)"}
seed_srv.stop()
seed_auth = serve(seed_as_pasted.app, name="ch08: the seed's authentication", log_level="info")
seen: dict[str, str] = {}
with captured_log(seed_auth) as seed_log:
    for label, query in (("no token", ""), ("bad token", "?token=nope"), ("good token", f"?token={GOOD}")):
        try:
            async with connect(seed_auth.ws_url + "/ws/authenticated" + query) as ws:
                seen[label] = await ws.recv()
        except InvalidStatus as exc:
            seen[label] = f"HTTP {exc.response.status_code} (the handshake was refused)"
    await asyncio.sleep(0.2)
seed_auth.stop()
print("what the client sees:", seen, sep="\n  ")
print("what the server logs:", *seed_log, sep="\n  ")
tracebacks = [line for line in seed_log if line.traceback]
assert seen["no token"].startswith("HTTP 403") and seen["bad token"].startswith("HTTP 403"), seen
assert seen["good token"] == "Welcome alice"
assert len(tracebacks) >= 2 and all("Exception in ASGI application" in line.message for line in tracebacks)
assert any("websocket.http.response.start" in str(e) for e in seed_auth.errors)
assert any(GOOD in line.message for line in seed_log), "the token is in the log"
record(
    "ws-auth-dependency",
    f"client sees {seen['no token']!r} and {seen['bad token']!r}; the log: {len(tracebacks)} tracebacks "
    f"({seed_auth.errors[-1]!r}); token logged: {next(line.message for line in seed_log if GOOD in line.message)!r}",
)

# %% [markdown]
# Three problems, each visible above:
#
# - **The client never sees 1008.** A close before `accept()` happens during the HTTP handshake, which has no close
#   codes: uvicorn answers `403 Forbidden`, and a browser's `onclose` gets 1006 with no reason.
# - **A traceback for every refused client.** After the close, `HTTPException` goes to FastAPI's HTTP error
#   handler, which tries to send a 401 response on a connection already refused. The log fills with errors that are
#   not errors, and real ones drown in them.
# - **The token is in the log.** uvicorn logs each WebSocket's path *with its query string*, at INFO, from the
#   logger `uvicorn.error` (so even with the access log off). Proxies and browser history keep URLs too.
#
# The fix in `auth`: accept first, then read the token as the **first message** (a browser cannot set an
# `Authorization` header on a WebSocket), and refuse with 1008 and a reason:

# %%
show_source(auth.authenticate, auth.authenticated_websocket)

# %%
auth_srv = serve(
    auth.build(auth_timeout=0.5), name="ch08: auth by first message", log_level="info", access_log=True
)  # the access log on too: nothing of the token in either log


async def first_message(token: str | None) -> str:
    async with connect(auth_srv.ws_url + "/ws/authenticated") as ws:
        if token is not None:
            await ws.send(token)
        try:
            return await asyncio.wait_for(ws.recv(), 2)
        except ConnectionClosed as exc:
            return f"closed {exc.rcvd.code} {exc.rcvd.reason!r}" if exc.rcvd else "closed without a close frame"


with captured_log(auth_srv) as fixed_log:
    answers = {
        "nothing sent": await first_message(None),
        "bad token": await first_message("nope"),
        "good token": await first_message(GOOD),
    }
    await asyncio.sleep(0.1)
auth_srv.stop()
print("what the client sees:", *(f"{k}: {v}" for k, v in answers.items()), sep="\n  ")
print("what the server logs:", *fixed_log, sep="\n  ")
assert answers["nothing sent"].startswith("closed 1008") and "no token within" in answers["nothing sent"]
assert answers["bad token"].startswith("closed 1008") and "valid token" in answers["bad token"]
assert answers["good token"] == "Welcome alice"
assert not any(line.traceback for line in fixed_log) and not auth_srv.errors, "no traceback"
assert not any(GOOD in line.message for line in fixed_log), "the token is not in the log"

# %% [markdown]
# Every refusal now carries 1008 and a reason the client can show; the log has one INFO line per connection and
# no traceback; the token appears in neither uvicorn's error log nor its access log (on here, `access_log=True`). (`GET /me` in the same app checks the same tokens for plain HTTP
# clients, from an `Authorization: Bearer` header.)

# %% [markdown]
# ## A broadcast room: the seed's `ConnectionManager`
#
# As written, `def init` is an ordinary method that nothing calls, so the list it would make never exists:

# %% seed_claim={"id": "ws-connection-manager-init", "measurement": "Serves the seed's chat route as written: the first client is accepted, then the server raises AttributeError: 'ConnectionManager' object has no attribute 'active_connections' and drops the connection without a close frame.", "verdict": "broken", "words": "class ConnectionManager: def init(self): self.active_connections: List[WebSocket] = []"}
with LiveServer(seed_as_pasted.app, name="ch08: the seed's chat as written", log_level="critical") as srv:
    async with connect(srv.ws_url + "/ws/chat/alice") as ws:
        how = await closed_how(ws)
print("the client:", how, "| the server:", repr(srv.errors[-1]))
assert how == "no close frame (1006)"
assert isinstance(srv.errors[-1], AttributeError) and "active_connections" in str(srv.errors[-1])
record("ws-connection-manager-init", f"the client: {how}; the server: {srv.errors[-1]!r}")

# %% [markdown]
# `seed_as_meant` spells it `__init__` and changes nothing else. The room runs; now for the clients a real
# room meets. Beside it, the course's `room`: each member has a bounded queue and a writer task of its own, and a
# broadcast only drops the message into every queue, without awaiting anything:

# %%
show_source(seed_as_meant.ConnectionManager.broadcast, seed_as_meant.chat_endpoint)

# %%
show_source(room.Rooms.broadcast, room.Rooms.kick, room._writer)

# %% [markdown]
# ### A member that never reads
#
# A browser tab in the background, a phone in a tunnel: the client is connected, and reads nothing. `StalledClient`
# joins first, then alice publishes messages of 256 KiB and bob reads. With a small receive buffer on the stalled
# client, the server's buffers towards it fill after a few MB (the kernel's send buffer grows to
# `tcp_wmem`'s maximum here); we send more than that, and give bob 1.5 s to get everything:

# %% seed_claim={"id": "ws-broadcast-slow-member", "measurement": "A member that never reads joins first; alice publishes messages of 256 KiB, more than the kernel buffers towards that member hold, bob reads: with the seed's broadcast bob stops receiving once those buffers are full, and alice's later messages are never delivered within 1.5 s; with a queue and a writer per member bob receives every one.", "verdict": "wrong", "words": "async def broadcast(self, message: str): for connection in self.active_connections: await connection.send_text(message)"}
SIZE = 256 * 1024
N = (send_buffer_max() + 2 * 1024 * 1024) // SIZE + 4  # more than the buffers towards the stalled member hold
WITHIN = 1.5
apps = {
    "seed (as meant)": (seed_as_meant.app, "/ws/chat/{}"),
    "room: a queue and a writer per member": (room.build(max_message=SIZE), "/ws/lobby?name={}"),
}
stalled_runs, free_runs = {}, {}
for label, (app, path) in apps.items():
    fresh_manager(seed_as_meant)
    with LiveServer(app, name=f"ch08: {label}", log_level="critical") as srv:
        url = srv.ws_url + path
        free_runs[label] = await deliveries(url.format("alice"), url.format("bob"), n=N, size=SIZE, within=WITHIN)
        async with StalledClient(url.format("stalled")):
            stalled_runs[label] = await deliveries(
                url.format("alice"), url.format("bob"), n=N, size=SIZE, within=WITHIN, label=label
            )
for label, result in stalled_runs.items():
    print(f"{label:38} alone: {free_runs[label].ok}/{N} in {free_runs[label].wall:.2f} s; with a stalled member: "
          f"{result.ok}/{N} received, {dict(result.statuses)}")  # fmt: skip
seed_run, room_run = stalled_runs.values()
assert all(r.ok == N for r in free_runs.values()), "without a stalled member both deliver everything"
assert seed_run.ok < N - 2, "the seed's room stalled: bob got only what fit before the buffers filled"
assert room_run.ok == N, "the fixed room delivered every message"
assert room_run.wall < WITHIN / 2 and room_run.wall < 5 * free_runs["room: a queue and a writer per member"].wall + 0.2
record(
    "ws-broadcast-slow-member",
    f"{N} messages of {SIZE // 1024} KiB: the seed's room delivered {seed_run.ok}/{N} to bob within {WITHIN:g} s, "
    f"the fixed room {room_run.ok}/{N} in {room_run.wall:.2f} s",
)

# %%
compare(
    stalled_runs,
    {label: free_runs[label].wall for label in stalled_runs},
    title=f"{N} broadcasts of {SIZE // 1024} KiB with one member that never reads: time until bob has them all",
    ideal_labels={label: "the same room without the stalled member" for label in stalled_runs},
)

# %% [markdown]
# In the seed's room, alice's handler awaits `send_text` to the stalled member; once its buffers are full that
# await never returns, so the `for` loop never reaches bob, and alice's handler never reads her next message. One
# member stalls the room, every sender included. In `room` the stalled member's own writer is stuck, and nobody
# else: a broadcast does not wait. Its queue fills (`queue_size`, 100 by default, 20 below); then the room
# disconnects it (close code 1008, "too slow") instead of holding its messages for ever. Messages of 16 KiB this
# time, enough of them to fill its buffers and its queue, half a millisecond apart:

# %%
SMALL = 16 * 1024
N_SMALL = (send_buffer_max() + 2 * 1024 * 1024) // SMALL + 40  # past the stalled member's buffers, and its queue
with LiveServer(room.build(queue_size=20, max_message=SMALL), name="ch08: room, queue of 20") as srv:
    url = srv.ws_url + "/ws/lobby?name={}"
    async with StalledClient(url.format("stalled")):
        kicked_run = await deliveries(
            url.format("alice"), url.format("bob"), n=N_SMALL, size=SMALL, within=3, pause=0.0005
        )
        counts = httpx.get(srv.url + "/rooms").json()
print(f"{kicked_run.ok}/{N_SMALL} messages of {SMALL // 1024} KiB delivered to bob; the room says: {counts}")
assert kicked_run.ok == N_SMALL, "(a busy machine can slow bob's reader too: run the cell again) every one delivered"
assert counts["too_slow"] == 1, f"the stalled member, and only it, was disconnected: {counts}"

# %% [markdown]
# Only the stalled member was disconnected. The queue bounds how far *any* member may fall behind: a publisher that
# sends faster than a healthy member reads, for longer than the queue and the buffers absorb, gets that member
# disconnected too (here, alice with no pause at all overruns bob, whose client runs in the same process as hers).
# That is the policy working: the alternative is a server whose memory grows with its slowest reader.

# %% [markdown]
# ### A member that dies
#
# A client whose session ends in a way the seed does not expect: here it sends a binary frame, which
# `receive_text()` cannot read (a `KeyError` ends its handler, `disconnect` is never called). Alice, healthy, then
# says hello:

# %% seed_claim={"id": "ws-broadcast-dead-member", "measurement": "A member's handler dies (it sent a binary frame; receive_text raises KeyError) and stays in the list; the next broadcast by a healthy member raises inside that member's handler, which takes the exception for its own disconnect, removes itself and is dropped without a close frame, with a traceback in the log; the fixed room closes only the bad member (1003) and keeps alice.", "verdict": "wrong", "words": "except WebSocketDisconnect: manager.disconnect(websocket) await manager.broadcast(f'Client {client_id} left the chat')"}
dead_cases = {}
for label, (app, path) in apps.items():
    fresh_manager(seed_as_meant)
    with LiveServer(app, name=f"ch08: {label}", log_level="critical") as srv:
        url = srv.ws_url + path
        async with (
            connect(url.format("alice")) as alice,
            connect(url.format("bob")),
            StalledClient(url.format("dies")) as dies,
        ):
            await dies.send_binary(b"\x00")
            await asyncio.sleep(0.2)
            await alice.send("hello")
            await asyncio.sleep(0.2)
            alice_state = await closed_how(alice, wait=0.3)
            members = httpx.get(srv.url + ("/members" if "seed" in label else "/rooms")).json()
        dead_cases[label] = (alice_state, members, [type(e).__name__ for e in srv.errors])
for label, case in dead_cases.items():
    print(f"{label:38} alice: {case[0]}; the room: {case[1]}; server errors: {case[2]}")
seed_case, room_case = dead_cases.values()
assert seed_case[0] == "no close frame (1006)", "the healthy sender was dropped"
assert "KeyError" in seed_case[2] and len(seed_case[2]) >= 2
assert room_case[0] == "still open" and room_case[2] == [], "the fixed room kept alice, without an error"
record("ws-broadcast-dead-member", f"seed: alice {seed_case[0]}, errors {seed_case[2]}; room: alice {room_case[0]}")

# %% [markdown]
# In the seed, the dead member stays in `active_connections`. Alice's broadcast reaches it, `send_text` raises
# `WebSocketDisconnect`, and it raises *in alice's handler*, whose `except WebSocketDisconnect` takes it for
# alice's own disconnect: it removes alice, tries to announce that she left (which raises again, on the same dead
# member) and drops her connection. In `room`, every send happens in the member's own writer task: a failed send
# ends that member's session and nobody else's, and an unexpected frame gets a close with a reason (1003).

# %% [markdown]
# ### Joins and leaves at the same moment
#
# Three members stay and read; one of them talks every 5 ms; meanwhile 120 clients join and leave (half close
# politely, half just vanish), 40 at a time:

# %% seed_claim={"id": "ws-broadcast-join-leave", "measurement": "3 members stay and read while one talks every 5 ms and 120 clients join and leave, 40 at a time (half closing, half vanishing): with the seed's list, broadcasts raise in the talker's and the leavers' handlers (dozens of errors), steady members are dropped (the talker always) and dead connections stay in the list; the fixed room keeps all 3, with no error and an empty room afterwards but for them.", "verdict": "wrong", "words": "def disconnect(self, websocket: WebSocket): self.active_connections.remove(websocket)"}
async def churn(url: str, i: int) -> None:
    ws = await connect(url.format(f"c{i}"), close_timeout=0.3)
    await asyncio.sleep(0.01 * (i % 5))
    if i % 2:
        ws.transport.abort()  # vanishes
    else:
        await ws.close()


async def steady_through_churn(app, path: str, label: str) -> tuple[list[bool], dict, int]:
    """3 steady members (one talking every 5 ms) while 120 others join and leave: who is still connected, the room
    afterwards, and how many errors the server had."""
    fresh_manager(seed_as_meant)
    with LiveServer(app, name=f"ch08: {label}", log_level="critical", stop_timeout=1) as srv:
        url = srv.ws_url + path
        steady = []
        for i in range(3):
            steady.append(await connect(url.format(f"s{i}"), close_timeout=1))
        stop = asyncio.Event()

        async def read(ws) -> None:
            async for _ in ws:
                pass

        async def talk() -> None:
            n = 0
            while not stop.is_set():
                await steady[0].send(f"tick {n}")
                n += 1
                await asyncio.sleep(0.005)

        readers = [asyncio.create_task(read(ws)) for ws in steady]
        talker = asyncio.create_task(talk())
        for wave in range(3):
            await asyncio.gather(*(churn(url, wave * 100 + i) for i in range(40)), return_exceptions=True)
        stop.set()
        await asyncio.gather(talker, return_exceptions=True)
        await asyncio.sleep(0.3)
        alive = [ws.state.name == "OPEN" for ws in steady]
        async with httpx.AsyncClient(base_url=srv.url) as http:
            left = (await http.get("/members" if "seed" in label else "/rooms")).json()
        for ws in steady:
            ws.transport.abort()
        await asyncio.gather(*readers, return_exceptions=True)
    return alive, left, len(srv.errors)


churned, tries = {}, {}
for label, (app, path) in apps.items():
    # the seed's leaks are races (a broadcast must meet a leaver): a busy machine can miss them, so up to 3 tries
    for tries[label] in range(1, 4):
        churned[label] = await steady_through_churn(app, path, label)
        if "seed" not in label or churned[label][1]["members"] > 3:
            break
for label, (alive, left, errors) in churned.items():
    print(
        f"{label:38} steady members still connected: {sum(alive)}/3; the room after: {left}; server errors: {errors}"
        + (f" (try {tries[label]})" if tries[label] > 1 else "")
    )
(seed_alive, seed_left, seed_errors), (room_alive, room_left, room_errors) = churned.values()
assert seed_errors >= 5 and not seed_alive[0], "the seed's room raised, and dropped the member who talked"
assert seed_left["members"] > 3, (
    "dead connections stayed in the list (in 3 tries: the machine is very busy; run it again)"
)
assert all(room_alive) and room_errors == 0 and room_left["rooms"] == {"lobby": 3}
record(
    "ws-broadcast-join-leave",
    f"seed: {sum(seed_alive)}/3 steady members left connected, {seed_errors} server errors, {seed_left} after; "
    f"room: {sum(room_alive)}/3, {room_errors} errors, {room_left}",
)

# %% [markdown]
# Each leave in the seed's room is a race: between a client's close arriving and its handler running
# `disconnect`, any broadcast that reaches it raises in the broadcaster's handler, which then removes *itself*.
# The vanished clients whose handler died that way never leave the list, so every later broadcast raises again.
# In `room` nothing a member does can raise in another member's handler: a broadcast iterates over a copy of the
# set and never awaits, so no join or leave can happen in the middle of one.

# %% [markdown]
# ## A JSON protocol, with validation
#
# The seed's `/ws/json` calls `receive_json()` and `data.get('type')`. Six messages to it and to
# `json_protocol`, which validates with a pydantic discriminated union and answers every bad message:

# %%
show_source(json_protocol.Ping, json_protocol.Message, json_protocol.json_websocket)

# %% seed_claim={"id": "ws-json-messages", "measurement": "Text that is not JSON, and a JSON array, end the seed's connection without a close frame and with a traceback; an unknown type gets no answer at all; a message without content is answered 'Received: None'. The validated protocol answers each with an error saying what is wrong and keeps the connection open.", "verdict": "wrong", "words": "data = await websocket.receive_json() message_type = data.get('type')"}
PROBES = {
    "ping": '{"type": "ping"}',
    "not JSON": "hello",
    "a JSON array": "[1, 2]",
    "unknown type": '{"type": "nope"}',
    "no content": '{"type": "message"}',
    "a message": '{"type": "message", "content": "hi"}',
}


async def ask(srv: LiveServer, text: str) -> str:
    async with connect(srv.ws_url + "/ws/json") as ws:
        await ws.send(text)
        try:
            return await asyncio.wait_for(ws.recv(), 0.5)
        except TimeoutError:
            return "(no answer)"
        except ConnectionClosed as exc:
            return f"closed {exc.rcvd.code}" if exc.rcvd else "dropped without a close frame"


json_answers = {}
for label, app in (("seed", seed_as_pasted.app), ("validated", json_protocol.app)):
    with LiveServer(app, name=f"ch08: JSON, {label}", log_level="critical") as srv:
        json_answers[label] = {}
        for what, text in PROBES.items():
            json_answers[label][what] = await ask(srv, text)
        json_answers[label]["server errors"] = [type(e).__name__ for e in srv.errors]
for what in PROBES:
    print(f"{what:13} seed: {json_answers['seed'][what]:32} validated: {json_answers['validated'][what]}")
print("server errors:", {label: a["server errors"] for label, a in json_answers.items()})
seed_json, valid_json = json_answers["seed"], json_answers["validated"]
assert seed_json["not JSON"] == seed_json["a JSON array"] == "dropped without a close frame"
assert seed_json["unknown type"] == "(no answer)" and "None" in seed_json["no content"]
assert set(seed_json["server errors"]) == {"JSONDecodeError", "AttributeError"}
assert all('"error"' in valid_json[w] for w in ("not JSON", "a JSON array", "unknown type", "no content"))
assert valid_json["server errors"] == [] and valid_json["ping"] == '{"type":"pong"}'
record(
    "ws-json-messages",
    f"seed: not JSON -> {seed_json['not JSON']}, unknown type -> {seed_json['unknown type']}, no content -> "
    f"{seed_json['no content']}; validated: {valid_json['not JSON']}",
)

# %% [markdown]
# The validated protocol tells the client what is wrong, in pydantic's words, and keeps going; after
# `MAX_ERRORS` bad messages in a row it closes with 1008 and a reason. A binary frame gets 1003.
#
# **Oversized messages** never reach the app: uvicorn reassembles each message in memory up to `ws_max_size`
# (16 MiB by default) and closes with 1009 beyond it. 16 MiB per message, per client, is a lot of memory for a
# chat. Set the limit where the server starts (`LiveServer` passes it to `uvicorn.Config`, as `--ws-max-size` does
# on the command line):

# %%
big = '{"type": "message", "content": "' + "x" * 100_000 + '"}'
sizes = {}
for limit in (None, 64 * 1024):
    options = {} if limit is None else {"ws_max_size": limit}
    with LiveServer(json_protocol.app, name="ch08: JSON, size limit", log_level="critical", **options) as srv:
        sizes[limit or "default (16 MiB)"] = await ask(srv, big)
print({str(k): v[:90] for k, v in sizes.items()})
assert "at most 1000 characters" in sizes["default (16 MiB)"], "under 16 MiB it reaches the app, which refuses it"
assert sizes[64 * 1024] == "closed 1009", "over ws_max_size uvicorn closes with 1009 (message too big)"

# %% [markdown]
# ## Keep-alive: ping and pong
#
# A client that vanishes without closing (a laptop lid shut, a mobile network gone) leaves a connection that looks
# open: no FIN, no RST, nothing to read. uvicorn sends a ping every `ws_ping_interval` seconds (20 by default) and
# closes with 1011 if no pong comes within `ws_ping_timeout` (20). `DeafClient` reads everything and answers
# nothing; a normal client answers pings by itself. Both on a server set to 0.3 s and 0.3 s:

# %%
INTERVAL, TIMEOUT = 0.3, 0.3
with LiveServer(room.build(), name="ch08: keep-alive", ws_ping_interval=INTERVAL, ws_ping_timeout=TIMEOUT) as srv:
    polite = await connect(srv.ws_url + "/ws/pings?name=polite")
    async with DeafClient(srv.ws_url + "/ws/pings?name=deaf") as deaf:
        heard = await deaf.listen(4 * (INTERVAL + TIMEOUT))
    polite_state = polite.state.name
    await polite.close()
print(f"the deaf client: first ping after {heard.pings[0]:.2f} s, closed after {heard.closed_after:.2f} s")
print("its close frame:", heard.close)
print(f"the polite client, {heard.closed_after:.2f} s later: {polite_state}")
assert heard.close is not None and heard.close.code == 1011 and "keepalive" in heard.close.reason
assert 0.9 * INTERVAL <= heard.pings[0] < 3 * INTERVAL, "the first ping comes after ping_interval"
assert 0.9 * (INTERVAL + TIMEOUT) <= heard.closed_after < 3 * (INTERVAL + TIMEOUT), "closed after interval + timeout"
assert polite_state == "OPEN"

# %% [markdown]
# The dead connection is gone after `ws_ping_interval + ws_ping_timeout`; with the defaults, up to 40 s, during
# which the room keeps queueing for it. Pick them for your clients: shorter finds dead peers sooner; every ping is a
# few bytes per connection per interval, and a client on a slow network needs time to answer. Browsers answer pings
# by themselves (JavaScript never sees them), so a page needs nothing for this. Proxies in between (nginx's
# `proxy_read_timeout`, 60 s by default, a load balancer's idle timeout) close idle connections too; a ping
# interval below their timeout keeps a quiet connection alive through them.

# %% [markdown]
# ## The chat page
#
# `room` serves a page at `/chat`. Open it in two browser tabs, join the same room, and talk to yourself:

# %%
chat_srv = serve(room.app, name="ch08: the chat room")
page = httpx.get(chat_srv.url + "/chat")
assert page.status_code == 200 and 'new URL("ws/"' in page.text, "the page builds its WebSocket URL relative to itself"
print(f"open {chat_srv.browser_url}/chat in two tabs")

# %% [markdown]
# Every URL in the page is relative to its own address (`new URL("ws/" + room, location.href)`, with the scheme
# switched to `ws:` or `wss:`), so it works on a JupyterHub behind the proxy's path prefix just as on your laptop.
# `GET /rooms` shows who is where. The tests drive two headless Chromium pages through it, directly and through
# jupyter-server-proxy.

# %% [markdown]
# ## Exercise 8.1 · Refuse a bad token with 1008
#
# Complete `ex81_endpoint`: accept the connection, read the first message, and if it is not a token that
# `verify_token` accepts, close with code **1008** (policy violation) and a reason. With a good token, send
# `Welcome <name>` (the user is `decode_token(token)`) and then echo as the seed does. The check connects with no
# token, a bad one and a good one, and reads what the server logs.

# %% tags=["exercise"]
from fastapi import FastAPI, WebSocket, WebSocketDisconnect, status

from course_app.chapters.ch08_websockets.stand_ins import decode_token, verify_token

ex81_app = FastAPI(title="exercise 8.1")


@ex81_app.websocket("/ws")
async def ex81_endpoint(websocket: WebSocket) -> None:
    await websocket.accept()
    token = await websocket.receive_text()
    ### BEGIN SOLUTION
    if not verify_token(token):
        await websocket.close(status.WS_1008_POLICY_VIOLATION, "a valid token is required")
        return
    ### END SOLUTION
    user = decode_token(token)
    try:
        await websocket.send_text(f"Welcome {user['name']}")
        while True:
            await websocket.send_text(f"{user['name']}: {await websocket.receive_text()}")
    except WebSocketDisconnect:
        pass


# %% tags=["exercise"]
await checks.check_token_refused(ex81_app)

# %% [markdown]
# ## Exercise 8.2 · A broadcast that a slow member cannot stall
#
# Each member of `ex82_room` has a queue of at most `QUEUE_SIZE` messages and a writer task that sends from it
# (given). Complete `broadcast` so that a member that never reads cannot slow the sender or the others, and so that
# the room's memory stays bounded. The check connects a member that never reads, then one that publishes 80
# messages of 64 KiB and one that reads them; it counts the tasks on the server meanwhile.

# %% tags=["exercise"]
QUEUE_SIZE = 10
ex82_app = FastAPI(title="exercise 8.2")


class Ex82Room:
    def __init__(self) -> None:
        self.members: dict[WebSocket, asyncio.Queue[str]] = {}

    async def broadcast(self, text: str) -> None:
        ### BEGIN SOLUTION
        for websocket, queue in list(self.members.items()):
            try:
                queue.put_nowait(text)
            except asyncio.QueueFull:  # too slow: it leaves the room
                self.members.pop(websocket, None)
        ### END SOLUTION


ex82_room = Ex82Room()


@ex82_app.websocket("/ws")
async def ex82_member(websocket: WebSocket) -> None:
    await websocket.accept()
    queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
    ex82_room.members[websocket] = queue

    async def writer() -> None:
        while True:
            await websocket.send_text(await queue.get())

    sending = asyncio.create_task(writer())
    try:
        while True:
            await ex82_room.broadcast(await websocket.receive_text())
    except WebSocketDisconnect:
        pass
    finally:
        ex82_room.members.pop(websocket, None)
        sending.cancel()


# %% tags=["exercise"]
await checks.check_slow_member(ex82_app)

# %% [markdown]
# ## Clean up

# %%
chat_srv.stop()
assert not any(s.running for s in (seed_srv, seed_auth, auth_srv, chat_srv))

# %% [markdown]
# ## Key points
#
# - A WebSocket handler waiting in `receive_text()` is a parked coroutine: no thread, no CPU. Hundreds cost little.
# - Refuse after `accept()`, with `close(1008, reason)`: a close before it is an HTTP 403 without code or reason,
#   and an `HTTPException` in a WebSocket leaves a traceback. Send the token as the first message: uvicorn logs
#   every WebSocket URL with its query string.
# - A broadcast that awaits each send in turn is as fast as its slowest member, and a failed send raises in the
#   sender's handler. Give each member a bounded queue and a writer task; broadcast with `put_nowait` over a copy;
#   disconnect a member whose queue is full.
# - Validate every message (a pydantic discriminated union), answer bad ones with an error, close with a reason
#   when you give up; never let `receive_json()` drop the connection silently. Set `ws_max_size` for the protocol.
# - `ws_ping_interval + ws_ping_timeout` bounds how long a vanished client keeps its connection (40 s by default).
