#!/usr/bin/env python3
"""Keep each ``notebooks/NN_name.ipynb`` and its percent-format twin ``notebooks/NN_name.py`` in agreement.

    python scripts/notebooks.py check             # name every pair that is missing or differs; exit 1 if any
    python scripts/notebooks.py to-py [FILE...]    # (re)write the .py twins from the .ipynb
    python scripts/notebooks.py from-py [FILE...]  # (re)write the .ipynb from the .py twins, without outputs

``scripts/check`` and ``scripts/sync-notebooks`` call it; it needs jupytext (the ``dev`` extra).
The .py is exactly what ``jupytext --to py:percent`` writes for the .ipynb, so check and sync
cannot disagree. Going back, cell ids and metadata the .py does not carry are taken from the
existing .ipynb (as ``jupytext --update`` does) and outputs are dropped: notebooks are committed
without outputs. ``check`` also fails on a notebook that has outputs, and on a percent-format .py
in notebooks/ that has no .ipynb.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
FORMAT = "py:percent"
SYNC = "scripts/sync-notebooks"
MAX_DIFF_LINES = 40

try:
    import jupytext
    from jupytext.combine import combine_inputs_with_outputs
    from jupytext.config import load_jupytext_config
except ImportError:  # pragma: no cover - a message instead of a traceback
    sys.exit(
        f"{Path(sys.executable).name} has no jupytext: run this with the course's environment "
        "(python3 run.py check, or PYTHON=.venv/bin/python), or pip install -e '.[dev]'"
    )


def rel(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def config() -> Any:
    """jupytext's own configuration for notebooks/, if the project ever adds one (None today)."""
    return load_jupytext_config(str(NOTEBOOKS / "any.ipynb"))


def twin_text(ipynb: Path) -> str:
    """The percent-format text of ``ipynb``: what its .py must contain."""
    cfg = config()
    return str(jupytext.writes(jupytext.read(ipynb, config=cfg), fmt=FORMAT, config=cfg))


def notebook_text(py: Path) -> str:
    """The .ipynb text for ``py``: its cells, ids and metadata of the existing .ipynb, no outputs."""
    cfg = config()
    nb = jupytext.read(py, fmt=FORMAT, config=cfg)
    ipynb = py.with_suffix(".ipynb")
    if ipynb.exists():
        nb = combine_inputs_with_outputs(nb, jupytext.read(ipynb, config=cfg), fmt=FORMAT)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    text = str(jupytext.writes(nb, fmt="ipynb", config=cfg))
    return text if text.endswith("\n") else text + "\n"


def is_percent_script(py: Path) -> bool:
    """A notebook's twin (a conftest.py or helper module in notebooks/ is not)."""
    lines = py.read_text(encoding="utf-8").splitlines()
    return "#   jupytext:" in lines[:4] or any(line.startswith("# %%") for line in lines)


def has_outputs(ipynb: Path) -> bool:
    nb = jupytext.read(ipynb)
    return any(cell.get("outputs") or cell.get("execution_count") for cell in nb.cells if cell.cell_type == "code")


def write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"wrote {rel(path)}")
    return True


def check() -> int:
    problems: list[str] = []
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    for ipynb in notebooks:
        py = ipynb.with_suffix(".py")
        if not py.exists():
            problems.append(f"{rel(py)} is missing: run {SYNC}")
        else:
            expected, actual = twin_text(ipynb), py.read_text(encoding="utf-8")
            if expected != actual:
                diff = list(
                    difflib.unified_diff(
                        actual.splitlines(), expected.splitlines(), rel(py), f"{rel(py)} from {ipynb.name}", lineterm=""
                    )
                )
                more = f"\n    ... {len(diff) - MAX_DIFF_LINES} more diff lines" if len(diff) > MAX_DIFF_LINES else ""
                problems.append(
                    f"{rel(py)} differs from {rel(ipynb)}: run {SYNC} (.ipynb -> .py), "
                    f"or {SYNC} --from-py if you edited the .py\n    " + "\n    ".join(diff[:MAX_DIFF_LINES]) + more
                )
        if has_outputs(ipynb):
            problems.append(f"{rel(ipynb)} has outputs: notebooks are committed without them (run {SYNC} --from-py)")
    for py in sorted(NOTEBOOKS.glob("*.py")):
        if not py.with_suffix(".ipynb").exists() and is_percent_script(py):
            problems.append(f"{rel(py)} has no {py.with_suffix('.ipynb').name}: run {SYNC} --from-py, or delete it")
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{len(notebooks)} notebooks, each with its {FORMAT} twin, in agreement")
    return 1 if problems else 0


def to_py(files: list[Path]) -> None:
    for ipynb in files or sorted(NOTEBOOKS.glob("*.ipynb")):
        write_if_changed(ipynb.with_suffix(".py"), twin_text(ipynb.with_suffix(".ipynb")))


def from_py(files: list[Path]) -> None:
    for py in files or [py for py in sorted(NOTEBOOKS.glob("*.py")) if is_percent_script(py)]:
        write_if_changed(py.with_suffix(".ipynb"), notebook_text(py.with_suffix(".py")))


def main(argv: list[str]) -> int:
    command, files = (argv[0], [Path(arg) for arg in argv[1:]]) if argv else ("", [])
    if command == "check" and not files:
        return check()
    if command not in ("to-py", "from-py"):
        print(__doc__, file=sys.stderr)
        return 2
    source = ".ipynb" if command == "to-py" else ".py"
    missing = [str(f) for f in files if not f.with_suffix(source).exists()]
    if missing:
        print(f"no {source} file for: {', '.join(missing)}", file=sys.stderr)
        return 2
    (to_py if command == "to-py" else from_py)(files)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
