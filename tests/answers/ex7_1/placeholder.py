"""The cell as handed out: the placeholder raises `NotImplementedError` on every request."""

from pathlib import Path

from . import app_with

EXPECTED = "the exercise code is still the placeholder"


def body(folder: Path, name: str) -> None:
    raise NotImplementedError()


app = app_with(body)
