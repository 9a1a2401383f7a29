"""The chapter's figure: the client's requests and each background task on one clock, beside the ideal.

The server runs in the notebook's process, so the client's times and the tasks' (``time.perf_counter()`` both)
need no alignment: one clock, no skew.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ...plots import COLORS, ERROR_COLOR, IDEAL, NOTE_COLOR, Plot, format_seconds, style
from .common import Event

#: one request as the client saw it: (label, sent, answered), or (label, sent, failed at, what went wrong)
Request = tuple[str, float, float] | tuple[str, float, float, str]


def where(event: Event, server_loop: int | None) -> str:
    """Where a task ran, in words."""
    if event.loop is None:
        return f"in a worker thread ({event.thread})"
    return "on the server's event loop" if event.loop == server_loop else "on another event loop"


def task_timeline(
    requests: Sequence[Request],
    events: Sequence[Event],
    *,
    ideal: float,
    ideal_label: str,
    title: str,
    client: str,
    server_loop: int | None = None,
    never_started: Sequence[str] = (),
    marks: Mapping[str, float] | None = None,
    notes: Mapping[str, str] | None = None,
) -> Plot:
    """A bar per client request (sent → answered), then one per task, in seconds from the first request.

    ``ideal`` is when the last task would end in the analytical ideal (dashed line). A failed task is drawn in the
    error colour, with its exception; ``never_started`` adds a row, with no bar, per task that never ran;
    ``marks`` draws a dotted line per named moment (``{"server told to stop": t}``, absolute times); ``notes``
    replaces the note beside a task's bar, by the task's name.
    """
    from matplotlib.figure import Figure

    t0 = min(request[1] for request in requests)
    rows: list[tuple[str, float, float, str, str]] = []
    for label, sent, ended, *failure in requests:
        if failure:
            rows.append((f"client: {label}", sent - t0, ended - t0, ERROR_COLOR, failure[0]))
        else:
            rows.append((f"client: {label}", sent - t0, ended - t0, COLORS[1], format_seconds(ended - sent)))
    for event in events:
        end = event.end if event.end is not None else event.start
        note = (notes or {}).get(event.name) or where(event, server_loop)
        if event.failed:
            kind = event.failed.partition(":")[0]
            note += ", cancelled by the stop" if kind == "CancelledError" else f", raised {kind}"
        rows.append((event.name, event.start - t0, end - t0, ERROR_COLOR if event.failed else COLORS[0], note))
    rows += [(name, 0.0, 0.0, NOTE_COLOR, "never started") for name in never_started]
    marked = dict(marks or {})
    top_in, bottom_in = 0.6, 1.3 + 0.28 * (1 + len(marked))  # title; ticks, label, legend and footnote
    height = 0.5 * len(rows) + top_in + bottom_in
    with style():
        figure = Figure(figsize=(11, height))
        ax = figure.subplots()
        figure.subplots_adjust(left=0.33, right=0.98, top=1 - top_in / height, bottom=bottom_in / height)
        for y, (_, start, end, colour, note) in enumerate(rows):
            if note != "never started":
                ax.plot([start, max(end, start + 0.003)], [y, y], color=colour, linewidth=10, solid_capstyle="butt")
            x = end if note != "never started" else 0.0
            ax.annotate(note, (x, y), xytext=(6, 0), textcoords="offset points", va="center", fontsize=10)
        for name, at in marked.items():
            ax.axvline(at - t0, color=ERROR_COLOR, linewidth=1.5, linestyle=":", label=f"{name}: {at - t0:.2f} s")
        ax.axvline(ideal, **IDEAL, label=f"ideal: {format_seconds(ideal)}, {ideal_label}")
        ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=11)
        ax.set_ylim(len(rows) - 0.4, -0.6)
        right = max(ideal, *(r[2] for r in rows), *((at - t0) for at in marked.values()))
        ax.set_xlim(-0.02 * right, right * 1.6)
        ax.set_xlabel("seconds after the first request was sent", fontsize=12)
        ax.set_title(title, fontsize=14)
        figure.legend(loc="lower left", bbox_to_anchor=(0.33, 0.4 / height), fontsize=10)
        figure.text(
            0.01,
            0.1 / height,
            f"Requests measured by {client}; tasks timed inside the server (time.perf_counter, the same process).",
            fontsize=9,
            color=NOTE_COLOR,
        )
    return Plot(figure)
