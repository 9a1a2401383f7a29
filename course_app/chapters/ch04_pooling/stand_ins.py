"""The addresses the seed makes up, replaced by the course's; read from the environment at each call.

``database_url()`` stands for the seed's ``'postgresql://user:pass@localhost/db'``: ``$COURSE_DATABASE_URL``,
with the seed data's schema on the search path (the seed's ``users`` is the course's ``course.users``) and the
connections named :data:`SEED_APP_NAME` in ``pg_stat_activity``. Unset: a port where nothing listens, as the
seed's own address would be on a learner's machine.

``external_api()`` stands for ``'https://api.example.com/data'``: ``$COURSE_UPSTREAM_URL/data``.
"""

import os

from .common import DB_ENV, UPSTREAM_ENV, with_settings

SEED_APP_NAME = f"course-ch04-seed-{os.getpid()}"
NOWHERE = "127.0.0.1:9"  # the discard port: nothing listens there, a connection is refused at once


def database_url() -> str:
    url = os.environ.get(DB_ENV, "").strip()
    if not url:
        return f"postgresql://user:pass@{NOWHERE}/db"
    return with_settings(url, search_path="course", application_name=SEED_APP_NAME)


def external_api() -> str:
    return (os.environ.get(UPSTREAM_ENV, "").strip() or f"http://{NOWHERE}").rstrip("/") + "/data"
