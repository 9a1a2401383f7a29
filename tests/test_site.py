"""The rendered site (``python3 run.py site``): built once, then read in headless Chromium as a reader would.

Chromium is the system's, found and launched by tests/browser.py (the ``browser`` fixture), driven by Playwright's
Python API; Playwright's own browsers are never downloaded. Without Chromium the browser tests skip, unless
``COURSE_REQUIRE_BROWSER=1`` (CI sets it), which makes a missing browser a failure. A screenshot of every page
lands in ``build/site-screenshots/`` (``COURSE_SCREENSHOTS`` names another folder), for a person to look at.
The site is built into a temporary folder, or into ``COURSE_SITE_OUT`` (CI: ``build/site``).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from course_app.cli import main
from course_app.editions import has_solution
from course_app.errata import claims
from course_app.guide import guide_markdown
from course_app.site import (
    SiteBuild,
    SiteError,
    StaleCopies,
    build_site,
    chapters,
    executed_copy,
    executed_folder,
    stale_copies,
)
from tests.browser import chromium

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = [p.stem for p in chapters(NOTEBOOKS)]
LOCAL = ("file:", "data:", "about:", "blob:")  # what a page of an offline site may load


@pytest.fixture(scope="module")
def site(
    browser: Any, tmp_path_factory: pytest.TempPathFactory, run_started: str
) -> SiteBuild:  # the browser first: none, no build
    """The site, built by the function ``python3 run.py site`` calls, into a temporary folder.

    From the notebooks this test run executed (``build/executed``, see notebooks/conftest.py), when it ran all of
    them; otherwise (``pytest tests/test_site.py``, say) the build executes them itself. ``COURSE_SITE_OUT`` (relative to the
    checkout) names the folder instead: CI keeps the site it tested there (``build/site``).
    """
    named = os.environ.get("COURSE_SITE_OUT", "").strip()
    out = ROOT / named if named else tmp_path_factory.mktemp("site") / "site"
    executed = executed_folder()
    if executed is not None:
        with contextlib.suppress(StaleCopies):  # raised before anything is built
            return build_site(out, executed=executed, since=run_started)
    return build_site(out)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(os.environ.get("COURSE_SCREENSHOTS", "").strip() or ROOT / "build" / "site-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Reader:
    """One browser page that records what a reader would not see: JavaScript errors, and loads from the network."""

    def __init__(self, browser: Any, site: SiteBuild) -> None:
        self.site = site
        self.page = browser.new_page(viewport={"width": 1440, "height": 900})
        self.errors: list[str] = []
        self.remote: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("request", lambda req: req.url.startswith(LOCAL) or self.remote.append(req.url))

    def open(self, name: str) -> Any:
        page, _, anchor = name.partition("#")
        self.page.goto((self.site.out / page).as_uri() + (f"#{anchor}" if anchor else ""), wait_until="load")
        return self.page

    def current(self) -> str:
        return str(self.page.url).split("#")[0].rsplit("/", 1)[-1]

    def close(self) -> None:
        self.page.close()
        assert not self.remote, f"the site loaded from the network, and must work offline: {self.remote}"
        assert not self.errors, f"errors in the browser: {self.errors}"


@pytest.fixture
def reader(browser: Any, site: SiteBuild) -> Iterator[Reader]:
    reader = Reader(browser, site)
    yield reader
    reader.close()


def _code_cells(stem: str) -> list[Any]:
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    return [cell for cell in nb.cells if cell.cell_type == "code"]


# -- pages -------------------------------------------------------------------------------------------------------


def test_the_site_has_every_chapter_in_order_and_its_two_pages(site: SiteBuild) -> None:
    assert list(site.chapters) == CHAPTERS and CHAPTERS[:2] == ["00_welcome", "01_async_vs_sync"]
    assert site.pages == ("index.html", *(f"{c}.html" for c in CHAPTERS), "errata.html", "guide.html")
    for page in site.pages:
        assert (site.out / page).is_file(), page
    assert sum(site.figures.values()) > 0, "the chapters plot their timings; the build counted no image"


@pytest.mark.parametrize("stem", CHAPTERS)
def test_every_chapter_renders_with_its_plots(stem: str, reader: Reader, screenshots: Path) -> None:
    page = reader.open(f"{stem}.html")
    page.screenshot(path=str(screenshots / f"{stem}.png"), full_page=True)
    title = page.locator("article h1").first.inner_text()
    first_line = next(cell.source for cell in nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4).cells)
    assert title.strip("#¶ \n") == first_line.splitlines()[0].lstrip("# ").replace("`", "").strip()
    images = page.locator("article .cell_output img")
    expected = reader.site.figures[stem]
    assert images.count() >= expected, f"{stem}: the notebook made {expected} images, the page shows {images.count()}"
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        width = image.evaluate("img => img.complete ? img.naturalWidth : 0")
        assert width > 0, f"{stem}: image {index} ({image.get_attribute('src')}) did not load"


@pytest.mark.parametrize("stem", CHAPTERS)
def test_the_taught_source_is_highlighted(stem: str, reader: Reader) -> None:
    shown = sum(len(re.findall(r"\bshow_source\(", cell.source)) for cell in _code_cells(stem))
    page = reader.open(f"{stem}.html")
    # show_source's output: a title ("from course_app...") and the code, highlighted by Pygments with inline colours
    blocks = page.locator("article .cell_output .output.text_html:has(div:text-matches('^from '))")
    assert blocks.count() >= shown, f"{stem} calls show_source {shown} time(s); the page shows {blocks.count()}"
    for index in range(blocks.count()):
        block = blocks.nth(index)
        colours = block.locator("pre span[style*='color']")
        assert colours.count() > 3, f"{stem}: shown source {index} is not highlighted: {block.inner_text()[:200]}"
        assert "def " in block.inner_text() or "class " in block.inner_text()
    # and the cells' own code is highlighted by Sphinx
    assert page.locator("article .cell_input .highlight span.k").count() > 0


@pytest.mark.parametrize("stem", CHAPTERS)
def test_solutions_are_folded_and_open_on_click(stem: str, reader: Reader, screenshots: Path) -> None:
    solutions = [cell for cell in _code_cells(stem) if has_solution(cell.source)]
    page = reader.open(f"{stem}.html")
    folded = page.locator("article details.hide.above-input")
    assert folded.count() == len(solutions), f"{stem}: {len(solutions)} solutions, {folded.count()} folded cells"
    for index, cell in enumerate(solutions):
        details = folded.nth(index)
        code = details.locator(".cell_input pre")
        assert details.evaluate("d => d.open") is False, f"{stem}: solution {index} is open before a click"
        assert not code.is_visible(), f"{stem}: solution {index} can be read without opening it"
        details.locator("summary").click()
        assert details.evaluate("d => d.open") is True
        assert code.is_visible()
        assert code.inner_text().strip().splitlines()[0] in cell.source, f"{stem}: solution {index} is another cell"
        if index == 0:
            details.screenshot(path=str(screenshots / f"{stem}-solution-open.png"), animations="disabled")
        details.locator("summary").click()
        assert details.evaluate("d => d.open") is False, f"{stem}: solution {index} does not fold again"


def test_prev_and_next_reach_every_page_in_order(reader: Reader) -> None:
    page = reader.open("index.html")
    visited = [reader.current()]
    while page.locator("a.right-next").count():
        page.locator("a.right-next").first.click()
        page.wait_for_load_state("load")
        visited.append(reader.current())
        assert len(visited) <= len(reader.site.pages), f"next goes round in circles: {visited}"
    assert visited == list(reader.site.pages)
    back = [reader.current()]
    while page.locator("a.left-prev").count():
        page.locator("a.left-prev").first.click()
        page.wait_for_load_state("load")
        back.append(reader.current())
        assert len(back) <= len(reader.site.pages), f"prev goes round in circles: {back}"
    assert back == visited[::-1]


def test_the_sidebar_links_every_page_from_every_page(reader: Reader) -> None:
    for name in reader.site.pages:
        page = reader.open(name)
        links = page.locator("nav.bd-docs-nav a.reference.internal")
        targets = {str(links.nth(i).get_attribute("href")).split("#")[0] for i in range(links.count())}
        targets = {t for t in targets if t} | {name}  # a page may link itself as "#" or by its name
        assert set(reader.site.pages) <= targets, f"{name}: the sidebar lacks {set(reader.site.pages) - targets}"


def test_every_errata_link_lands_on_its_claim(reader: Reader, screenshots: Path) -> None:
    expected = claims(NOTEBOOKS)
    cells = {c.id: c for stem in CHAPTERS for c in _code_cells(stem)}
    page = reader.open("errata.html")
    page.screenshot(path=str(screenshots / "errata.png"), full_page=True)
    rows = page.locator("table.seed-errata tbody tr")
    assert rows.count() == len(expected), f"{len(expected)} seed claims, {rows.count()} rows"
    hrefs = [str(page.locator("a.seed-link").nth(i).get_attribute("href")) for i in range(rows.count())]
    assert hrefs == [f"{c.notebook}.html#seed-{c.id}" for c in expected]
    for index, claim in enumerate(expected):
        row = rows.nth(index)
        assert claim.verdict in row.locator("td.seed-verdict").inner_text()
        assert row.locator("td").nth(3).inner_text().strip() not in ("", "—"), f"{claim.id}: no figure measured"
    for href, claim in zip(hrefs, expected, strict=True):
        target = reader.open(href)
        anchor = target.locator(f"[id='seed-{claim.id}']")
        assert anchor.count() == 1, f"{href}: no such anchor on the page"
        # the claim's code cell comes right after its anchor (after the anchors of other claims of that cell)
        source = anchor.evaluate(
            """a => { let next = a.nextElementSibling;
                      while (next && next.classList.contains("seed-anchor")) next = next.nextElementSibling;
                      return next && next.matches(".cell") ? next.querySelector(".cell_input pre").innerText : null; }"""
        )
        assert source is not None, f"{href}: no code cell right after the anchor"
        assert source.strip() == cells[claim.cell_id].source.strip(), f"{href}: the anchor is before another cell"
        assert anchor.evaluate("a => a.getBoundingClientRect().top") < 200, f"{href}: the link did not scroll to it"


def test_the_guide_renders(reader: Reader, screenshots: Path) -> None:
    text = guide_markdown()
    headings, fence = [], False
    for line in text.splitlines():
        fence ^= line.lstrip().startswith(("```", "~~~"))
        if not fence and line.startswith("## "):
            headings.append(line)
    page = reader.open("guide.html")
    page.screenshot(path=str(screenshots / "guide.png"), full_page=True)
    h1 = page.locator("article h1").first.inner_text().strip("#¶ \n")
    assert h1 == text.splitlines()[0].lstrip("# ").strip()
    assert page.locator("article h2").count() == len(headings)


def test_the_index_links_the_chapters(reader: Reader, screenshots: Path) -> None:
    page = reader.open("index.html")
    page.screenshot(path=str(screenshots / "index.png"), full_page=True)
    body = page.locator("article .toctree-wrapper a.reference.internal")
    hrefs = [str(body.nth(i).get_attribute("href")) for i in range(body.count())]
    assert hrefs == [*(f"{c}.html" for c in CHAPTERS), "errata.html", "guide.html"]


# -- without a browser: what the build says when it cannot build, and no browser at all ---------------------------------------------------


def test_a_failing_notebook_names_itself_and_its_cell(tmp_path: Path) -> None:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 00 · Broken"),
        # notebooks run from their own folder, as under nbval
        nbformat.v4.new_code_cell(f"import pathlib\nassert pathlib.Path.cwd() == pathlib.Path({str(notebooks)!r})"),
        nbformat.v4.new_code_cell("x = 1\nassert x == 2, 'x is not two'"),
    ]
    nbformat.write(nb, notebooks / "00_broken.ipynb")
    with pytest.raises(SiteError) as failed:
        build_site(tmp_path / "site", notebooks=notebooks)
    message = str(failed.value)
    first = message.splitlines()[0]
    assert first.startswith(f"notebooks/00_broken.ipynb, cell 2 (id {nb.cells[2].id}) failed"), message
    assert "AssertionError: x is not two" in first
    assert "sphinx" not in message.lower(), f"a Sphinx traceback: {message}"
    assert not (tmp_path / "site" / "index.html").exists(), "a failed build must not write a site"


def test_a_build_executes_the_notebooks_or_renders_copies_that_ran_already(tmp_path: Path) -> None:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# 00 · Tiny"), nbformat.v4.new_code_cell("print('ran by', 'the build')")]
    nbformat.write(nb, notebooks / "00_tiny.ipynb")
    page = Path("00_tiny.html")

    executing = build_site(tmp_path / "executing", notebooks=notebooks)
    assert "ran by the build" in (executing.out / page).read_text()

    copies = tmp_path / "executed"
    copies.mkdir()
    ran = nbformat.read(notebooks / "00_tiny.ipynb", as_version=4)
    ran.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran by the test run\n")]
    ran.metadata["course_executed"] = {"started": "2026-01-01T00:00:00+00:00"}
    nbformat.write(ran, executed_copy(copies, notebooks / "00_tiny.ipynb"))
    assert stale_copies(copies, chapters(notebooks)) == []
    assert stale_copies(copies, chapters(notebooks), since="2026-01-01T00:00:01+00:00") == ["00_tiny.ipynb"]
    rendering = build_site(tmp_path / "rendering", notebooks=notebooks, executed=copies)
    html = (rendering.out / page).read_text()
    assert "ran by the test run" in html and "ran by the build" not in html, "the copy must be rendered as it is"

    nb.cells[1].source = "print('changed since the copy ran')"
    nbformat.write(nb, notebooks / "00_tiny.ipynb")
    assert stale_copies(copies, chapters(notebooks)) == ["00_tiny.ipynb"]
    with pytest.raises(StaleCopies, match="no current executed copy of 00_tiny.ipynb"):
        build_site(tmp_path / "stale", notebooks=notebooks, executed=copies)


def _a_file(tmp: Path) -> Path:
    (tmp / "site").write_text("not a folder")
    return tmp / "site"


def _someone_elses_folder(tmp: Path) -> Path:
    (tmp / "site").mkdir()
    (tmp / "site" / "notes.txt").write_text("mine")
    return tmp / "site"


def _under_a_file(tmp: Path) -> Path:
    (tmp / "file").write_text("not a folder")
    return tmp / "file" / "site"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_a_file, "--out must be a folder, and {out} is a file"),
        (_someone_elses_folder, "--out {out} is a folder with other files in it"),
        (_under_a_file, "--out {out} cannot be created: {out.parent} is a file"),
    ],
)
def test_bad_out_is_one_clear_error(
    make: Any, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = make(tmp_path)
    assert main(["site", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message.format(out=out) in err and "Traceback" not in err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert not (tmp_path / "file").is_dir() and not (out / "index.html").exists()


@pytest.mark.parametrize("required", ["", "1"])
def test_no_chromium_skips_saying_why_unless_it_is_required(required: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_CHROMIUM", "no-such-chromium")
    monkeypatch.setenv("COURSE_REQUIRE_BROWSER", required)
    expected = pytest.fail.Exception if required else pytest.skip.Exception
    with pytest.raises(expected) as outcome:
        chromium()
    assert "COURSE_CHROMIUM=no-such-chromium is not an executable" in str(outcome.value)
    assert ("COURSE_REQUIRE_BROWSER=1 requires" in str(outcome.value)) == bool(required)
