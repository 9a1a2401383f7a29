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
# # 06 · Background tasks: timing, order, errors, loss on stop
#
# **Teaching:** 30 min · **Exercises:** 25 min
#
# **Questions**
# - When does a `BackgroundTasks` task run: before or after the client has its response? In what order, and on
#   which thread or event loop?
# - What does a task written with `async def` do to the server, and one written with `def`?
# - A task raises: what does the client see, what does the log show, and what happens to the tasks queued after it?
# - The server stops while tasks are queued or running: what runs, and what is lost?
#
# **Objectives**
# - Put the client's response and each task on one timeline, and read the order off it.
# - Tell a task that waits politely from one that blocks the loop, or holds a worker thread.
# - Make a task log its own failure, so that the ones after it still run.
# - Count the tasks a stopping server loses, and say when work belongs in a durable queue instead.

# %% [markdown]
# ## Where this chapter starts
#
# The seed's section "Background Tasks" opens with "Fire-and-forget tasks without blocking the response.", and its
# list of best practices says "Use BackgroundTasks for fire-and-forget operations". Its code, reflowed (the
# published text lost its line breaks):
#
# ```python
# from fastapi import BackgroundTasks, FastAPI
# import asyncio
# from datetime import datetime
#
# app = FastAPI()
#
# # Simple background task
# async def send_email(email: str, message: str):
#     await asyncio.sleep(2)  # Simulate email sending
#     print(f'Email sent to {email}: {message}')
#
# @app.post('/send-email')
# async def send_email_endpoint(email: str, message: str, background_tasks: BackgroundTasks):
#     background_tasks.add_task(send_email, email, message)
#     return {'status': 'Email will be sent in background'}
#
# # Multiple background tasks
# async def log_activity(user_id: int, action: str):
#     await asyncio.sleep(0.5)
#     print(f'[{datetime.now()}] User {user_id} performed: {action}')
#
# async def update_analytics(action: str):
#     await asyncio.sleep(1)
#     print(f'Analytics updated for action: {action}')
#
# @app.post('/users/{user_id}/action')
# async def perform_action(user_id: int, action: str, background_tasks: BackgroundTasks):
#     # Add multiple tasks
#     background_tasks.add_task(log_activity, user_id, action)
#     background_tasks.add_task(update_analytics, action)
#     return {'status': 'Action logged'}
#
# # Background cleanup
# async def cleanup_temp_files(file_path: str):
#     await asyncio.sleep(60)  # Wait before cleanup
#     import os
#     if os.path.exists(file_path):
#         os.remove(file_path)
#         print(f'Cleaned up: {file_path}')
#
# @app.post('/upload')
# async def upload_file(file: UploadFile, background_tasks: BackgroundTasks):
#     temp_path = f'/tmp/{file.filename}'
#     with open(temp_path, 'wb') as f:
#         content = await file.read()
#         f.write(content)
#     # Schedule cleanup
#     background_tasks.add_task(cleanup_temp_files, temp_path)
#     return {'filename': file.filename, 'path': temp_path}
# ```
#
# `seed_as_pasted` serves it as written, with two changes it says at its top: `UploadFile` is imported (the seed
# forgot it, see below), and its `/tmp/` and its 60 seconds are the course's stand-ins (`stand_ins.UPLOAD_FOLDER`
# and `stand_ins.CLEANUP_DELAY`), so that a cell can shorten the wait and keep uploads out of the shared `/tmp`.

# %%
import asyncio
import contextlib
import inspect
import logging
import os
import subprocess
import sys
import tempfile
import time

import httpx
import uvicorn
from starlette.background import BackgroundTasks as StarletteBackgroundTasks

from course_app import LiveServer, calibrate, compare, load, show_source
from course_app.chapters.ch06_background_tasks import (
    blocking,
    failing,
    guarded,
    lost,
    order,
    seed_as_pasted,
    stand_ins,
)
from course_app.chapters.ch06_background_tasks.common import Event, TimedOutput, captured_log
from course_app.chapters.ch06_background_tasks.figures import task_timeline, where
from course_app.errata import record
from course_app.exercises import ch06 as checks

CLIENT = "httpx.AsyncClient (keep-alive) in the notebook"
cal = await calibrate(n=50, repeats=1)  # the load client's own overhead, for the bar charts' footnotes
print(cal)

# %% [markdown]
# ## The seed's email, sent after the response
#
# One `POST /send-email` to the seed's app, timed by the notebook's client. The seed's task prints when it is done;
# the server runs in this kernel's process, so its `print` writes to this process's standard output, which the cell
# borrows for a moment (`TimedOutput` notes when each line arrives):

# %% seed_claim={"id": "background-send-email", "measurement": "POST /send-email to the seed's app: the client gets its 200 in a few ms; the seed's print 'Email sent to ...' arrives on the server process's standard output about 2 s later, after the response.", "verdict": "right", "words": "Fire-and-forget tasks without blocking the response."}
out = TimedOutput()
with LiveServer(seed_as_pasted.app, name="ch06: the seed") as srv, contextlib.redirect_stdout(out):
    async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
        sent = time.perf_counter()
        r = await client.post("/send-email", params={"email": "ada@example.com", "message": "welcome"})
        answered = time.perf_counter()
        await out.wait_for(1, timeout=5)
response_s = answered - sent
printed_s = out.lines[0][0] - sent if out.lines else float("inf")
print(f"{r.status_code} {r.json()} after {response_s * 1000:.0f} ms")
print(f"the seed's print, {printed_s:.2f} s after the request: {out.lines[0][1] if out.lines else None!r}")
assert r.status_code == 200 and out.lines, "the response came, and so did the print"
assert printed_s >= 1.9, "the print waited for the seed's asyncio.sleep(2)"
assert response_s < printed_s / 8, "the response did not wait for the email (if this fails, the machine was very busy)"
record(
    "background-send-email",
    f"200 after {response_s * 1000:.0f} ms; the print 'Email sent to ...' {printed_s:.2f} s after the request",
)
task_timeline(
    [("POST /send-email", sent, answered)],
    [Event("send_email", answered, end=sent + printed_s)],
    ideal=response_s + 2,
    ideal_label="the response, then the seed's 2 s",
    title="The seed's POST /send-email: the answer at once, the email 2 s later",
    client=CLIENT,
    notes={"send_email": "from the response to its print"},
)

# %% [markdown]
# The response did not wait: the seed is right about that. Its `print` is another matter: under `uvicorn app:app` it
# goes to the process's standard output, with no time, no level, no logger name. And when standard output is a pipe
# (a container's log collector, a service manager), Python does not even flush it line by line. A Python process
# with its output piped, as those run it:

# %%
asked = "import sys; print(sys.stdout.isatty(), sys.stdout.line_buffering)"
environment = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # Python's default
piped = subprocess.run(
    [sys.executable, "-c", asked], capture_output=True, text=True, check=True, timeout=30, env=environment
)
print("a terminal?", "flushed at each line?", "->", piped.stdout.strip())
assert piped.stdout.split() == ["False", "False"], "piped: block-buffered"

# %% [markdown]
# So, unless the image sets `PYTHONUNBUFFERED=1`, the seed's "Email sent" lines wait in a buffer of several
# kilobytes, and a process that dies loses them: the only trace of a sent email. Use `logging`, as the fix for
# failures below does (its handlers flush each record).
#
# ## The seed's two tasks: one after the other
#
# `log_activity` waits 0.5 s and `update_analytics` 1 s. If they ran side by side, both would be done after 1 s:

# %% seed_claim={"id": "background-multiple-tasks", "measurement": "POST /users/7/action to the seed's app: the two prints come about 0.5 s and 1.5 s after the response (0.5 + 1), not 0.5 s and 1 s: the tasks of one BackgroundTasks run one after the other, in the order they were added.", "verdict": "right", "words": "background_tasks.add_task(log_activity, user_id, action) background_tasks.add_task(update_analytics, action)"}
out = TimedOutput()
with LiveServer(seed_as_pasted.app, name="ch06: the seed") as srv, contextlib.redirect_stdout(out):
    async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
        sent = time.perf_counter()
        r = await client.post("/users/7/action", params={"action": "login"})
        answered = time.perf_counter()
        await out.wait_for(2, timeout=5)
after = [round(t - answered, 2) for t, _ in out.lines]
for (_, line), t in zip(out.lines, after, strict=True):
    print(f"+{t:.2f} s  {line}")
assert r.status_code == 200 and len(out.lines) == 2
assert "User 7 performed: login" in out.lines[0][1] and "Analytics updated" in out.lines[1][1], "in the order added"
assert after[1] >= 1.45, "update_analytics started only when log_activity was done: 0.5 + 1 s"
record("background-multiple-tasks", f"the prints came {after[0]:.2f} s and {after[1]:.2f} s after the response")
(first, _), (second, _) = out.lines
task_timeline(
    [("POST /users/7/action", sent, answered)],
    [Event("log_activity", answered, end=first), Event("update_analytics", first, end=second)],
    ideal=answered - sent + 0.5 + 1,
    ideal_label="the response, then 0.5 s + 1 s back to back",
    title="The seed's two tasks: one after the other",
    client=CLIENT,
    notes={"log_activity": "until its print", "update_analytics": "from the previous print to its own"},
)

# %% [markdown]
# Starlette's `BackgroundTasks` is a list, run in a `for` loop, each task awaited before the next starts:

# %%
show_source(StarletteBackgroundTasks)

# %% [markdown]
# So "multiple background tasks" take the sum of their times, not the longest. Tasks that should overlap belong in
# one task that gathers them (chapter 05). And each `BackgroundTask.__call__` shows the split that matters next:
# `async def` functions are awaited on the server's loop; anything else goes through `run_in_threadpool`.

# %% [markdown]
# ## When, in what order, and where: a timeline
#
# `order` schedules two tasks of 0.3 s each for `POST /signup`: `send_welcome`, an `async def` that awaits, then
# `write_audit`, a `def` that blocks (a file write, a sync client). Each notes in a journal when it started and
# ended, on which thread and which loop. Right after the answer, the client sends its next request, a `GET /ping`,
# on the same keep-alive connection: does it wait for the tasks?

# %%
show_source(order)

# %%
order.app.state.journal.clear()
T = 0.3
with LiveServer(order.app, name="ch06: order") as srv:
    server_loop = id(srv.loop)
    async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
        sent = time.perf_counter()
        r = await client.post("/signup", params={"email": "ada@example.com", "seconds": T})
        answered = time.perf_counter()
        ping = await client.get("/ping")  # the same connection
        pinged = time.perf_counter()
        await order.app.state.journal.wait_for(3, timeout=5)
handler, welcome, audit = order.app.state.journal.events
for event in (welcome, audit):
    print(f"{event.name:26} {event.start - sent:6.3f} → {event.end - sent:6.3f} s, {where(event, server_loop)}")
print(f"the client had its response at {answered - sent:.3f} s, and the next one at {pinged - sent:.3f} s")
print("the notebook's own loop is another one:", id(asyncio.get_running_loop()) != server_loop)
assert r.status_code == 200 and ping.status_code == 200
assert handler.end <= welcome.start <= audit.start, "the handler first, then the tasks, in the order added"
assert welcome.end <= audit.start, "one after the other"
assert answered < welcome.end, "the client had its response while the first task was still running"
assert pinged < welcome.end, "the next request did not wait for the tasks (unless the machine was very busy)"
assert welcome.loop == server_loop and audit.loop is None and audit.thread != welcome.thread
assert handler.task == welcome.task, "the tasks ran in the request's own asyncio task: one request cycle"
task_timeline(
    [("POST /signup", sent, answered), ("GET /ping, same connection", answered, pinged)],
    [welcome, audit],
    ideal=answered - sent + 2 * T,
    ideal_label=f"the response, then {T:g} s + {T:g} s back to back",
    title="POST /signup: the response first, then the tasks, one after the other",
    client=CLIENT,
    server_loop=server_loop,
)

# %% [markdown]
# Read it top to bottom. The response left first: Starlette sends the whole body, then runs the tasks, in the same
# request cycle (the same asyncio task of uvicorn's). `send_welcome` ran on the server's loop; `write_audit`, a plain
# `def`, in one of anyio's worker threads, and only once `send_welcome` was done.
#
# And the next request did not wait: uvicorn counts a response as complete once its last byte is sent, and reads
# the next request on that connection at once, while the previous request's tasks still run. One connection can
# have a request in flight and another's tasks behind it. That matters when a task fails, below.
#
# ## `async def` and `def` tasks, and what they hold
#
# Three ways to write a task that waits 0.5 s, in `blocking`: `async def` with `await asyncio.sleep`, `async def`
# with `time.sleep` (a blocking call in async code), and `def` with `time.sleep`:

# %%
show_source(blocking.waits_politely, blocking.blocks_the_loop, blocking.holds_a_thread)

# %% [markdown]
# Each one scheduled, then a `GET /ping` (an `async def` route) while the task runs, sent by the course's load
# client (`load`, one request) on a connection of its own:

# %%
W = 0.5
blocking.app.state.journal.clear()


def sent_at(result) -> float:
    """When the one request of a load() run was sent (time.perf_counter(), the tasks' clock)."""
    return result.t0 + result.records[0].start


pings, ideals = {}, {}
with LiveServer(blocking.app, name="ch06: blocking") as srv:
    await load(srv, "/ping", n=1)  # a first request warms the server up (routing, validation caches)
    idle = await load(srv, "/ping", n=1, label="nothing running")
    async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
        for number, path in enumerate(("/async-await", "/async-blocking", "/def-blocking"), start=1):
            await client.post(path, params={"seconds": W})
            await asyncio.sleep(0.02)  # the task has started
            ping = await load(srv, "/ping", n=1, label=f"task {path}")
            await blocking.app.state.journal.wait_for(number, timeout=5)
            task = blocking.app.state.journal.events[-1]
            pings[ping.label] = ping
            # the ideal: a free loop answers as fast as with nothing running; a blocked one, when the task ends
            ideals[ping.label] = task.end - sent_at(ping) if path == "/async-blocking" else idle.wall
for label, ping in pings.items():
    print(f"{label:20} GET /ping took {ping.wall * 1000:6.1f} ms")
assert all(p.ok == 1 for p in pings.values())
assert pings["task /async-blocking"].wall > 0.6 * W, "time.sleep in an async task stopped the loop: /ping waited"
assert pings["task /async-await"].wall < W / 4, "the loop stayed free (a very busy machine can slow it)"
assert pings["task /def-blocking"].wall < W / 4, "the loop stayed free (a very busy machine can slow it)"

# %% [markdown]
# `time.sleep` inside `async def` runs on the loop and stops it: every request, `/ping` too, waits until the task
# is done, although the client already has the response that scheduled it. The same `time.sleep` in a `def` task
# runs in a worker thread, and the loop stays free.
#
# A worker thread is not free, though: `run_in_threadpool` takes one of anyio's 40 tokens (chapter 01) for the
# task's whole run, shared with every `def` route and every `run_in_threadpool` of the app. 40 requests whose
# `def` tasks each hold a thread 0.5 s, then a `GET /ping` (`async def`) and a `GET /ping-def` (a `def` route):

# %%
blocking.app.state.journal.clear()
with LiveServer(blocking.app, name="ch06: blocking") as srv:
    async with httpx.AsyncClient(base_url=srv.url, timeout=10, limits=httpx.Limits(max_connections=40)) as client:
        await asyncio.gather(*(client.post("/def-blocking", params={"seconds": W}) for _ in range(40)))
        async_ping = await load(srv, "/ping", n=1, label="GET /ping, 40 def tasks running")
        def_ping = await load(srv, "/ping-def", n=1, label="GET /ping-def, 40 def tasks running")
        await blocking.app.state.journal.wait_for(40, timeout=5)
first_free = min(e.end for e in blocking.app.state.journal.events)
print(f"with 40 def tasks running: GET /ping {async_ping.wall * 1000:.1f} ms, ", end="")
print(f"GET /ping-def {def_ping.wall * 1000:.1f} ms")
assert async_ping.ok == def_ping.ok == 1
# orderings, not durations, so that a busy machine cannot blur them: the clock is the tasks' own (perf_counter)
assert sent_at(async_ping) + async_ping.wall < first_free, "GET /ping needs no thread: answered while all 40 were held"
assert sent_at(def_ping) + def_ping.wall > first_free, "the def route waited for a thread the tasks held"
compare(
    {**pings, async_ping.label: async_ping, def_ping.label: def_ping},
    {**ideals, async_ping.label: idle.wall, def_ping.label: first_free - sent_at(def_ping)},
    title=f"One GET while background tasks of {W:g} s run",
    ideal_labels={
        "task /async-blocking": "when the task ends",
        def_ping.label: "when the first thread is free",
        **{label: "as with nothing running" for label in ("task /async-await", "task /def-blocking")},
        async_ping.label: "as with nothing running",
    },
)

# %% [markdown]
# The `async def` route answered at once; the `def` route waited for a thread, until the first tasks were done.
# Forty slow `def` tasks, from forty requests that each answered in milliseconds, are enough to make every `def`
# route of the app wait. Write a task that waits as `async def` with `await`; keep `def` for short blocking work,
# and give long blocking work its own pool (chapter 01) or another process.
#
# ## A task that raises
#
# `failing` schedules three steps for an order: `charge`, `receipt`, `stock`. `?fail=receipt` makes the second one
# raise. What the client gets, what the server logs (kept in a list here instead of printed), and which steps ran:

# %%
show_source(failing.step, failing.place_order)

# %%
failing.app.state.journal.clear()
with LiveServer(failing.app, name="ch06: failing", log_level="error") as srv, captured_log() as logged:
    server_loop_of_failing = id(srv.loop)
    async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
        sent = time.perf_counter()
        r = await client.post("/orders/1", params={"fail": "receipt"})
        answered = time.perf_counter()
        await failing.app.state.journal.wait_for(2, timeout=5)
        await asyncio.sleep(0.2)  # time for a third step, were there one
ran = [(e.name, e.failed) for e in failing.app.state.journal.events]
print("the client got:", r.status_code, r.json())
print("the steps that ran:", ran)
print("the server's log:", [f"{rec.levelname}: {rec.getMessage().strip()}" for rec in logged])
print("   ... with the traceback of:", repr(logged[0].exc_info[1]) if logged and logged[0].exc_info else None)
assert r.status_code == 200, "the client already had its 200"
assert [name for name, _ in ran] == ["charge", "receipt"], "stock never ran"
assert logged and logged[0].getMessage().startswith("Exception in ASGI application") and logged[0].exc_info
assert isinstance(srv.errors[-1], ConnectionError)
task_timeline(
    [("POST /orders/1?fail=receipt", sent, answered)],
    failing.app.state.journal.events,
    ideal=answered - sent + 3 * 0.05,
    ideal_label="the response, then 3 steps of 0.05 s",
    title="A task raises: the client has its 200, and the step after it never runs",
    client=CLIENT,
    server_loop=server_loop_of_failing,
    never_started=["stock"],
)

# %% [markdown]
# The client had its 200 before anything failed, and nothing ever tells it otherwise. The server logged uvicorn's
# "Exception in ASGI application" with the traceback, the only trace of the failure. And `stock` never ran:
# `BackgroundTasks` awaits its tasks in one loop, and the exception ends the loop.
#
# There is more. After the exception, uvicorn closes the connection, to be safe. With keep-alive, the client may be
# using it for its next request by then (we saw that it does not wait). A `GET /slow-ping` of 0.3 s sent right after
# the order, on the same connection:

# %%
failing.app.state.journal.clear()
with LiveServer(failing.app, name="ch06: failing", log_level="critical") as srv:
    server_loop_of_failing = id(srv.loop)
    async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
        sent = time.perf_counter()
        await client.post("/orders/2", params={"fail": "receipt"})
        answered = time.perf_counter()
        try:
            second = await client.get("/slow-ping", params={"seconds": 0.3})
            outcome = f"{second.status_code} {second.text}"
        except httpx.RemoteProtocolError as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        cut_at = time.perf_counter()
print("the next request on that connection:", outcome)
assert outcome.startswith("RemoteProtocolError"), "cut off when the task failed (unless it finished first)"
task_timeline(
    [
        ("POST /orders/2?fail=receipt", sent, answered),
        ("GET /slow-ping, same connection", answered, cut_at, "no answer: the connection was closed"),
    ],
    failing.app.state.journal.events,
    ideal=answered - sent + 0.3,
    ideal_label="the slow ping's answer: 0.3 s after it was sent",
    title="The failing task takes the next request on its connection down with it",
    client=CLIENT,
    server_loop=server_loop_of_failing,
)

# %% [markdown]
# A request that had nothing to do with the order failed: `Server disconnected without sending a response`, and
# httpx handed that to us: it does not retry a request the server may have started on.
#
# ## The fix: each task catches and logs its own failure
#
# Nothing around `add_task` can catch the exception: the handler has returned long before the task runs. The task
# itself must. `guarded.log_failures` wraps a task so that an `Exception` is logged, with its traceback, on a named
# logger, and goes no further; cancellation still goes through, so that a stopping server can still stop it:

# %%
show_source(guarded.log_failures, guarded.place_order)

# %%
guarded.app.state.journal.clear()
with (
    LiveServer(guarded.app, name="ch06: guarded", log_level="critical") as srv,
    captured_log("course.ch06.tasks") as logged,
):
    async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
        r = await client.post("/orders/3", params={"fail": "receipt"})
        second = await client.get("/slow-ping", params={"seconds": 0.3})  # the same connection, as before
        await guarded.app.state.journal.wait_for(3, timeout=5)
ran = [(e.name, e.failed) for e in guarded.app.state.journal.events]
print("the steps that ran:", ran)
print("logged:", [f"{rec.levelname} {rec.name}: {rec.getMessage()}: {rec.exc_info[1]!r}" for rec in logged])
assert [name for name, _ in ran] == ["charge", "receipt", "stock"], "stock ran after the failure"
assert len(logged) == 1 and logged[0].levelno == logging.ERROR and logged[0].exc_info, "logged, with its traceback"
assert not srv.errors and second.status_code == 200, "nothing reached the server: the next request was answered"

# %% [markdown]
# All three steps ran, the failure is in the log with a level, a logger name and its traceback, and the connection
# stayed up. The client still does not know: a failure the client must hear about belongs in the handler, before
# the response, or in a job whose status the client can ask for (below).
#
# ## The seed's upload cleanup, run as written
#
# First, the seed's code as published does not run. Its imports and its `upload_file`, in a fresh namespace:

# %% seed_claim={"id": "background-upload-imports", "measurement": "Runs the seed's imports and its upload_file definition in a fresh namespace: NameError, name 'UploadFile' is not defined; the app cannot be made.", "verdict": "broken", "words": "from fastapi import BackgroundTasks, FastAPI import asyncio from datetime import datetime"}
seed_imports = "from fastapi import BackgroundTasks, FastAPI\nimport asyncio\nfrom datetime import datetime\n"
seed_imports += "app = FastAPI()\n"
upload_source = inspect.getsource(seed_as_pasted.upload_file)  # its body is never reached
try:
    exec(seed_imports + upload_source, {})
    failure = None
except NameError as exc:
    failure = exc
print(repr(failure))
assert isinstance(failure, NameError) and "UploadFile" in str(failure)
record("background-upload-imports", f"the seed's imports and upload_file: {failure!r}")

# %% [markdown]
# `from fastapi import UploadFile` is missing, and the annotation is read when `def` runs. With it added
# (`seed_as_pasted` does), an upload, and the cleanup shortened from 60 s to 0.3 s with the stand-in:

# %%
show_source(seed_as_pasted.upload_file, seed_as_pasted.cleanup_temp_files)

# %% seed_claim={"id": "background-cleanup-delay", "measurement": "The seed's /upload with its cleanup delay shortened to 0.3 s: the file is there after the response and gone 0.3 s later. With its 60 s, a server stopped within the minute (a deploy, a restart) cancels the waiting cleanup after the graceful timeout, and the upload stays on disk for good.", "verdict": "misleading", "words": "async def cleanup_temp_files(file_path: str): await asyncio.sleep(60) # Wait before cleanup"}
DELAY = 0.3
with tempfile.TemporaryDirectory() as folder, stand_ins.upload_folder(folder):
    with (
        stand_ins.cleanup_delay(DELAY),
        contextlib.redirect_stdout(TimedOutput()),
        LiveServer(seed_as_pasted.app, name="ch06: the seed") as srv,
    ):
        r = httpx.post(f"{srv.url}/upload", files={"file": ("report.csv", b"id,total\n1,9.5\n")})
        right_after = sorted(os.listdir(folder))
        await asyncio.sleep(DELAY + 0.3)
        later = sorted(os.listdir(folder))
    print(f"{r.status_code} {r.json()['filename']}; in the folder: {right_after}, {DELAY + 0.3:g} s later: {later}")
    # the seed's own 60 s, and a server that stops (a deploy) within the minute:
    srv = LiveServer(seed_as_pasted.app, name="ch06: the seed", log_level="critical", stop_timeout=1).start()
    r = httpx.post(f"{srv.url}/upload", files={"file": ("invoice.pdf", b"%PDF-1.7 ...")})
    stopped = time.perf_counter()
    srv.stop()
    stop_s = time.perf_counter() - stopped
    left = sorted(os.listdir(folder))
    print(f"cleanup in {stand_ins.CLEANUP_DELAY:g} s, the server stopped at once (in {stop_s:.2f} s); on disk: {left}")
assert r.status_code == 200 and right_after == ["report.csv"] and later == []
assert left == ["invoice.pdf"], "the cleanup was cancelled with the server: the upload stays"
assert stop_s >= 0.8 * 0.5, "the stop waited its graceful timeout (0.5 s) for the cleanup, then cancelled it"
assert uvicorn.Config(seed_as_pasted.app).timeout_graceful_shutdown is None, "uvicorn's default: no bound"
record(
    "background-cleanup-delay",
    f"cleanup shortened to {DELAY:g} s: the file went as planned; with 60 s and a stop: {left} left on disk",
)

# %% [markdown]
# The cleanup works if the server lives another minute. While it waits, the request is not over: uvicorn counts
# its task as running for the whole minute, so a graceful shutdown waits for it, up to its timeout (here 0.5 s,
# half of `stop_timeout`; `uvicorn --timeout-graceful-shutdown` in production, unbounded by default), then cancels
# it. The file stays, and nothing will ever look for it again. A cleanup that must happen belongs where it survives
# a restart: a periodic sweep of the folder for files older than a minute, or the file's own lifetime (a
# `tempfile.NamedTemporaryFile` removed in `finally`).
#
# The handler has two more problems that chapter 07 takes up: it puts the client's file name into the path as it
# is (`../` included), and `await file.read()` holds the whole upload in memory.
#
# ## Lost on stop
#
# `lost` schedules `n` jobs of 0.3 s for one request. Five jobs (1.5 s of work), and the server stops right after
# the response: once with a graceful timeout of 0.5 s, once with 3 s:

# %% seed_claim={"id": "background-fire-and-forget", "measurement": "5 background jobs of 0.3 s scheduled by one request, then the server stopped at once: with a graceful timeout of 0.5 s, 1 job finished, 1 was cancelled and 3 never started; with 3 s, all 5 finished and the stop took 1.5 s. Earlier cells: a task that raises skips the ones after it and cuts the connection; the client never hears of either.", "verdict": "misleading", "words": "Background tasks - Use BackgroundTasks for fire-and-forget operations"}
N, JOB = 5, 0.3
counts, short_run = {}, None
for stop_timeout in (1.0, 6.0):
    lost.app.state.journal.clear()
    srv = LiveServer(lost.app, name="ch06: lost", log_level="critical", stop_timeout=stop_timeout).start()
    server_loop = id(srv.loop)
    async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
        sent = time.perf_counter()
        await client.post("/jobs", params={"n": N, "seconds": JOB})
        answered = time.perf_counter()
    stopped = time.perf_counter()
    srv.stop()
    took = time.perf_counter() - stopped
    events = lost.app.state.journal.events
    done, cancelled = sum(e.finished for e in events), sum(e.failed is not None for e in events)
    counts[stop_timeout / 2] = (done, cancelled, N - len(events), took)
    short_run = short_run or (sent, answered, stopped, list(events), server_loop)
    print(f"graceful timeout {stop_timeout / 2:g} s: stop took {took:.2f} s; {done} finished, ", end="")
    print(f"{cancelled} cancelled, {N - len(events)} never started")
(short_done, short_cancelled, short_never, _), (long_done, _, _, long_took) = counts.values()
assert short_done < N and short_cancelled + short_never >= N - short_done and short_never >= 1, "work lost"
assert long_done == N and long_took >= 0.8 * N * JOB, "a longer grace saved them, and the stop waited for them"
record(
    "background-fire-and-forget",
    f"graceful timeout 0.5 s: {short_done} of {N} jobs finished, {short_cancelled} cancelled, {short_never} never "
    f"started; 3 s: {long_done} finished, the stop took {long_took:.2f} s",
)
sent, answered, stopped, events, server_loop = short_run
task_timeline(
    [("POST /jobs?n=5", sent, answered)],
    events,
    ideal=answered - sent + N * JOB,
    ideal_label=f"the response, then {N} jobs of {JOB:g} s back to back",
    title="Stopped with a graceful timeout of 0.5 s: what ran, and what did not",
    client=CLIENT,
    server_loop=server_loop,
    never_started=[f"job {k}" for k in range(len(events) + 1, N + 1)],
    marks={"server told to stop": stopped, "the graceful timeout ends": stopped + 0.5},
)

# %% [markdown]
# With a short grace, one job finished, the running one was cancelled mid-way, and the rest never started: nothing
# records that they were ever asked for. A longer grace saved them, and made the stop as long as the work. A process
# that is killed (`kill -9`, the out-of-memory killer, a container past its grace period) gets no grace at all: its
# queue goes with it.
#
# "Fire-and-forget" is the right name, in the wrong sense: the server forgets too. `BackgroundTasks` fits work that
# is small, quick, and allowed to be lost: a log line, a cache refresh, a metric, a courtesy email someone can send
# again. Work that must happen (a payment, an invoice, an email the law requires, a cleanup) belongs in a
# **durable queue**: the handler writes the job to a database or a broker before it answers, a separate worker
# process takes it, marks it done, retries it when it fails, and anyone can ask for its status. Chapter 13 (coming) builds
# one.

# %% [markdown]
# ## Exercise 6.1 · Reply first, send the email after
#
# Complete `send_welcome_email`, the task, so that it waits `EMAIL_SECONDS` for the mail server without blocking
# the server, then files the address in `outbox`; and the route `ex61_signup`, so that it answers at once and the
# email goes out after the response. The check signs up one address and times the answer, looks at the server's
# event loop while the email is being sent, then signs up another and stops the server gracefully right away: an
# email promised to a client must still go out. `checks.show_me("6.1")` prints a solution once you have tried.

# %% tags=["exercise"]
from fastapi import BackgroundTasks, FastAPI, Request  # noqa: E402

EMAIL_SECONDS = checks.EMAIL_SECONDS  # the mail server takes this long to answer
ex61_app = FastAPI(title="exercise 6.1")
ex61_app.state.outbox = []  # the addresses emailed so far: the check reads it


async def send_welcome_email(outbox: list[str], email: str) -> None:
    ### BEGIN SOLUTION
    await asyncio.sleep(EMAIL_SECONDS)
    outbox.append(email)
    ### END SOLUTION


@ex61_app.post("/signup")
async def ex61_signup(email: str, request: Request, background_tasks: BackgroundTasks) -> dict[str, str]:
    ### BEGIN SOLUTION
    background_tasks.add_task(send_welcome_email, request.app.state.outbox, email)
    ### END SOLUTION
    return {"status": "welcome email on its way"}


# %% tags=["exercise"]
await checks.check_send_after_reply(ex61_app)

# %% [markdown]
# ## Exercise 6.2 · A failure that stops nothing
#
# An order runs three tasks: `charge_card`, `send_receipt` (whose mail server refuses every odd order) and
# `update_stock`. The route is written. Complete `step`, which runs one of them, so that a task that raises is
# logged on `shop_log`, with its traceback, and the next task still runs. The check places order 1 (its receipt
# fails) and order 2, and looks at what ran and what was logged.

# %% tags=["exercise"]
shop_log = logging.getLogger("course.ex62.shop")
ex62_app = FastAPI(title="exercise 6.2")
ex62_app.state.done = []  # what each task did: the check reads it


async def charge_card(done: list[str], order_id: int) -> None:
    await asyncio.sleep(0.02)
    done.append(f"charge {order_id}")


async def send_receipt(done: list[str], order_id: int) -> None:
    await asyncio.sleep(0.02)
    if order_id % 2:
        raise ConnectionError(f"the mail server refused the receipt of order {order_id}")
    done.append(f"receipt {order_id}")


async def update_stock(done: list[str], order_id: int) -> None:
    await asyncio.sleep(0.02)
    done.append(f"stock {order_id}")


async def step(task, done: list[str], order_id: int) -> None:
    ### BEGIN SOLUTION
    try:
        await task(done, order_id)
    except Exception:
        shop_log.exception("order %s: %s failed", order_id, task.__name__)
    ### END SOLUTION


@ex62_app.post("/orders/{order_id}")
async def ex62_order(order_id: int, request: Request, background_tasks: BackgroundTasks) -> dict[str, str]:
    for task in (charge_card, send_receipt, update_stock):
        background_tasks.add_task(step, task, request.app.state.done, order_id)
    return {"status": "accepted"}


# %% tags=["exercise"]
await checks.check_failure_stops_nothing(ex62_app)

# %% [markdown]
# ## Key points
#
# - `BackgroundTasks` run after the response body is sent, in the same request cycle, one after the other in the
#   order they were added: their times add up. `async def` tasks run on the server's loop, `def` tasks in anyio's
#   worker threads.
# - The client does not wait for them, and neither does its next request on the same keep-alive connection.
# - A blocking call in an `async def` task stops the whole server, as in a handler. A `def` task holds one of the 40
#   worker threads for its whole run; forty of them make every `def` route wait.
# - A task that raises: the client already has its 200; the server logs "Exception in ASGI application"; the tasks
#   after it never run; and uvicorn closes the connection, cutting off the next request on it. Catch and log
#   inside the task; nothing around `add_task` can.
# - Tasks live in the server's process: a stop cancels what runs after the graceful timeout and drops what is
#   queued; a kill loses all. The seed's 60 s cleanup is lost on any restart within the minute.
# - Use `BackgroundTasks` for small work that may be lost. Work that must happen goes to a durable queue, written
#   before the response and run by a worker (chapter 13, coming).
