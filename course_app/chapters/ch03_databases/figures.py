"""The chapter's two figures: when the commit ran against when the response left, and the N+1 against its ideal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ...plots import Plot

COLOURS = {"handler returned": "tab:blue", "response sent": "tab:green", "client got the answer": "tab:olive",
           "COMMIT issued": "tab:orange"}  # fmt: skip


def commit_timeline(runs: Mapping[str, Sequence[tuple[float, str]]], *, title: str) -> Plot:
    """One row per run: each event a marker at its time (ms after the handler returned), labelled."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 1.6 + 1.3 * len(runs)))
    ax = figure.subplots()
    labels = list(runs)
    for y, label in enumerate(reversed(labels)):
        events = runs[label]
        t0 = next((t for t, what in events if what == "handler returned"), events[0][0])
        for n, (t, what) in enumerate(events):
            colour = COLOURS.get(what, "tab:red")
            x = (t - t0) * 1000
            ax.plot([x], [y], marker="o" if colour != "tab:red" else "X", markersize=9, color=colour)
            ax.annotate(what, (x, y), xytext=(0, (10, -16, 22, -28)[n % 4]), textcoords="offset points",
                        ha="center", fontsize=8, color=colour)  # fmt: skip
    ax.set_yticks(range(len(labels)), list(reversed(labels)))
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.set_xlabel("ms after the handler returned (one clock: the server runs in the notebook's process)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title)
    figure.tight_layout()
    return Plot(figure)


def queries_bars(measured: Mapping[str, tuple[int, float]], round_trip_ms: float, *, title: str, client: str) -> Plot:
    """A bar per strategy (its time, in ms) and, beside it, the ideal: its number of queries × one round trip."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 3.6))
    ax = figure.subplots()
    names = list(measured)
    for i, name in enumerate(names):
        queries, ms = measured[name]
        ax.barh(i + 0.18, ms, height=0.34, color="tab:blue", label="measured" if i == 0 else None)
        ideal = queries * round_trip_ms
        ax.barh(i - 0.18, ideal, height=0.34, color="0.75", label="ideal: queries × one round trip" if i == 0 else None)
        ax.annotate(f"{ms:.0f} ms, {queries} queries", (ms, i + 0.18), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=8)  # fmt: skip
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel(f"ms for the whole report (measured by {client})")
    ax.set_xlim(
        0, max(max(ms for _, ms in measured.values()), max(q for q, _ in measured.values()) * round_trip_ms) * 1.35
    )
    ax.legend(loc="center right", fontsize=8)
    ax.set_title(title)
    figure.tight_layout()
    return Plot(figure)
