"""The live feed's page: self-contained (inline CSS and JS, nothing loaded from the network).

Every URL is relative to the page's own address (``"events"``, ``"publish"``), so the page works the same at
``/feed`` and behind a proxy prefix such as ``/user/learner/proxy/<port>/feed``.

EventSource reconnects by itself after a dropped connection, sending ``Last-Event-ID``, after the ``retry:``
delay the server gave. But it gives up for good (``readyState`` CLOSED) when an answer is not a 200 event
stream, as a proxy's 502 while the app restarts; then the page makes a new EventSource itself, with the last id
in ``?last_id=`` (a new EventSource cannot set the header).
"""

FEED_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Live feed (chapter 09)</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 40em; margin: 2em auto; }
  #state { font-weight: bold; }
  #state.open { color: #2a7; } #state.connecting, #state.closed { color: #c60; }
  li { font-family: monospace; }
  li.reset { color: #c60; }
</style>
</head>
<body>
<h1>Live feed</h1>
<p>Stream: <span id="state" class="connecting">connecting</span> ·
   connections: <span id="opens">0</span> · last id: <span id="last">none</span></p>
<form id="say"><input id="text" placeholder="say something" autocomplete="off" maxlength="200">
<button>Publish</button></form>
<p><small>Open this page in a second tab: both see every event.</small></p>
<ol id="events"></ol>
<script>
"use strict";
let source = null, lastId = null, opens = 0;
const $ = (id) => document.getElementById(id);

function show(state) { $("state").textContent = state; $("state").className = state; }

function add(text, cls) {
  const li = document.createElement("li");
  li.textContent = text;
  if (cls) li.className = cls;
  $("events").appendChild(li);
}

function connect() {
  const url = new URL("events", location.href);  // relative: works behind a path prefix
  if (lastId) url.searchParams.set("last_id", lastId);
  source = new EventSource(url);
  source.onopen = () => { opens += 1; $("opens").textContent = opens; show("open"); };
  source.onmessage = (e) => {
    lastId = e.lastEventId; $("last").textContent = lastId;
    let shown = e.data;
    try { const d = JSON.parse(e.data); shown = typeof d === "object" && d && "text" in d ? d.text : e.data; }
    catch (err) { /* not JSON: show it as it is */ }
    add(lastId + ": " + shown);
  };
  source.addEventListener("reset", () => { lastId = null; add("the server restarted: its history is gone", "reset"); });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {  // given up (not a 200 stream): try again ourselves
      show("closed");
      setTimeout(connect, 1000);
    } else {
      show("connecting");  // EventSource reconnects by itself, after the server's retry: delay
    }
  };
}

$("say").onsubmit = async (e) => {
  e.preventDefault();
  const text = $("text").value;
  $("text").value = "";
  await fetch(new URL("publish", location.href), {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({text}),
  });
};

connect();
</script>
</body>
</html>
"""
