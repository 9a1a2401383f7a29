"""The hosts the seed makes up, replaced by the chapter's service (:mod:`.service`); read from the environment at
each call, so a cell can point the seed's code at a service started a moment before.

* ``https://api.example.com`` becomes ``api_example()``: ``$COURSE_SERVICE_URL/api``;
* ``https://store1.com``, ``store2.com``, ``store3.com`` become ``store(1)``...: ``$COURSE_SERVICE_URL/store1``...

Unset: a port where nothing listens, as the seed's own hosts would be without the internet.
"""

import os

from .common import SERVICE_ENV

NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens there, a connection is refused at once


def _base() -> str:
    return (os.environ.get(SERVICE_ENV, "").strip() or NOWHERE).rstrip("/")


def api_example() -> str:
    return f"{_base()}/api"


def store(number: int) -> str:
    return f"{_base()}/store{number}"
