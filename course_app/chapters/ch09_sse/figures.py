"""Chapter 09's two plots, in the course style, each with its ideal and the client that measured it.

The harness's plots (:mod:`course_app.plots`) draw request records; a stream is one request with many events in
it, so these draw event arrival times and per-stream delays instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ...plots import COLORS, IDEAL, MARKERS, Plot, format_seconds, style

__all__ = ["CLIENT", "arrivals", "delays"]

CLIENT = "measured by httpx streaming (client.stream + aiter_lines) on the notebook's event loop"


def arrivals(series: Mapping[str, Sequence[float]], ideal: Sequence[float], *, title: str, ideal_label: str) -> Plot:
    """When each event of a stream arrived (seconds after the request), per stream, beside the ideal times."""
    import matplotlib.pyplot as plt

    with style():
        fig, ax = plt.subplots(figsize=(8, 3.8))
        ax.plot(range(1, len(ideal) + 1), ideal, label=ideal_label, **IDEAL)
        for i, (label, times) in enumerate(series.items()):
            ax.plot(range(1, len(times) + 1), times, marker=MARKERS[i], color=COLORS[i], linestyle="none", label=label)
        ax.set_xlabel("event number")
        ax.set_ylabel("arrived after (s)")
        ax.set_title(title)
        ax.legend(loc="upper left")
        fig.text(0.01, -0.02, CLIENT, fontsize=9, color="#555555")
        fig.tight_layout()
    return Plot(fig)


def delays(measured: Mapping[str, float], ideal: Mapping[str, float], *, title: str, unit: str = "ms") -> Plot:
    """One bar per case (its measured delay), with its ideal as a dashed mark on the bar."""
    import matplotlib.pyplot as plt

    scale = 1000.0 if unit == "ms" else 1.0
    labels = list(measured)
    with style():
        fig, ax = plt.subplots(figsize=(8, 0.7 * len(labels) + 1.4))
        ys = range(len(labels))
        ax.barh(ys, [measured[k] * scale for k in labels], color=[COLORS[i % 4] for i in ys], height=0.6)
        for y, key in zip(ys, labels, strict=True):
            ax.plot([ideal[key] * scale] * 2, [y - 0.4, y + 0.4], **IDEAL)
            shown = format_seconds(measured[key]) if unit == "ms" else f"{measured[key]:.3g} {unit}"
            ax.text(measured[key] * scale, y, f" {shown}", va="center", fontsize=10)
        ax.plot([], [], label="ideal (dashed)", **IDEAL)
        ax.set_yticks(list(ys), labels)
        ax.invert_yaxis()
        ax.set_xlabel(unit)
        ax.set_title(title)
        ax.legend(loc="lower right")
        fig.text(0.01, -0.02, CLIENT, fontsize=9, color="#555555")
        fig.tight_layout()
    return Plot(fig)
