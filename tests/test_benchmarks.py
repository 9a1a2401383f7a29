"""``python -m benchmarks`` runs and reports every figure in the agreed shape.

Only the shape is checked. The figures' targets (P1 <= 1.05 / 1.5 x ideal,
P3 <= 50 ms, P4 >= 0.5 x wrk) are speed claims about a shared machine: they are
reported by the benchmark command and never asserted by a test.
"""

from __future__ import annotations

import importlib
import json
import math
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

GROUP_MODULES = {  # today's groups, in the table's order -> their files in benchmarks/
    "P1": "bench_p1_fidelity",
    "P3": "bench_p3_start_stop",
    "P4": "bench_p4_throughput",
    "P5": "bench_p5_streaming",
    "P6": "bench_p6_broadcast",
    "D1": "bench_db",
    "D3": "bench_orm",
    "D4": "bench_pool",
    "L": "bench_l_notebooks",
}
EXPECTED_IDS = [  # the smoke pass: every group but L, whose row ids depend on notebooks/
    "P1.harness.n100",
    "P1.harness.n500",
    "P1.fastapi.n100",
    "P1.fastapi.n500",
    "P1.fastapi.httpx-cold",
    "P1.fastapi.httpx-warm",
    "P1.fastapi.aiohttp",
    "P3.liveserver.median",
    "P3.liveserver.p90",
    "P3.uvicorn.median",
    "P3.uvicorn.p90",
    "P4.raw.c10",
    "P4.aiohttp.c10",
    "P4.httpx.c10",
    "P4.raw.c50",
    "P4.aiohttp.c50",
    "P4.httpx.c50",
    "P5.download.file.memory",
    "P5.download.file.rate",
    "P5.download.generator.memory",
    "P5.download.generator.rate",
    "P5.export.direct.rate",
    "P5.export.copy.rate",
    "P5.export.copy.ratio",
    "P5.export.copy.memory",
    "P5.export.cursor.rate",
    "P5.export.cursor.ratio",
    "P5.export.cursor.memory",
    "P5.upload.memory",
    "P5.upload.time",
    "P5.upload.direct",
    "P5.upload.ratio",
    "P6.ws.p50",
    "P6.ws.p99",
    "P6.ws.max",
    "P6.ws.memory",
    "P6.ws-slow.p50",
    "P6.ws-slow.p99",
    "P6.ws-slow.max",
    "P6.sse.p50",
    "P6.sse.p99",
    "P6.sse.max",
    "P6.sse.memory",
    "D1.pg.cold-start",
    "D1.pg.warm-start",
    "D1.seed.generate",
    "D1.seed.load",
    "D1.seed.check",
    "D1.seed.check-open",
    "D1.seed.verify",
    "D3.asyncpg.fetchrow",
    "D3.core.select",
    "D3.orm.get",
    "D3.core.overhead",
    "D3.orm.overhead",
    "D4.pooled.c10.p50",
    "D4.pooled.c10.p90",
    "D4.pooled.c10.rps",
    "D4.per-connection.c10.p50",
    "D4.per-connection.c10.p90",
    "D4.per-connection.c10.rps",
    "D4.pooled.c50.p50",
    "D4.pooled.c50.p90",
    "D4.pooled.c50.rps",
    "D4.per-connection.c50.p50",
    "D4.per-connection.c50.p90",
    "D4.per-connection.c50.rps",
]
FIGURE_KEYS = {"id", "group", "name", "value", "unit", "zero_ok", "target", "status", "passed", "note", "details"}
INSTALL_WRK = "apt-get install wrk"

WRK_OUTPUT = """\
Running 2s test @ http://127.0.0.1:34967/noop
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.99ms  371.10us   5.97ms   86.40%
    Req/Sec    10.26k     1.44k   11.75k    76.19%
  21425 requests in 2.10s, 2.78MB read
Requests/sec:  10202.55
Transfer/sec:      1.32MB
"""
WRK_OUTPUT_WITH_ERRORS = """\
Running 1s test @ http://127.0.0.1:1/noop
  1 threads and 50 connections
  812 requests in 1.00s, 101.50KB read
  Socket errors: connect 0, read 3, write 1, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:    811.37
Transfer/sec:    101.42KB
"""


@dataclass(frozen=True)
class SmokeRun:
    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> SmokeRun:
    """The exact command CI runs, once for the whole module."""
    path = tmp_path_factory.mktemp("benchmarks") / "smoke.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--json", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert path.exists(), f"no JSON written; stderr:\n{done.stderr}"
    return SmokeRun(done.returncode, done.stdout, done.stderr, json.loads(path.read_text()))


@pytest.fixture
def benchmarks(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The package itself, for in-process runs (it sits at the repository root, beside tests/)."""
    monkeypatch.syspath_prepend(str(ROOT))
    return importlib.import_module("benchmarks")


@pytest.fixture
def runner(benchmarks: ModuleType) -> ModuleType:
    return importlib.import_module("benchmarks.runner")


@pytest.fixture
def p4(benchmarks: ModuleType) -> ModuleType:
    return importlib.import_module("benchmarks.bench_p4_throughput")


@pytest.fixture
def extra_group(benchmarks: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A folder on the package's path, to add a group file to as a contributor would: ``benchmarks/bench_*.py``."""
    monkeypatch.setattr(benchmarks, "__path__", [*benchmarks.__path__, str(tmp_path)])
    yield str(tmp_path)
    for name, module in list(sys.modules.items()):  # forget the added modules, as if the files had never existed
        if name.startswith("benchmarks.") and Path(getattr(module, "__file__", None) or ROOT).parent == tmp_path:
            del sys.modules[name]
            vars(benchmarks).pop(name.rpartition(".")[2], None)


def _add_group(folder: str, name: str, source: str) -> None:
    (Path(folder) / f"{name}.py").write_text(textwrap.dedent(source))
    importlib.invalidate_caches()


def _figures(report: dict[str, Any]) -> list[dict[str, Any]]:
    figures: list[dict[str, Any]] = report["figures"]
    return figures


def _positive_finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _meets(value: float, target: dict[str, Any]) -> bool:
    limit = float(target["value"])
    return value <= limit if target["op"] == "<=" else value >= limit


# -- the smoke pass, as a subprocess ---------------------------------------------------


def test_smoke_pass_succeeds_and_writes_its_json(smoke: SmokeRun) -> None:
    assert smoke.returncode == 0, smoke.stderr + smoke.stdout
    assert smoke.report["schema"] == 1
    assert smoke.report["mode"] == "smoke"
    assert smoke.report["environment"]["python"]
    assert smoke.report["elapsed_s"]["total"] > 0


def test_every_figure_is_present_once_in_order(smoke: SmokeRun) -> None:
    figures = _figures(smoke.report)
    assert [f["id"] for f in figures] == EXPECTED_IDS
    for figure in figures:
        assert set(figure) == FIGURE_KEYS, figure["id"]
        assert figure["group"] == figure["id"].split(".")[0]


def test_every_value_is_a_positive_finite_number(smoke: SmokeRun) -> None:
    for figure in _figures(smoke.report):
        if figure["status"] == "skip":  # P4 where wrk is missing; D1 where the course starts no PostgreSQL
            assert figure["group"] in {"P4", "P5", "D1", "D3", "D4"} and figure["value"] is None
            assert (INSTALL_WRK if figure["group"] == "P4" else "DATABASE_URL") in figure["note"]
            continue
        assert figure["status"] in {"pass", "fail", "info"}, (figure["id"], figure["note"])
        if figure["zero_ok"] and figure["value"] == 0:
            continue  # a memory growth of nothing: the server reused its pages
        assert _positive_finite(figure["value"]), figure


def test_status_is_consistent_with_the_target(smoke: SmokeRun) -> None:
    for figure in _figures(smoke.report):
        target, value = figure["target"], figure["value"]
        if value is None:
            continue
        if target is None:
            assert (figure["status"], figure["passed"]) == ("info", None), figure["id"]
        else:
            assert target["op"] in {"<=", ">="} and _positive_finite(target["value"])
            assert figure["passed"] is _meets(value, target), figure["id"]
            assert figure["status"] == ("pass" if figure["passed"] else "fail")


def test_details_carry_the_raw_samples(smoke: SmokeRun) -> None:
    for figure in _figures(smoke.report):
        details = figure["details"]
        if figure["value"] is None:
            continue
        samples = details["samples_ms"] if figure["group"] == "P3" else details["samples"]
        zero_ok = figure["id"].endswith(".memory")
        assert samples and all(_positive_finite(s) or (zero_ok and s == 0) for s in samples), figure["id"]
        if figure["group"] == "P1":
            assert details["engine"] in {"raw", "httpx", "aiohttp"}
            assert details["n"] >= 1 and details["repeats"] == len(samples)
            assert figure["unit"] == "x ideal"
        elif figure["group"] == "P3":
            assert details["cycles"] == len(samples) and figure["unit"] == "ms"
        elif figure["group"] == "D4":
            assert details["engine"] == "raw" and details["concurrency"] in {10, 50}
            assert figure["unit"] in {"ms", "req/s"}
        elif figure["group"] == "D3":
            assert figure["unit"] in {"us", "x asyncpg"} and details["batch"] >= 1
            assert details["size"] == "users=20,products=10,orders=200,posts=20,comments=200"  # TINY
        elif figure["group"] == "P5":
            assert details["rounds"] == len(samples) == 1  # the smoke pass: one round
            assert figure["unit"] in {"MiB", "MiB/s", "rows/s", "x", "s"}
        elif figure["group"] == "P6":
            assert details["clients"] >= 1 and details["deliveries"] == details["clients"] * details["messages"]
            assert figure["unit"] in {"ms", "KiB"}
        elif figure["group"] == "D1":
            assert figure["unit"] in {"s", "ms"}
            if figure["id"].startswith("D1.seed.") and figure["id"] != "D1.seed.generate":
                assert details["size"] == "users=20,products=10,orders=200,posts=20,comments=200"  # TINY
        else:
            assert details["engine"] in {"raw", "httpx", "aiohttp"}
            assert details["rounds"] == len(samples) == len(details["wrk_rps"])
            assert all(_positive_finite(r) for r in details["wrk_rps"] + details["client_rps"])
            assert figure["unit"] == "x wrk"


def test_the_table_shows_every_figure(smoke: SmokeRun) -> None:
    lines = smoke.stdout.splitlines()
    assert lines[0].split()[:6] == ["id", "name", "value", "unit", "target", "result"]
    for figure_id in EXPECTED_IDS:
        assert any(line.startswith(figure_id + " ") for line in lines), figure_id


# -- options, in process ---------------------------------------------------------------


def test_only_runs_the_chosen_groups(
    benchmarks: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p3.json"
    assert benchmarks.main(["--smoke", "--only", "p3", "--json", str(path)]) == 0
    ids = [f["id"] for f in _figures(json.loads(path.read_text()))]
    assert ids == [i for i in EXPECTED_IDS if i.startswith("P3.")]
    assert "P3.uvicorn.p90" in capsys.readouterr().out


def test_an_unknown_group_is_a_usage_error(benchmarks: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        benchmarks.main(["--only", "P1,P2"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown group P2" in err and "P1, P3, P4, P5, P6, D1, D3, D4, L" in err


def test_an_unknown_group_exits_2_with_a_message_and_no_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "P9"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "usage: python -m benchmarks" in done.stderr
    assert "argument --only: unknown group P9: choose among P1, P3, P4, P5, P6, D1, D3, D4, L" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_p4_is_skipped_with_a_hint_when_wrk_is_missing(
    benchmarks: ModuleType, p4: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(p4, "WRK_EXECUTABLE", "wrk-that-is-not-installed")
    path = tmp_path / "p4.json"
    assert benchmarks.main(["--smoke", "--only", "P4", "--json", str(path)]) == 0
    report = json.loads(path.read_text())
    assert report["environment"]["wrk"] is None
    figures = _figures(report)
    assert [f["id"] for f in figures] == [i for i in EXPECTED_IDS if i.startswith("P4.")]
    for figure in figures:
        assert (figure["status"], figure["value"]) == ("skip", None)
        assert INSTALL_WRK in figure["note"]


def test_a_crash_is_reported_and_makes_the_exit_status_non_zero(
    benchmarks: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def crash(plan: object) -> list[object]:
        raise OSError("no free port")

    monkeypatch.setattr(importlib.import_module("benchmarks.bench_p3_start_stop"), "measure", crash)
    path = tmp_path / "crash.json"
    assert benchmarks.main(["--smoke", "--only", "P3", "--json", str(path)]) == 1
    [figure] = _figures(json.loads(path.read_text()))
    assert (figure["id"], figure["status"], figure["value"]) == ("P3", "error", None)
    assert "OSError: no free port" in figure["note"]


# -- discovery: one file per group ---------------------------------------------------------


def test_the_runner_finds_every_group_module(runner: ModuleType) -> None:
    files = sorted(path.stem for path in (ROOT / "benchmarks").glob("bench_*.py"))
    groups = runner.discover()
    assert sorted(group.module for group in groups) == [f"benchmarks.{name}" for name in files]
    found = {group.id: group.module for group in groups}
    assert {g: found.get(g) for g in GROUP_MODULES} == {g: f"benchmarks.{m}" for g, m in GROUP_MODULES.items()}
    assert [group.id for group in groups if group.id in GROUP_MODULES] == list(GROUP_MODULES)  # the table's order
    assert not next(group for group in groups if group.id == "L").in_smoke


def test_the_json_plan_holds_every_groups_settings(smoke: SmokeRun) -> None:
    plan = smoke.report["plan"]
    assert plan["warmups"] == 0 and plan["row_budget_s"] > 0
    assert {"p1_sizes", "p1_repeats", "p3_cycles", "p4_concurrencies", "p4_rounds", "d1_size", "d1_loads"} <= set(plan)


NEW_GROUP = """\
    # A group as a contributor adds one: this file, and nothing else.
    from dataclasses import dataclass

    from .core import Figure, Mode, Plan, Row

    GROUP = "X1"
    TITLE = "a group added as one file"
    ORDER = 1000


    @dataclass(frozen=True)
    class Settings:
        count: int = 3


    SETTINGS: dict[Mode, Settings] = {"full": Settings(), "smoke": Settings(count=1)}


    def measure(plan: Plan) -> list[Figure]:
        count = SETTINGS[plan.mode].count
        return [Row("X1.answer", "the answer", "x").measured(42.0, {"samples": [42.0] * count}, "one file")]
"""


def test_a_new_group_file_is_picked_up(
    runner: ModuleType, extra_group: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_group(extra_group, "bench_x1_added", NEW_GROUP)
    assert [group.id for group in runner.discover()] == [*GROUP_MODULES, "X1"]
    path = tmp_path / "x1.json"
    assert runner.main(["--smoke", "--only", "x1", "--json", str(path)]) == 0
    report = json.loads(path.read_text())
    [figure] = _figures(report)
    assert (figure["id"], figure["group"], figure["status"], figure["value"]) == ("X1.answer", "X1", "info", 42.0)
    assert figure["details"]["samples"] == [42.0]  # the smoke settings
    assert report["plan"]["x1_count"] == 1
    assert "X1.answer" in capsys.readouterr().out


def test_a_group_file_that_declares_nothing_is_named_in_the_error(runner: ModuleType, extra_group: str) -> None:
    _add_group(extra_group, "bench_half_written", 'GROUP = "P9"\n')
    with pytest.raises(runner.GroupDeclarationError, match=r"bench_half_written.*TITLE.*ORDER.*def measure"):
        runner.discover()


def test_two_files_cannot_declare_the_same_group(runner: ModuleType, extra_group: str) -> None:
    _add_group(extra_group, "bench_p1_again", NEW_GROUP.replace('"X1"', '"P1"'))
    with pytest.raises(runner.GroupDeclarationError, match="both declare GROUP = 'P1'") as error:
        runner.discover()
    assert "benchmarks.bench_p1_again" in str(error.value) and "benchmarks.bench_p1_fidelity" in str(error.value)


# -- L, without a kernel -----------------------------------------------------------------


def test_l_reports_each_notebooks_total_and_slowest_cell(
    benchmarks: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    nbformat = pytest.importorskip("nbformat")
    execute_module = importlib.import_module("course_app.execute")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# a chapter"),
        nbformat.v4.new_code_cell("import time"),
        nbformat.v4.new_code_cell("time.sleep(1)  # the slow one"),
    ]
    nbformat.write(nb, tmp_path / "07_topic.ipynb")

    def fake_execute(nb: Any, folder: Path) -> dict[int, float]:
        return {1: 0.5, 2: 1.5}  # seconds by code-cell index: no kernel is started

    l_group = importlib.import_module("benchmarks.bench_l_notebooks")
    monkeypatch.setattr(l_group, "NOTEBOOKS", tmp_path)
    monkeypatch.setattr(execute_module, "execute", fake_execute)
    total, slowest = [f.to_json() for f in l_group.measure(benchmarks.FULL)]
    assert (total["id"], total["value"], total["unit"]) == ("L.07_topic.total", 2.0, "s")
    assert total["details"]["code_cells"] == 2
    assert (slowest["id"], slowest["value"], slowest["details"]["cell"]) == ("L.07_topic.slowest-cell", 1.5, 2)
    assert slowest["note"] == "cell 2: time.sleep(1)  # the slow one"


# -- wrk's report ----------------------------------------------------------------------


def test_parse_wrk_reads_the_rate_and_the_counts(p4: ModuleType) -> None:
    assert p4.parse_wrk(WRK_OUTPUT) == p4.WrkResult(rps=10202.55, requests=21425)
    assert p4.parse_wrk(WRK_OUTPUT_WITH_ERRORS) == p4.WrkResult(rps=811.37, requests=812, non_2xx=7, socket_errors=6)


@pytest.mark.parametrize("output", ["", "unable to connect to 127.0.0.1:1 Connection refused\n"])
def test_parse_wrk_rejects_a_report_without_a_rate(p4: ModuleType, output: str) -> None:
    with pytest.raises(ValueError, match="Requests/sec"):
        p4.parse_wrk(output)
