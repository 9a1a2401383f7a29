"""The Sphinx extension of the course's site: the chapters are read in order, the errata page last.

MyST-NB executes a notebook when Sphinx reads it. Reading the errata page after every chapter lets it show
the figures the notebooks recorded (``course_app.errata.record``) in this very build.
"""

from __future__ import annotations

from html import escape
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

__all__ = ["errata_markdown", "setup"]

ERRATA = "errata"
logger = logging.getLogger(__name__)


def _read_in_order(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Chapters in order (their names sort as they are numbered), the errata page after all of them."""
    docnames.sort(key=lambda name: (name == ERRATA, name))


def _errata_source(app: Sphinx, docname: str, content: list[str]) -> None:
    if docname == ERRATA:
        notebooks = str(app.config.course_site_notebooks) or None
        content[0] = errata_markdown(str(app.config.course_site_started), notebooks)


def errata_markdown(since: str = "", notebooks: str | None = None) -> str:
    """The errata page: every claim of the seed the chapters in ``notebooks`` (default: the checkout's) test,
    its verdict, and the figure recorded since ``since`` (an ISO 8601 time in UTC, as
    :func:`course_app.state.now` writes it; empty: any)."""
    from ..errata import claims, measurements

    found = claims(notebooks)
    recorded = measurements()
    rows = []
    for claim in found:
        measured = recorded.get(claim.id)
        figure = measured.measured if measured is not None and measured.at >= since else None
        if figure is None:
            logger.warning(
                f"seed claim {claim.id!r}: its cell ({claim.notebook}.ipynb, cell {claim.cell_id}) recorded no "
                "figure while the site was built; it should call course_app.errata.record()"
            )
        rows.append(
            "<tr>"
            f'<td class="seed-words">“{escape(claim.words)}”</td>'
            f'<td class="seed-verdict verdict-{escape(claim.verdict)}"><strong>{escape(claim.verdict)}</strong></td>'
            f"<td>{escape(claim.measurement)}</td>"
            f"<td>{escape(figure) if figure is not None else '—'}</td>"
            f'<td><a class="seed-link" href="{escape(claim.notebook)}.html#seed-{escape(claim.id)}">'
            f"chapter {escape(claim.chapter)}</a></td>"
            "</tr>"
        )
    counts: dict[str, int] = {}
    for claim in found:
        counts[claim.verdict] = counts.get(claim.verdict, 0) + 1
    tally = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items())) or "none yet"
    table = "\n".join(
        [
            '<table class="table seed-errata">',
            '<colgroup><col style="width: 27%"><col style="width: 10%"><col style="width: 33%">'
            '<col style="width: 22%"><col style="width: 8%"></colgroup>',
            "<thead><tr><th>The seed says</th><th>Verdict</th><th>What the course measures</th>"
            "<th>Measured in this build</th><th>Where</th></tr></thead>",
            "<tbody>",
            *rows,
            "</tbody>",
            "</table>",
        ]
    )
    return f"""# The seed's errata, measured

Every claim of the seed that the course tests, with its verdict (right, wrong, misleading or broken), what the
course measures to decide, the figure measured while this site was built, and a link to the cell that measures
it. {len(found)} claim(s): {tally}.

On your own machine, `python3 run.py errata` prints the same table from your last run of the notebooks.

{table}
"""


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("course_site_started", "", "env", types=frozenset({str}))
    app.add_config_value("course_site_notebooks", "", "env", types=frozenset({str}))
    app.connect("env-before-read-docs", _read_in_order)
    app.connect("source-read", _errata_source)
    return {"version": "1", "parallel_read_safe": False, "parallel_write_safe": True}
