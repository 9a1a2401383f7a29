"""``python -m course_app``: clear errors for bad input, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from course_app.cli import main


def test_doctor_without_database_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--no-database"]) == 0
    out = capsys.readouterr().out
    assert "live server" in out and "thread pool" in out and "40 worker threads" in out
    assert "all essential checks passed" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "99"], "no chapter 'ch99'; the chapters are: ch00_welcome"),
        (["serve", "00", "--app", "nope"], "has no app 'nope'; its apps are: "),  # then the chapter's apps
    ],
)
def test_serve_bad_input_is_a_clear_error(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_unknown_command_is_a_usage_error() -> None:
    out = subprocess.run([sys.executable, "-m", "course_app", "fly"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "invalid choice" in out.stderr and "Traceback" not in out.stderr


def test_learner_edition_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["learner", "--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert "00_welcome.ipynb" in written
    assert "### BEGIN SOLUTION" not in (tmp_path / "00_welcome.ipynb").read_text()
    assert main(["learner", "--out", str(tmp_path)]) == 0
    assert "kept your own copies" in capsys.readouterr().out
