"""The seed's errata: every claim a chapter tests carries its metadata, in the cell that measures it.

The rules every notebook is held to:

* every claim's ``words`` are the seed's, verbatim (whitespace aside); its verdict is one of four; ids are unique;
* a cell that calls ``record("<id>", ...)`` carries the claim ``<id>`` in its own metadata, and a cell that carries
  a claim calls ``record`` with its id: so metadata left on a cell whose measurement moved or was deleted fails,
  and so does a measurement that lost its metadata;
* a code cell that *uses the seed's code* and asserts something carries a claim, or says why not
  (``seed_claim_exempt``). It uses the seed's code when it names a module that holds the seed's code (the
  chapters' ``seed_*`` modules: ``seed_as_pasted``, ``seed_fixed``) or requests one of the seed's routes by a
  literal path (``"/sync"``, ``"/io-intensive?delay=..."``: the paths those modules serve that the seed's text
  declares). See :func:`course_app.errata.uses_seed`.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from course_app import errata
from course_app.cli import main as cli
from course_app.errata import EXEMPT_KEY, KEY, VERDICTS, ErrataError, claims, in_seed, uses_seed
from course_app.state import CourseStateWarning

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
_RECORD = re.compile(r"\brecord\(\s*([^,)]*)")
_ASSERT = re.compile(r"^\s*assert\b", re.MULTILINE)


def code_cells(path: Path) -> list[dict[str, Any]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for cell in cells:
        cell["source"] = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    return cells


def metadata_ids(cell: dict[str, Any]) -> set[str]:
    value = cell["metadata"].get(KEY)
    entries = value if isinstance(value, list) else [value] if value is not None else []
    return {entry["id"] for entry in entries}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A course folder of the test's own, where the errata are recorded."""
    monkeypatch.setenv("COURSE_HOME", str(tmp_path / "course"))
    monkeypatch.setenv("COURSE_RECORD", "errata")
    return tmp_path / "course"


# -- the notebooks --------------------------------------------------------------------------------------------


def test_the_course_tests_claims_of_the_seed_with_every_verdict_valid_and_unique_ids() -> None:
    found = claims()
    assert len(found) >= 5, "chapter 01 alone tests more claims of the seed than that"
    assert {c.verdict for c in found} <= set(VERDICTS)
    assert len({c.id for c in found}) == len(found)
    for claim in found:
        assert (
            claim.notebook.startswith(claim.chapter + "_") and (ROOT / "notebooks" / f"{claim.notebook}.ipynb").exists()
        )


@pytest.mark.parametrize("claim", claims(), ids=lambda c: c.id)
def test_every_claims_words_are_the_seeds(claim: errata.Claim) -> None:
    assert in_seed(claim.words), f"{claim.notebook}, cell {claim.cell_id}: the seed never says {claim.words!r}"
    assert claim.measurement.strip().endswith("."), "the measurement is one sentence"


def problems(name: str, cells: list[dict[str, Any]]) -> list[str]:
    """What breaks the rules of this module's docstring, in a notebook's code cells."""
    found = []
    for cell in cells:
        where = f"{name}, cell {cell['id']}"
        called = set()
        for argument in _RECORD.findall(cell["source"]):
            literal = re.fullmatch(r"\s*[\"']([\w-]+)[\"']\s*", argument)
            if not literal:
                found.append(f"{where}: record()'s first argument should be the claim id, written out")
            else:
                called.add(literal.group(1))
        declared = metadata_ids(cell)
        if called - declared:
            found.append(f"{where} records {sorted(called - declared)} but does not declare them: add {KEY} here")
        if declared - called:
            found.append(
                f"{where} carries the claims {sorted(declared - called)} but does not record them: the metadata "
                "belongs on the cell that measures the claim (was the measurement moved or deleted?)"
            )
        exempt = cell["metadata"].get(EXEMPT_KEY)
        if exempt is not None and not (isinstance(exempt, str) and exempt.strip()):
            found.append(f"{where}: {EXEMPT_KEY} should be the reason, in words")
        if exempt and declared:
            found.append(f"{where}: a claim and an exemption")
        if uses_seed(cell["source"]) and _ASSERT.search(cell["source"]) and not (declared or exempt):
            found.append(
                f"{where} uses the seed's code and asserts something, but carries no {KEY}: say which claim of the "
                f"seed it tests, or why it tests none ({EXEMPT_KEY})\n{cell['source'][:300]}"
            )
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_cell_that_tests_the_seed_carries_its_claim_and_records_it(path: Path) -> None:
    assert problems(path.name, code_cells(path)) == []


def cell(source: str, **metadata: Any) -> dict[str, Any]:
    return {"id": "abc", "source": source, "metadata": metadata}


def test_the_rules_catch_a_claim_without_its_cell_and_a_cell_without_its_claim() -> None:
    claim = {**GOOD, "id": "def-blocks"}
    moved = cell("x = 1", seed_claim=claim)  # its measurement moved to another cell, or was deleted
    bare = cell('r = await load(srv, "/sync")\nassert r.ok\nrecord("def-blocks", "1 s")')
    unlabelled = cell('r = await load(srv, "/sync")\nassert r.ok')
    assert [p.split(" ", 3)[3][:20] for p in problems("01_x.ipynb", [moved, bare, unlabelled])] == [
        "carries the claims [",
        "records ['def-blocks",
        "uses the seed's code",  # bare, again
        "uses the seed's code",
    ]
    fine = [
        cell('r = await load(srv, "/sync")\nassert r.ok\nrecord("def-blocks", "1 s")', seed_claim=claim),
        cell('r = await load(srv, "/sync")\nassert r.ok', seed_claim_exempt="warms the pool up"),
        cell('r = await load(srv, "/sync")'),  # measures, asserts nothing
    ]
    assert problems("01_x.ipynb", fine) == []
    assert "should be the claim id" in problems("01_x.ipynb", [cell("record(claim_id, '1 s')")])[0]


def test_what_counts_as_using_the_seeds_code() -> None:
    assert uses_seed("srv = serve(seed_fixed.create_app(url))")
    assert uses_seed("show_source(seed_as_pasted)")
    assert uses_seed('r = await load(srv, "/sync", n=80)')
    assert uses_seed('(srv, "/io-intensive")') and uses_seed('client.get("/cpu-intensive?x=1")')
    assert not uses_seed('await load(blk, "/async-blocking", n=5)'), "a chapter's own route, not the seed's"
    assert not uses_seed('await client.get("/ping")'), "served beside the seed's routes, but not in the seed"
    assert not uses_seed("seed_fixedness = 1")


def test_the_seed_is_the_published_text() -> None:
    assert in_seed("@app.get('/sync')   def sync_endpoint():\n time.sleep(1)")  # whitespace does not matter
    assert not in_seed("time.sleep(1) # Blocks the whole server")


# -- invalid metadata -------------------------------------------------------------------------------------------


def write_notebook(folder: Path, name: str, *cells: tuple[str | None, Any]) -> Path:
    """A notebook with one code cell per (cell id, seed_claim metadata); a None id leaves the id out."""
    folder.mkdir(exist_ok=True)
    nb_cells = []
    for cell_id, claim in cells:
        cell: dict[str, Any] = {"cell_type": "code", "metadata": {KEY: claim}, "source": "", "outputs": []}
        if cell_id is not None:
            cell["id"] = cell_id
        nb_cells.append(cell)
    path = folder / name
    path.write_text(json.dumps({"cells": nb_cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


GOOD = {"id": "a-claim", "words": "CPU-bound work (use sync)", "verdict": "misleading", "measurement": "It measures."}


@pytest.mark.parametrize(
    ("claim", "message"),
    [
        ({**GOOD, "verdict": "half right"}, "a verdict is one of right, wrong, misleading, broken"),
        ({k: v for k, v in GOOD.items() if k != "measurement"}, "lacks measurement"),
        ({**GOOD, "words": "  "}, "lacks words"),
        ({**GOOD, "source": "x"}, "unknown fields ['source']"),
        ({**GOOD, "id": "Not A Slug"}, "should be a slug"),
        ("wrong", "should be an object"),
    ],
)
def test_invalid_metadata_is_a_clear_error_naming_notebook_and_cell(tmp_path: Path, claim: Any, message: str) -> None:
    write_notebook(tmp_path, "07_topic.ipynb", ("c0ffee", claim))
    with pytest.raises(ErrataError, match=re.escape(message)) as error:
        claims(tmp_path)
    assert "07_topic.ipynb, cell c0ffee" in str(error.value)


def test_a_duplicate_id_names_both_cells(tmp_path: Path) -> None:
    write_notebook(tmp_path, "02_a.ipynb", ("first1", GOOD))
    write_notebook(tmp_path, "03_b.ipynb", ("other2", [{**GOOD, "id": "b"}, GOOD]))
    with pytest.raises(
        ErrataError, match=r"03_b\.ipynb, cell other2: .*'a-claim' is already used by 02_a\.ipynb, cell first1"
    ):
        claims(tmp_path)


def test_a_cell_without_id_and_a_notebook_that_is_not_one(tmp_path: Path) -> None:
    write_notebook(tmp_path, "02_a.ipynb", (None, GOOD))
    with pytest.raises(ErrataError, match="02_a.ipynb, cell #0: the cell has no id"):
        claims(tmp_path)
    (tmp_path / "02_a.ipynb").write_text("{not json")
    with pytest.raises(ErrataError, match="02_a.ipynb cannot be read as a notebook"):
        claims(tmp_path)


def test_claims_reads_each_chapter_with_a_list_of_claims_per_cell(tmp_path: Path) -> None:
    write_notebook(tmp_path, "04_pool.ipynb", ("cell-1", [GOOD, {**GOOD, "id": "b", "verdict": "right"}]))
    (tmp_path / "scratch.ipynb").write_text("not a chapter, not read")
    found = claims(tmp_path)
    assert [(c.id, c.chapter, c.notebook, c.cell_id, c.verdict) for c in found] == [
        ("a-claim", "04", "04_pool", "cell-1", "misleading"),
        ("b", "04", "04_pool", "cell-1", "right"),
    ]


# -- recording, and reading back ----------------------------------------------------------------------------------


def test_record_and_last_measurements_round_trip(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    claim = claims()[0]
    assert errata.last_measurements() == {}
    errata.record(claim.id, "first   figure\n")
    errata.record(claim.id, "10 requests took 0.31 s")
    out = capsys.readouterr().out
    assert f"seed claim {claim.id!r}" in out and f": {claim.verdict} — measured: 10 requests took 0.31 s" in out
    assert claim.words[:30] in out
    assert errata.last_measurements() == {claim.id: "10 requests took 0.31 s"}
    assert errata.measurements()[claim.id].at.startswith("20")
    assert json.loads((home / "errata.json").read_text())["claims"][claim.id]["measured"] == "10 requests took 0.31 s"


def test_an_unknown_claim_id_is_an_error(home: Path) -> None:
    with pytest.raises(
        ValueError, match="no seed claim 'no-such-claim' in the notebooks' cell metadata; the claims are"
    ):
        errata.record("no-such-claim", "1 s")
    with pytest.raises(TypeError, match="the claim's id as a text"):
        errata.record(3, "1 s")  # type: ignore[arg-type]


def test_a_corrupt_file_starts_over_and_says_so(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home.mkdir()
    (home / "errata.json").write_text('{"claims": {"x": ')
    with pytest.warns(CourseStateWarning, match="is not valid JSON"):
        assert errata.last_measurements() == {}
    claim = claims()[0]
    with pytest.warns(CourseStateWarning, match="starting it over"):
        errata.record(claim.id, "2 s")
    assert errata.last_measurements() == {claim.id: "2 s"}
    assert (home / "errata.json.corrupt").read_text() == '{"claims": {"x": '


def test_a_folder_that_cannot_be_written_is_a_warning_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("COURSE_HOME", str(tmp_path / "a-file" / "course"))  # under a file: never a folder
    monkeypatch.setenv("COURSE_RECORD", "all")
    with pytest.warns(CourseStateWarning, match="could not record in .*set COURSE_HOME to a folder you can write to"):
        errata.record(claims()[0].id, "1 s")
    assert "measured: 1 s" in capsys.readouterr().out  # the learner still sees the line


def test_the_test_suite_records_nothing_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_HOME", str(tmp_path))
    monkeypatch.delenv("COURSE_RECORD", raising=False)  # PYTEST_CURRENT_TEST is set while a test runs
    errata.record(claims()[0].id, "1 s")
    monkeypatch.setenv("COURSE_RECORD", "progress")
    errata.record(claims()[0].id, "1 s")
    assert not (tmp_path / "errata.json").exists()


# -- python3 run.py errata ----------------------------------------------------------------------------------------


def test_the_errata_command_prints_every_claim_with_the_last_measurement(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    found = claims()
    errata.record(found[0].id, "took 0.31 s")
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "100")
    assert cli(["errata"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(map(len, lines)) <= 100
    for claim in found:
        assert claim.id in out and claim.cell_id in out
    assert "took 0.31 s (20" in out  # and when
    assert out.count("not run yet") == len(found) - 1
    summary = " ".join(out.split("\n\n")[-1].split())  # the last paragraph, however many lines it wraps to
    assert f"{len(found)} claims of the seed tested" in summary and "1 measured on this machine" in summary

    assert cli(["errata", "--markdown"]) == 0
    md = capsys.readouterr().out
    rows = [line for line in md.splitlines() if line.startswith("| “")]
    assert len(rows) == len(found) and all(row.count(" | ") == 4 for row in rows)


def test_run_py_errata_runs_the_same_command(home: Path) -> None:
    spec = importlib.util.spec_from_file_location("run_py", ROOT / "run.py")
    assert spec is not None and spec.loader is not None
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    assert run.COMMANDS["errata"][0] == ["-m", "course_app", "errata"]
    done = subprocess.run(
        [sys.executable, *run.COMMANDS["errata"][0]], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "claims of the seed tested" in done.stdout and "Traceback" not in done.stderr


def test_the_command_says_what_is_wrong_with_broken_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_notebook(tmp_path, "07_topic.ipynb", ("c0ffee", {**GOOD, "verdict": "meh"}))
    monkeypatch.setattr(errata, "default_notebooks", lambda: tmp_path)
    assert cli(["errata"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: 07_topic.ipynb, cell c0ffee") and "Traceback" not in err


def test_the_course_copy_of_the_seed_is_the_seed_itself() -> None:
    """The claims' words are checked against course_app/seed/, the course's copy of the seed (a fresh clone has no
    ../shared). Where the original is beside the checkout, as in CI, the copy must not have drifted from it."""
    original = ROOT.parent / "shared" / "seed" / errata.SEED.name
    if not original.exists():
        pytest.skip(f"the original seed is not beside this checkout (../shared/seed/{errata.SEED.name})")
    assert errata.SEED.read_bytes() == original.read_bytes(), f"{errata.SEED} differs from the seed it copies"
