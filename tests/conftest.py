from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # plots render off-screen in tests

from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from course_app.db import Postgres, start_postgres  # noqa: E402
from course_app.seed_data import ensure_seeded  # noqa: E402
from course_app.state import now  # noqa: E402
from tests.browser import launched  # noqa: E402
from tests.jupyter_server import Jupyter, start_jupyter  # noqa: E402

#: when this test run started: the site's tests render only copies of notebooks that this run executed (an earlier
#: run's copy of an unchanged notebook may show what the course's code did before it changed)
RUN_STARTED = now()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The site's tests last: they build the site from the copies of the notebooks that this run executed
    (notebooks/conftest.py writes them), so that no notebook runs a third time for it."""
    items.sort(key=lambda item: item.path.name == "test_site.py")  # a stable sort: the order is otherwise kept


@pytest.fixture(scope="session")
def run_started() -> str:
    """When this test run started (its conftest was imported), as course_app.state.now writes it."""
    return RUN_STARTED


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (tests/browser.py). Playwright's sync API marks an event loop as running in this thread
    while it is open: module scope, so that the tests after a module that uses it can start loops of their own."""
    yield from launched()


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Jupyter]:
    """A Jupyter server with jupyter-server-proxy at /user/learner/, as a hub runs it (tests/jupyter_server.py)."""
    yield from start_jupyter(tmp_path_factory.mktemp("jupyter"))


@pytest.fixture(scope="module")
def pg() -> Iterator[Postgres]:
    """The course's PostgreSQL (``DATABASE_URL``, else the embedded server), let go of after the module."""
    with start_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def seeded_url(pg: Postgres) -> str:
    """The URL of that PostgreSQL, with the full seed data loaded (once; a no-op when it is there)."""
    import asyncio

    asyncio.run(ensure_seeded(pg.url))
    return pg.url
