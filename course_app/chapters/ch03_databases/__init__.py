"""Chapter 03: async databases on the seed data (``course_app.seed_data``). One small app per module:

* :mod:`.asyncpg_app`: asyncpg directly: a pool in the lifespan, ``fetchrow``, ``fetch``, a transaction around
  a ``COPY``; 404 for an unknown id, 422 for a malformed one, 503 when the database is down;
* :mod:`.sqla_app`: SQLAlchemy 2 async: engine and ``async_sessionmaker`` once, a session per request through a
  dependency that commits before the response (``scope="function"``); the dashboard's queries one after another;
* :mod:`.seed_as_pasted`: the seed's SQLAlchemy code as written: ``get_db``, ``/users/{user_id}``, the
  ``/dashboard`` and ``/posts/{post_id}`` that gather queries on one session;
* :mod:`.commit_timing`: the seed's ``get_db`` behind a route that writes, and with ``scope="function"``: when
  the commit runs, against when the response is sent;
* :mod:`.tortoise_app`: Tortoise ORM the way 1.1 documents it (``RegisterTortoise`` in the lifespan); the
  seed's ``register_tortoise`` as written is ``tortoise_as_pasted.build()`` (it does not start);
* :mod:`.mongo_app`: MongoDB through PyMongo's ``AsyncMongoClient``, ids as ``ObjectId`` (runs only when given
  a MongoDB URL).

What they share is in :mod:`.common` (URLs, the 404/422/503 answers), :mod:`.models` (the ORM classes of the seed
data, and the chapter's own ``signups`` table), :mod:`.reports` (orders with items: N+1, ``selectinload``, one
query), :mod:`.stand_ins` (what the seed uses and never shows) and :mod:`course_app.db_proxy` (a database the notebook can
"take down" without stopping the server other kernels share) and :mod:`.figures`.
"""

from .common import APP_NAME, DB_DOWN, DB_ENV, DB_TIMEOUT, Signup, configured_database, is_down, sqlalchemy_url
from .models import SIGNUPS, Base, Comment, Order, OrderItem, Post, User, drop_signups, reset_signups, signup_emails

__all__ = [
    "APP_NAME",
    "DB_DOWN",
    "DB_ENV",
    "DB_TIMEOUT",
    "SIGNUPS",
    "Base",
    "Comment",
    "Order",
    "OrderItem",
    "Post",
    "Signup",
    "User",
    "configured_database",
    "drop_signups",
    "is_down",
    "reset_signups",
    "signup_emails",
    "sqlalchemy_url",
]

#: The routes whose 500 is what the chapter teaches (tests/test_chapters.py lets them answer 500), and why.
LESSONS = {
    # the seed's SQLAlchemy routes have no 503: a database they cannot reach (none is configured here) is a 500
    ("seed_as_pasted", "/users/{user_id}"): "the seed's get_db has no 503: no database reachable is a 500",
    ("seed_as_pasted", "/dashboard"): "gather on one session: the 500 is the lesson",
    ("seed_as_pasted", "/posts/{post_id}"): "gather on one session, and a query that finds 5,000 authors",
}

#: For the instructor guide (``python3 run.py guide``), by the notebook's own headings (tests/test_guide.py checks
#: that each still exists): where a pause fits, what to show live, and what a shared hub should know.
INSTRUCTOR = {
    "breaks": {
        "Several queries gathered on one session": (
            "asyncpg and the session per request are done; the seed's concurrency code, the N+1, the other "
            "libraries and a database that goes down follow. The natural place for a break."
        ),
    },
    "live": {
        "When does the seed's `get_db` commit?": (
            "before running the cell, ask the room: the commit fails; what status does the client get? Most say "
            "500. Then point at the 201 and the empty table."
        ),
        "A database that goes down": (
            "run the cell and read the three rows aloud: up, down, back up. Then say plainly that the real server "
            "never stopped, only the proxy the apps talk to, and why: every learner's kernel shares that server."
        ),
    },
    "hub": [
        "every kernel running this chapter uses the same embedded PostgreSQL; the chapter writes only to its own "
        "table (`ch03_signups_` and the kernel's pid), drops it at the end, and never stops the server under other kernels: the "
        "'database down' section stops a TCP proxy of its own instead.",
        "the first kernel on a fresh checkout loads the seed data (about 2 s); every later one checks it in "
        "milliseconds.",
        "MongoDB cells run only when MONGODB_URL is set in the kernels' environment; otherwise they say what they "
        "skipped.",
    ],
}
