"""The plots read at a glance: checked on awkward, synthetic data, without a server.

Every figure is rendered, saved as a PNG (to ``$COURSE_PLOTS_DIR`` when set, to look
at them; otherwise to a temporary folder) and checked for what a reader would trip
on: texts over texts, legends over data, fractional or negative counts, durations
in the wrong unit, an empty panel, a footnote that does not name the client.
"""

from __future__ import annotations

import itertools
import math
import os
import random
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import matplotlib
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from course_app import plots
from course_app.loadgen import (
    Calibration,
    LoadResult,
    Outcome,
    RequestRecord,
    _calibrations,
    ideal_async,
    ideal_serial,
    ideal_threadpool,
)
from course_app.plots import format_seconds
from course_app.probes import Probe, Sample

if TYPE_CHECKING:
    from course_app.server import LiveServer


# The plotting functions return a Plot; these tests look inside its figure.
def timeline(*args: Any, **kwargs: Any) -> Figure:
    return plots.timeline(*args, **kwargs).figure


def scaling(*args: Any, **kwargs: Any) -> Figure:
    return plots.scaling(*args, **kwargs).figure


def compare(*args: Any, **kwargs: Any) -> Figure:
    return plots.compare(*args, **kwargs).figure


T = 0.2  # every synthetic slow handler waits T seconds
T0 = 1000.0  # the synthetic runs' perf_counter at their start
RAW = "client: asyncio + httptools (raw)"


# -- synthetic measurements ----------------------------------------------------------


def run(
    spans: Sequence[tuple[float, float]],
    *,
    engine: str = "raw",
    label: str = "",
    failures: dict[int, int | Outcome] | None = None,
) -> LoadResult:
    """A LoadResult with one record per (start, end); ``failures`` maps a record to a status or an outcome."""
    failures = failures or {}
    records = []
    for i, (start, end) in enumerate(spans):
        failure = failures.get(i)
        if isinstance(failure, Outcome):
            records.append(RequestRecord(i, start, end, None, str(failure), None, failure))
        else:
            records.append(RequestRecord(i, start, end, failure or 200))
    sent = [r for r in records if r.outcome is not Outcome.SKIPPED]
    wall = max(r.end for r in sent) - min(r.start for r in sent)
    return LoadResult(engine, "GET", "http://127.0.0.1:8000/x", len(spans), len(spans), records, wall, T0, label=label)


def waves(n: int, t: float = T, workers: int = 40, seed: int = 0) -> LoadResult:
    """N def handlers that each hold a worker thread for t: waves of ``workers``."""
    rnd = random.Random(seed)
    return run([((i // workers) * t + rnd.uniform(0, 0.002), (i // workers + 1) * t + 0.003) for i in range(n)])


def together(n: int, t: float = T) -> LoadResult:
    """N handlers that overlap completely: the batch takes t."""
    return run([(0.0, t + 0.002)] * n)


def serial(n: int, t: float = T) -> LoadResult:
    """N handlers that block the event loop: one after another."""
    return run([(0.0005 * i, (i + 1) * t) for i in range(n)])


def make_probe(samples: Sequence[Sample], interval: float = 0.005) -> Probe:
    p = Probe(cast("LiveServer", None), interval)
    p.samples = list(samples)
    return p


def thread_probe(n: int, workers: int = 40, t: float = T) -> Probe:
    """What a probe sees during N def requests: ``workers`` busy, the rest waiting a wave."""
    samples = []
    for k in range(-2, int((math.ceil(n / workers) * t + 0.03) / 0.005)):
        rel = k * 0.005
        wave = int(rel // t) if rel > 0.001 else -1
        started = max(0, min(workers, n - wave * workers)) if wave >= 0 else 0
        waiting = max(0, n - (wave + 1) * workers) if wave >= 0 else 0
        samples.append(Sample(T0 + rel, 0.0004, started, 40, waiting))
    return make_probe(samples)


def loop_blocked_probe(n: int, t: float = T) -> Probe:
    """What a probe sees while N handlers block the loop in turn: long lags, no thread."""
    samples = [Sample(T0 - 0.005, 0.0002, 0, 40, 0)]
    samples += [Sample(T0 + (i + 1) * t, t - 0.005, 0, 40, 0) for i in range(n)]
    samples += [Sample(T0 + n * t + 0.005 * k, 0.0003, 0, 40, 0) for k in range(1, 5)]
    return make_probe(samples)


@pytest.fixture
def calibrated(monkeypatch: pytest.MonkeyPatch) -> Calibration:
    cal = Calibration("raw", 100, 0.2, 0.2043, 3, (0.2041, 0.2043, 0.2050))
    monkeypatch.setitem(_calibrations, "raw", cal)
    monkeypatch.delitem(_calibrations, "httpx", raising=False)
    return cal


@pytest.fixture
def uncalibrated(monkeypatch: pytest.MonkeyPatch) -> None:
    for engine in ("raw", "httpx", "aiohttp"):
        monkeypatch.delitem(_calibrations, engine, raising=False)


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = os.environ.get("COURSE_PLOTS_DIR")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        return Path(where)
    return tmp_path_factory.mktemp("plots")


@pytest.fixture(autouse=True)
def untouched_global_state() -> Iterator[None]:
    """No call may change matplotlib's rcParams or leave a figure open in pyplot."""
    import matplotlib.pyplot as plt

    before = dict(matplotlib.rcParams)
    yield
    assert dict(matplotlib.rcParams) == before
    assert plt.get_fignums() == []


# -- what can be checked on a rendered figure ----------------------------------------


def _in_view(axis: Axis, loc: float) -> bool:
    lo, hi = sorted(axis.get_view_interval())
    return lo - 1e-9 * max(1.0, abs(hi)) <= loc <= hi + 1e-9 * max(1.0, abs(hi))


def visible_ticks(axis: Axis) -> list[tuple[float, Text]]:
    """The major ticks a reader sees: inside the view, labelled, visible."""
    ticks = axis.get_major_ticks()
    locs = axis.get_majorticklocs()
    return [
        (float(loc), tick.label1)
        for loc, tick in zip(locs, ticks, strict=False)
        if _in_view(axis, float(loc)) and tick.label1.get_visible() and tick.label1.get_text()
    ]


def texts(fig: Figure) -> list[tuple[str, Text]]:
    """Every visible, non-empty text a reader sees, named for error messages (legends apart)."""
    found: list[tuple[str, Text]] = [("footnote", t) for t in fig.texts]
    for i, ax in enumerate(fig.axes):
        found += [(f"axes {i} title", ax.title), (f"axes {i} xlabel", ax.xaxis.label)]
        found += [(f"axes {i} ylabel", ax.yaxis.label)]
        found += [(f"axes {i} x tick {t.get_text()}", t) for _, t in visible_ticks(ax.xaxis)]
        found += [(f"axes {i} y tick {t.get_text()}", t) for _, t in visible_ticks(ax.yaxis)]
        found += [(f"axes {i} text {t.get_text()!r}", t) for t in ax.texts]
    return [(name, t) for name, t in found if t.get_visible() and t.get_text().strip()]


def legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


def all_words(fig: Figure) -> str:
    return "\n".join([t.get_text() for _, t in texts(fig)] + legend_texts(fig))


def overlap(a: Bbox, b: Bbox, gap: float = 3.0) -> bool:
    """Whether two boxes overlap or come closer than ``gap`` pixels: texts that touch run into each other."""
    return a.x0 < b.x1 + gap and b.x0 < a.x1 + gap and a.y0 < b.y1 + gap and b.y0 < a.y1 + gap


def assert_readable(fig: Figure, name: str, out_dir: Path) -> None:
    """The checks every figure must pass, after drawing it as the notebook will."""
    # A figure closed in pyplot keeps a bare canvas whose draw() does nothing: draw with Agg.
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    fig.savefig(out_dir / f"{name}.png")
    boxes = [(label, t.get_window_extent()) for label, t in texts(fig)]
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    boxes += [(f"legend {i}", legend.get_window_extent()) for i, legend in enumerate(legends)]
    page = fig.bbox
    for label, box in boxes:  # nothing cut off at the figure's edge
        assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1, f"{label} runs off the figure"
        assert page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1, f"{label} runs off the figure"
    for (label_a, a), (label_b, b) in itertools.combinations(boxes, 2):
        assert not overlap(a, b), f"{label_a!r} overlaps {label_b!r}"
    for i, legend in enumerate(legends):  # legends beside the data, never over it
        for ax in fig.axes:
            assert not overlap(legend.get_window_extent(), ax.get_window_extent()), f"legend {i} is over data"
    assert_units_by_magnitude(all_words(fig))
    assert "client: " in "\n".join(t.get_text() for t in fig.texts), "the footnote names the client"
    assert "harness overhead" in "\n".join(t.get_text() for t in fig.texts)


DURATION = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s(µs|ms|s)\b")


def assert_units_by_magnitude(words: str) -> None:
    """Every duration is written in the unit its size calls for, with three significant figures at most."""
    assert not re.search(r"\d\.\d{4,}", words), f"a long decimal in {words!r}"
    assert not re.search(r"\d[eE][-+]?\d", words), f"scientific notation in {words!r}"
    for number, unit in DURATION.findall(words):
        value = float(number.replace(",", ""))
        if value == 0:
            continue
        if unit == "s":
            assert value >= 1, f"{number} {unit} should be written in ms or µs"
        else:
            assert value < 1000, f"{number} {unit} should be written in a larger unit"
            if unit == "ms":
                assert value >= 1, f"{number} {unit} should be written in µs"


def assert_counts(axis: Axis) -> None:
    """A count axis: whole-number ticks, none below 0, and no limit below 0."""
    ticks = [loc for loc, _ in visible_ticks(axis)]
    assert ticks, "a count axis needs at least one labelled tick"
    assert all(loc == round(loc) for loc in ticks), f"fractional ticks on a count axis: {ticks}"
    assert all(loc >= 0 for loc in ticks), f"negative ticks on a count axis: {ticks}"
    assert min(axis.get_view_interval()) >= 0, f"a count axis goes below 0: {axis.get_view_interval()}"


def request_lines(ax: Axes) -> list[Line2D]:
    return [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2 and np.ptp(np.asarray(ln.get_xdata())) > 0]


def line_labelled(ax: Axes, start: str) -> Line2D:
    return next(ln for ln in ax.get_lines() if str(ln.get_label()).startswith(start))


# -- units --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.000972, "972 µs"),
        (0.0000005, "0.5 µs"),
        (0.00123, "1.23 ms"),
        (0.0123, "12.3 ms"),
        (0.2, "200 ms"),
        (0.9996, "1 s"),
        (1.5, "1.5 s"),
        (12.34, "12.3 s"),
        (1234.0, "1,234 s"),
        (0.0, "0 s"),
        (math.nan, "n/a"),
    ],
)
def test_durations_are_written_in_the_unit_their_size_calls_for(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text
    assert_units_by_magnitude(text)


# -- timeline -----------------------------------------------------------------------


def test_timeline_41_requests_one_waiting_for_a_thread(calibrated: Calibration, out_dir: Path) -> None:
    r = waves(41)
    fig = timeline(r, probe=thread_probe(41), ideal=ideal_threadpool(41, T))
    assert_readable(fig, "timeline_41_one_waiting", out_dir)
    requests, lag, threads, waiting = fig.axes  # a panel each; the waiting one only because one waited
    assert len(request_lines(requests)) == 41
    starts = [float(np.asarray(ln.get_xdata())[0]) for ln in request_lines(requests)]
    ends = [float(np.asarray(ln.get_xdata())[1]) for ln in request_lines(requests)]
    assert min(starts) == 0, "the clock starts with the first request"
    assert max(ends) == pytest.approx(line_labelled(requests, "measured").get_xdata()[0]), "wall ends with the last"
    for ax in (requests, threads, waiting):
        assert_counts(ax.yaxis)
    # one waiting request fills most of its own panel instead of 1/40 of the threads' one
    peak = max(max(np.asarray(ln.get_ydata())) for ln in waiting.get_lines())
    assert peak == 1 and peak / waiting.get_ylim()[1] > 0.6
    assert waiting.get_ylim()[1] < 2
    assert any("waiting" in text and "peak 1" in text for text in legend_texts(fig))
    assert "thread limit: 40" in legend_texts(fig)
    footnote = fig.texts[0].get_text()
    assert RAW in footnote and "harness overhead +2.2%" in footnote and "every 5 ms" in footnote
    assert requests.get_ylim()[0] > requests.get_ylim()[1], "the first request is on top"


def test_timeline_blocked_loop_has_no_empty_thread_panel(calibrated: Calibration, out_dir: Path) -> None:
    r = serial(5)
    fig = timeline(r, probe=loop_blocked_probe(5), ideal=ideal_serial(5, T), title="5 × async def + time.sleep")
    assert_readable(fig, "timeline_loop_blocked", out_dir)
    assert len(fig.axes) == 2, "requests and loop lag: no panel for threads that were never used"
    assert not any("thread" in ax.get_ylabel() for ax in fig.axes)
    assert any("no worker thread used" in text for text in legend_texts(fig))
    assert fig.axes[1].get_ylabel() == "loop lag\n(ms)"
    assert any(text.replace("\n", " ") == "event loop lag (longest: 195 ms)" for text in legend_texts(fig))
    assert_counts(fig.axes[0].yaxis)


def test_timeline_single_sub_millisecond_request(uncalibrated: None, out_dir: Path) -> None:
    r = run([(0.0, 0.000972)], engine="httpx", label="one /ping")
    fig = timeline(r, ideal=0.0009)
    assert_readable(fig, "timeline_single_sub_ms", out_dir)
    (ax,) = fig.axes
    assert [loc for loc, _ in visible_ticks(ax.yaxis)] == [1.0]
    assert_counts(ax.yaxis)
    assert ax.get_xlabel() == "time since the first request (ms)"
    assert ax.get_title() == "one /ping: 1 request, concurrency 1"
    words = all_words(fig)
    assert "measured: 972 µs" in words and "ideal: 900 µs" in words and "0.000" not in words
    assert fig.texts[0].get_text() == "client: httpx.AsyncClient · harness overhead not calibrated"


def test_timeline_failures_and_multi_second_runs(calibrated: Calibration, out_dir: Path) -> None:
    spans = [(0.01 * i, 2.5 + 0.04 * i) for i in range(12)] + [(0.0, 10.0), (0.05, 10.02), (12.0, 12.0)]
    failures: dict[int, int | Outcome] = {10: 500, 11: 503, 12: Outcome.TIMEOUT, 13: Outcome.TIMEOUT}
    failures[14] = Outcome.SKIPPED
    r = run(spans, failures=failures, label="slow upstream")
    fig = timeline(r, ideal=2.5, ideal_label="one upstream call")
    assert_readable(fig, "timeline_failures_seconds", out_dir)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "time since the first request (s)"
    words = " ".join(legend_texts(fig)).replace("\n", " ")
    assert "failed: 5 of 15 (2 timeout, 1 HTTP 500, 1 HTTP 503, 1 skipped)" in words
    assert "ideal: 2.5 s, one upstream call" in words and "measured: 10 s = 4.01× ideal" in words
    marked = [ln for ln in ax.get_lines() if ln.get_marker() == "x" and len(ln.get_xdata()) == 1]
    assert len(marked) == 5, "every failed request is marked, not only coloured"
    assert ax.get_xlim()[1] >= 12.0, "the skipped request is in view"
    assert_counts(ax.yaxis)


def test_timeline_ideal_equal_to_measured_stays_visible(calibrated: Calibration, out_dir: Path) -> None:
    r = run([(0.0, T)] * 100, label="100 × await asyncio.sleep(0.2)")
    fig = timeline(r, ideal=T)
    assert_readable(fig, "timeline_ideal_equals_measured", out_dir)
    ax = fig.axes[0]
    measured, ideal = line_labelled(ax, "measured"), line_labelled(ax, "ideal")
    assert measured.get_xdata()[0] == ideal.get_xdata()[0] == T
    assert ideal.get_zorder() > measured.get_zorder(), "the dashed ideal is drawn on top"
    assert measured.get_linewidth() > ideal.get_linewidth(), "the measured line shows on both sides of it"
    assert len(request_lines(ax)) == 100
    assert_counts(ax.yaxis)


# -- scaling ------------------------------------------------------------------------


def ideal_treads(ax: Axes) -> dict[str, list[tuple[float, float, float]]]:
    """Each ideal line as its flat pieces: (from x, to x, y)."""
    pieces: dict[str, list[tuple[float, float, float]]] = {}
    for line in ax.get_lines():
        if not str(line.get_label()).endswith("(ideal)"):
            continue
        xs, ys = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        segments = []
        for x0, x1, y0, y1 in zip(xs[:-1], xs[1:], ys[:-1], ys[1:], strict=True):
            if not (math.isnan(x0) or math.isnan(x1)):
                segments.append((x0, x1, y0, y1))
        assert all(y0 == y1 for _, _, y0, y1 in segments), "an ideal with a ramp between two N"
        pieces[str(line.get_label())] = [(x0, x1, y0) for x0, x1, y0, _ in segments]
    return pieces


def test_scaling_waves_of_40(calibrated: Calibration, out_dir: Path) -> None:
    ns = (1, 10, 40, 41, 80)
    fig = scaling(
        {"def + time.sleep": [waves(n) for n in ns], "async def + asyncio.sleep": [together(n) for n in ns]},
        {
            "def + time.sleep": lambda n: ideal_threadpool(n, T),
            "async def + asyncio.sleep": lambda n: ideal_async(n, T),
        },
        title="The seed's /sync and /async: waves of 40 threads, and one overlapped wait",
    )
    assert_readable(fig, "scaling_waves_of_40", out_dir)  # 40 and 41 must not print over each other
    (ax,) = fig.axes
    assert [loc for loc, _ in visible_ticks(ax.xaxis)] == [1, 10, 40, 41, 80], "ticks at measured N only"
    assert_counts(ax.xaxis)
    assert ax.get_ylabel() == "wall time (ms)" and ax.get_ylim()[0] == 0
    treads = ideal_treads(ax)["def + time.sleep (ideal)"]
    at = {round((x0 + x1) / 2): y for x0, x1, y in treads}
    assert all(x1 - x0 == 1 for x0, x1, _ in treads), "one tread per whole N"
    assert at[40] == T and at[41] == 2 * T, "the step between 40 and 41 is a step"
    labels = ax.get_legend_handles_labels()[1]
    assert labels[:2] == ["def + time.sleep (measured)", "def + time.sleep (ideal)"]


def test_scaling_n_1_2_4_draws_no_ramp_and_no_half_ticks(calibrated: Calibration, out_dir: Path) -> None:
    t1 = 0.21
    runs = {
        "async def (on the loop)": [serial(n, t1) for n in (1, 2, 4)],
        "def (thread pool)": [serial(n, t1 * 1.1) for n in (1, 2, 4)],
        "process pool": [waves(n, t1, workers=2) for n in (1, 2, 4)],
    }
    fig = scaling(
        runs,
        {
            "async def (on the loop)": lambda n: ideal_serial(n, t1),
            "def (thread pool)": lambda n: ideal_serial(n, t1),
            "process pool": lambda n: ideal_threadpool(n, t1, workers=2),
        },
        title="CPU work: 2 processes vs threads (one GIL) vs the loop",
    )
    assert_readable(fig, "scaling_n_1_2_4", out_dir)
    (ax,) = fig.axes
    assert [loc for loc, _ in visible_ticks(ax.xaxis)] == [1, 2, 4], "no tick at 1.5, 2.5 or 3"
    for label, treads in ideal_treads(ax).items():  # flat pieces centred on whole N only
        assert all((x0 + x1) / 2 == round((x0 + x1) / 2) for x0, x1, _ in treads), label
    # equal ideals (the loop's and the threads'): the later band is narrower, so the earlier shows as a rim
    loop, threads = line_labelled(ax, "async def (on the loop) (ideal)"), line_labelled(ax, "def (thread pool) (ideal)")
    assert loop.get_linewidth() > threads.get_linewidth() and threads.get_zorder() > loop.get_zorder()
    legend = [text.replace("\n", " ") for text in legend_texts(fig)]
    assert "def (thread pool) (ideal, the same as for async def (on the loop))" in legend


def test_scaling_ideal_equal_to_measured_stays_visible(calibrated: Calibration, out_dir: Path) -> None:
    exact = [run([(0.0, T)] * n) for n in (1, 2, 4)]
    fig = scaling({"async": exact}, {"async": lambda n: T}, title="measured exactly at the ideal")
    assert_readable(fig, "scaling_ideal_equals_measured", out_dir)
    ax = fig.axes[0]
    measured, band = line_labelled(ax, "async (measured)"), line_labelled(ax, "async (ideal)")
    assert band.get_linewidth() > 2 * measured.get_linewidth(), "the band shows on both sides of the line"
    assert band.get_zorder() < measured.get_zorder()


def test_scaling_sub_millisecond_on_a_log_axis_with_a_failed_run(calibrated: Calibration, out_dir: Path) -> None:
    pings = [run([(0.0, 0.0004 * (1 + n / 40))] * n) for n in (1, 2, 4)]
    pings.append(run([(0.0, 0.0009)] * 8, failures={3: 500}))
    fig = scaling({"ping": pings}, {"ping": lambda n: 0.0004}, title="Sub-millisecond pings", logy=True)
    assert_readable(fig, "scaling_sub_ms_log", out_dir)
    ax = fig.axes[0]
    ticks = visible_ticks(ax.yaxis)
    assert len(ticks) >= 3 and all(DURATION.fullmatch(t.get_text()) for _, t in ticks)
    assert ticks[0][1].get_text().endswith("µs")
    assert "a run with failed requests" in legend_texts(fig)
    assert [loc for loc, _ in visible_ticks(ax.xaxis)] == [1, 2, 4, 8]


def test_scaling_multi_second(uncalibrated: None, out_dir: Path) -> None:
    slow = [serial(n, 1.5) for n in (1, 3, 6)]
    fig = scaling({"blocking": slow}, {"blocking": lambda n: ideal_serial(n, 1.5)}, title="Nine seconds")
    assert_readable(fig, "scaling_multi_second", out_dir)
    assert fig.axes[0].get_ylabel() == "wall time (s)"
    assert "harness overhead not calibrated" in fig.texts[0].get_text()


# -- compare ------------------------------------------------------------------------


def test_compare_long_labels_sub_ms_and_seconds(calibrated: Calibration, out_dir: Path) -> None:
    def ping(latency: float) -> LoadResult:
        return run([(0.001 * i, 0.001 * i + latency) for i in range(5)])

    pings = {
        "def + time.sleep (80)": ping(0.000972),
        "async + asyncio.sleep (80)": ping(0.0011),
        "async + time.sleep (5)": ping(1.02),
        "async + CPU work (4)": ping(0.83),
    }
    fig = compare(pings, metric="p50", title="Median /ping latency while the server is busy")
    assert_readable(fig, "compare_long_labels", out_dir)  # the category labels do not run into each other
    ax = fig.axes[0]
    notes = [t.get_text() for t in ax.texts]
    assert notes == ["972 µs", "1.1 ms", "1.02 s", "830 ms"]
    assert ax.get_xlabel() == "median latency (s)"
    assert ax.get_legend() is None


def test_compare_labels_each_ideal_with_its_own_value(calibrated: Calibration, out_dir: Path) -> None:
    cell, lifespan = waves(80), waves(80, workers=100)
    fig = compare(
        {"limit set in a cell": cell, "limit set in the lifespan": lifespan},
        {"limit set in a cell": ideal_threadpool(80, T), "limit set in the lifespan": ideal_threadpool(80, T, 100)},
        title="80 concurrent def requests",
        ideal_labels={"limit set in a cell": "2 waves of 40 threads"},
    )
    assert_readable(fig, "compare_two_ideals", out_dir)
    ax = fig.axes[0]
    notes = [t.get_text() for t in ax.texts]
    assert "ideal: 400 ms, 2 waves of 40 threads" in notes and "ideal: 200 ms" in notes
    assert ax.get_legend() is None, "no single 'ideal' legend entry for two different ideals"
    assert len(ax.patches) == 2


def test_compare_failed_runs_and_ideals_equal_to_measured(calibrated: Calibration, out_dir: Path) -> None:
    timeouts = run([(0.0, 10.0), (0.0, 2.6), (0.0, 2.5)], failures={0: Outcome.TIMEOUT})
    exact = run([(0.0, T)] * 50)
    fig = compare(
        {"with a timeout": timeouts, "exactly the ideal": exact}, {"with a timeout": 2.5, "exactly the ideal": T}
    )
    assert_readable(fig, "compare_failed_and_exact", out_dir)
    ax = fig.axes[0]
    bars = list(ax.patches)
    assert bars[0].get_hatch() and not bars[1].get_hatch(), "a run with failures is hatched"
    notes = [t.get_text() for t in ax.texts]
    assert "10 s = 4.00× its ideal; 1 of 3 failed" in notes and "200 ms = 1.00× its ideal" in notes
    marks = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(marks) == 2 and all(m.get_zorder() > bar.get_zorder() for m in marks for bar in bars)


def test_compare_many_engines_and_rps(uncalibrated: None, out_dir: Path) -> None:
    engines = {
        "raw (course)": together(100),
        "aiohttp": run([(0.0, 0.26)] * 100, engine="aiohttp"),
        "httpx, cold pool": run([(0.0, 0.9)] * 100, engine="httpx"),
        "httpx, warm pool": run([(0.0, 1.6)] * 100, engine="httpx"),
    }
    fig = compare(engines, {k: T for k in engines}, title="Same server, same 100 requests: the client matters")
    assert_readable(fig, "compare_engines", out_dir)
    footnote = fig.texts[0].get_text().splitlines()
    assert len(footnote) == 3 and all(line.endswith("harness overhead not calibrated") for line in footnote)
    fig = compare(engines, metric="rps")
    assert_readable(fig, "compare_rps", out_dir)
    assert [t.get_text() for t in fig.axes[0].texts][0] == "495 req/s"


def test_compare_rejects_an_unknown_metric(uncalibrated: None) -> None:
    with pytest.raises(ValueError, match="metric must be one of"):
        compare({"one": together(1)}, metric="speed")


def test_every_plot_kind_returns_a_closed_figure(calibrated: Calibration) -> None:
    import matplotlib.pyplot as plt

    makers: list[Callable[[], Figure]] = [
        lambda: timeline(together(3)),
        lambda: scaling({"a": [together(1)]}),
        lambda: compare({"a": together(1)}),
    ]
    for make in makers:
        fig = make()
        assert isinstance(fig, Figure) and plt.get_fignums() == []
    assert plots.STYLE["font.size"] == 14


def test_a_shown_plot_keeps_only_its_png() -> None:
    plot = plots.timeline(together(3), ideal=T)
    assert isinstance(plot.figure, Figure)
    png = plot._repr_png_()
    assert png.startswith(b"\x89PNG") and 10_000 < len(png) < 500_000
    assert plot._repr_png_() is png, "drawn once"
    with pytest.raises(RuntimeError, match="draw it again"):
        plot.figure  # noqa: B018 - let go once shown: IPython keeps every cell's value
    import matplotlib.pyplot as plt

    assert not plt.get_fignums(), "and never held by pyplot"
