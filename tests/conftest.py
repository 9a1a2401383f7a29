from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # plots render off-screen in tests

import pytest  # noqa: E402


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
