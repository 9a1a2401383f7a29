"""What the seed's database section uses and never shows: its models and its database URL.

The seed imports ``User``, ``Order``, ``Post`` and ``Comment`` from nowhere; the course supplies its ORM classes of
the seed data (:mod:`.models`). Its URL, ``postgresql+asyncpg://user:pass@localhost/db``, names a server that is
not there: the course reads ``$COURSE_DATABASE_URL`` instead, **when the module is imported** (the seed makes its
engine at import time). Unset, the URL names a port where nothing listens, so every query fails as the seed's
own URL would.
"""

from __future__ import annotations

import os

from .common import DB_ENV, sqlalchemy_url
from .models import Comment, Order, Post, User

__all__ = ["Comment", "Order", "Post", "User", "database_url"]


def database_url() -> str:
    url = os.environ.get(DB_ENV, "").strip()
    return sqlalchemy_url(url) if url else "postgresql+asyncpg://user:pass@127.0.0.1:9/db"  # port 9: discard
