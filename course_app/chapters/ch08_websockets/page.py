"""The chat page :mod:`.room` serves at ``GET /chat``: one self-contained HTML document, nothing loaded from
the network (the tests run offline, and a workshop's network may be slow).

Every URL in it is relative to the page's own address: the WebSocket is ``new URL("ws/<room>", location.href)``
with the scheme switched to ``ws:`` or ``wss:``. So the page works at ``http://127.0.0.1:<port>/chat`` and, behind
a JupyterHub's proxy, at ``/user/<name>/proxy/<port>/chat`` alike; an absolute ``"/ws/..."`` would miss the prefix.
"""

CHAT_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Chat room · chapter 08</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; }
  form { display: flex; gap: .5rem; margin: .5rem 0; }
  input[type=text] { flex: 1; padding: .3rem; }
  #log { border: 1px solid #ccc; height: 20rem; overflow-y: auto; padding: .5rem; background: #fafafa; }
  #log p { margin: .15rem 0; }
  .event { color: #777; font-style: italic; }
  #status { color: #555; }
</style>
</head>
<body>
<h1>Chat room</h1>
<p>Open this page in two tabs, join the same room, and talk to yourself.</p>
<form id="joining">
  <input type="text" id="room" value="lobby" aria-label="room" maxlength="32">
  <input type="text" id="name" placeholder="your name" aria-label="name" maxlength="32">
  <button id="join" type="submit">Join</button>
</form>
<p id="status">not connected</p>
<div id="log" aria-live="polite"></div>
<form id="talking">
  <input type="text" id="text" placeholder="say something" aria-label="message" disabled>
  <button id="send" type="submit" disabled>Send</button>
</form>
<script>
"use strict";
let socket = null;
const $ = (id) => document.getElementById(id);

function line(text, cls) {
  const p = document.createElement("p");
  p.textContent = text;  // text, never HTML: what another member sends cannot run here
  if (cls) p.className = cls;
  $("log").appendChild(p);
  $("log").scrollTop = $("log").scrollHeight;
}

function roomUrl(room, name) {
  // relative to this page, so that a proxy's path prefix is kept
  const url = new URL("ws/" + encodeURIComponent(room), location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.search = "";
  url.searchParams.set("name", name);
  return url;
}

$("joining").addEventListener("submit", (event) => {
  event.preventDefault();
  if (socket) socket.close(1000, "left the page's room");
  const room = $("room").value.trim() || "lobby";
  const name = $("name").value.trim() || "anonymous";
  const ws = new WebSocket(roomUrl(room, name));
  socket = ws;
  $("status").textContent = "connecting to " + room + "…";
  ws.addEventListener("open", () => {
    $("status").textContent = "in room " + room + " as " + name;
    $("text").disabled = false;
    $("send").disabled = false;
    $("text").focus();
  });
  ws.addEventListener("message", (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "message") line(data.member + ": " + data.text);
    else line(data.member + " " + data.type + " (" + data.members + " here)", "event");
  });
  ws.addEventListener("close", (event) => {
    if (socket !== ws) return;
    socket = null;
    $("status").textContent = "closed: " + event.code + (event.reason ? " " + event.reason : "");
    $("text").disabled = true;
    $("send").disabled = true;
  });
});

$("talking").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("text").value;
  if (socket && socket.readyState === WebSocket.OPEN && text) {
    socket.send(text);
    $("text").value = "";
  }
});
</script>
</body>
</html>
"""
