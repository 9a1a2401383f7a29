"""Where the course lives and keeps its data."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["checkout", "course_home"]


def checkout() -> Path | None:
    """The source checkout this package runs from (pyproject.toml beside course_app/), else None."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() else None


def course_home() -> Path:
    """The folder for the course's data: ``COURSE_HOME``, else ``<checkout>/.course``, else ``~/.course_app``.

    Per project rather than a shared system place, so that 30 learners on one host never share a database,
    and a checkout keeps its data beside it (``.gitignore`` lists ``/.course/``).
    """
    if os.environ.get("COURSE_HOME", "").strip():
        return Path(os.environ["COURSE_HOME"].strip()).expanduser().resolve()
    root = checkout()
    return root / ".course" if root is not None else Path.home() / ".course_app"
