"""The seed rows, generated: the same on every machine, pinned by :data:`CHECKSUM`. No database needed here.

Each table draws from its own ``random.Random(SEED + index)``, so a table's rows do not depend on how far another
table's were drawn, and only through ``Random.random()``: Python promises that sequence across versions, not the
algorithms of ``randrange``, ``choice`` or ``sample`` built on it. ``int(random() * n)`` is exact IEEE arithmetic,
the same on every platform. Timestamps are whole seconds after :data:`EPOCH`; prices are Decimal cents; text is
assembled from the word lists below, without tabs, newlines or backslashes (so a canonical line is unambiguous).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

__all__ = [
    "CHECKSUM",
    "COLUMNS",
    "COUNTS",
    "DIGESTS",
    "EPOCH",
    "FULL",
    "ORDER_BY",
    "SEED",
    "SEED_VERSION",
    "TABLES",
    "TINY",
    "Row",
    "SeedSize",
    "canonical",
    "checksum",
    "combine",
    "rows",
    "table_digests",
]

SEED_VERSION = 1  # bump with any change to the rows or the schema: every database then reloads
SEED = 20_250_101  # the generators' seed; each table adds its index in TABLES
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)  # orders and posts fall in 2025; users signed up in 2024
_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = 86_400
_YEAR = 365 * _DAY

TABLES = ("users", "products", "orders", "order_items", "posts", "comments")  # in load order (foreign keys)
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "users": ("id", "email", "name", "created_at"),
    "products": ("id", "sku", "name", "price", "stock"),
    "orders": ("id", "user_id", "status", "created_at"),
    "order_items": ("order_id", "line_no", "product_id", "quantity", "unit_price"),
    "posts": ("id", "user_id", "title", "body", "created_at"),
    "comments": ("id", "post_id", "user_id", "body", "created_at"),
}
ORDER_BY: Mapping[str, str] = {table: ("order_id, line_no" if table == "order_items" else "id") for table in TABLES}

Row = tuple[Any, ...]


# -- sizes -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedSize:
    """How many rows of each kind (order items follow from the orders: 1 to 4 each)."""

    users: int = 1_000
    products: int = 500
    orders: int = 50_000
    posts: int = 5_000
    comments: int = 50_000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"a seed size needs at least one row of each kind, but {f.name}={value!r}")
        if self.products < _MAX_ITEMS:
            raise ValueError(f"a seed size needs at least {_MAX_ITEMS} products (an order has up to {_MAX_ITEMS})")

    def text(self) -> str:
        """``users=1000,products=500,...``: how the marker table records it (:meth:`parse` reads it back)."""
        return ",".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))

    @classmethod
    def parse(cls, text: str) -> SeedSize:
        """The size :meth:`text` wrote; ValueError for anything else."""
        try:
            return cls(**{name: int(value) for name, value in (part.split("=") for part in text.split(","))})
        except (TypeError, ValueError) as exc:
            raise ValueError(f"not a seed size: {text!r} ({exc})") from None


_MAX_ITEMS = 4
FULL = SeedSize()  # what the chapters use
TINY = SeedSize(users=20, products=10, orders=200, posts=20, comments=200)  # the benchmarks' smoke pass

# FULL's rows, pinned: tests/test_seed_data.py checks the generator and a loaded database against these. A change
# to the generator changes them: bump SEED_VERSION with them, so that every database reloads.
DIGESTS: Mapping[str, tuple[int, str]] = {  # each table's row count and sha256 (see table_digests)
    "users": (1_000, "ba2309887ca7a135035805587b771654f7c62bd52d584b61ba940c9e9dc787a5"),
    "products": (500, "d226170cd45fc7ed8e43c83a8b023c3e5526442e98824347c8e127446704cdfc"),
    "orders": (50_000, "0e119e7104edeb11c5949dd7fa7e676796231b9b32e308dcd10352f04ffc74b2"),
    "order_items": (125_187, "19d62fa37a9f86d68b7dbdefddb828897086b1a95421abe981544a44b2c5ef2c"),
    "posts": (5_000, "f5e1ae2b9378a9e63c9c1a2bd076c01e167f950f83dfe15216880d89c1019cec"),
    "comments": (50_000, "9b0502aa9a6b350140a3e4bb4ce030cdbcf8cb9e3cb405c0cb19b1023fa99c7d"),
}
COUNTS: Mapping[str, int] = {table: count for table, (count, _) in DIGESTS.items()}
CHECKSUM = "ca249c056ee4a770d6a53b9bc8484479dd46ab0a7c7987c49ac394b6973def1a"  # over DIGESTS (see checksum)


# -- the generator -----------------------------------------------------------------------------------------------

_FIRST = (
    "Ada", "Alan", "Amara", "Ana", "Ben", "Chen", "Dara", "Elif", "Emma", "Farid", "Grace", "Hana", "Ines", "Ivan",
    "Jamal", "José", "Kai", "Lena", "Leo", "Li", "Łukasz", "Maya", "Mei", "Nia", "Noah", "Omar", "Priya", "Ravi",
    "Rosa", "Sam", "Sara", "Søren", "Taro", "Uma", "Wei", "Yara", "Yusuf", "Zoë",
)  # fmt: skip
_LAST = (
    "Abe", "Adeyemi", "Berg", "Costa", "Dubois", "Eze", "Fischer", "García", "Haddad", "Ito", "Jensen", "Kim",
    "Kowalski", "Lee", "Müller", "Nakamura", "Novak", "Okafor", "Patel", "Quinn", "Rossi", "Santos", "Schmidt",
    "Singh", "Tanaka", "Tremblay", "Ueda", "Varga", "Wang", "Yilmaz", "Zhang",
)  # fmt: skip
_ADJECTIVES = (
    "Compact", "Classic", "Deluxe", "Durable", "Ergonomic", "Handmade", "Heavy", "Light", "Modern", "Portable",
    "Quiet", "Rugged", "Sleek", "Smart", "Vintage", "Wireless",
)  # fmt: skip
_MATERIALS = ("Bamboo", "Brass", "Ceramic", "Copper", "Cotton", "Glass", "Leather", "Linen", "Oak", "Steel", "Wool")
_NOUNS = (
    "Backpack", "Bottle", "Chair", "Clock", "Desk Lamp", "Headphones", "Kettle", "Keyboard", "Mug", "Notebook",
    "Pan", "Pen", "Speaker", "Teapot", "Umbrella", "Wallet",
)  # fmt: skip
_STATUSES = ("delivered",) * 12 + ("shipped",) * 4 + ("paid",) * 2 + ("cancelled",) * 2
_WORDS = (
    "async", "await", "loop", "task", "pool", "query", "index", "latency", "request", "response", "server",
    "client", "stream", "cursor", "session", "commit", "rollback", "timeout", "worker", "queue", "cache", "batch",
    "socket", "thread", "lock", "event", "retry", "deadline", "schema", "table", "row", "column", "join", "page",
    "the", "a", "is", "was", "not", "too", "very", "slow", "fast", "again", "today", "always", "never", "why",
    "works", "fails", "blocks", "waits", "returns", "breaks", "scales", "helps", "my", "our", "this", "every",
)  # fmt: skip
_TOPICS = (
    "Connection pools", "Streaming exports", "Background tasks", "Event loops", "Database sessions", "N+1 queries",
    "WebSockets", "Timeouts", "Retries", "Caching", "Cancellation", "Transactions", "Load tests", "Lifespans",
)  # fmt: skip
_TOPIC_ENDS = (
    "in practice", "explained", "the hard way", "on a budget", "at scale", "for beginners", "revisited", "in 2025",
    "without tears", "done right",
)  # fmt: skip


class _Draw:
    """Integers and picks from a ``random.Random`` through ``random()`` alone (see the module's doc).

    ``int(random() * n)`` is exact IEEE arithmetic, the same on every platform; its bias for n far below 2**53
    is far below anything a chapter could see.
    """

    def __init__(self, table: str) -> None:
        self._random = random.Random(SEED + TABLES.index(table)).random

    def below(self, n: int) -> int:
        """0 <= k < n."""
        return int(self._random() * n)

    def pick(self, items: Sequence[str]) -> str:
        return items[int(self._random() * len(items))]

    def distinct(self, k: int, n: int) -> list[int]:
        """``k`` distinct integers of 1..n (k <= n), in the order drawn: a partial Fisher-Yates shuffle."""
        chosen: dict[int, int] = {}  # a sparse swap table over 0..n-1
        out = []
        for i in range(k):
            j = i + self.below(n - i)
            out.append(chosen.get(j, j) + 1)
            chosen[j] = chosen.get(i, i)
        return out

    def sentence(self, low: int, high: int) -> str:
        words = [self.pick(_WORDS) for _ in range(low + self.below(high - low + 1))]
        return " ".join(words).capitalize() + "."

    def text(self, sentences: int) -> str:
        return " ".join(self.sentence(4, 12) for _ in range(1 + self.below(sentences)))


def _at(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def _users(size: SeedSize) -> Iterator[Row]:
    draw = _Draw("users")
    for user_id in range(1, size.users + 1):
        first, last = draw.pick(_FIRST), draw.pick(_LAST)
        email = f"{_slug(first)}.{_slug(last)}.{user_id}@example.com"  # unique by its id
        yield user_id, email, f"{first} {last}", _at(draw.below(_YEAR) - _YEAR)


def _slug(name: str) -> str:
    """The ASCII letters of a name, lower-cased ("Zoë" -> "zoe", "Łukasz" -> "lukasz")."""
    plain = name.translate(_ASCII)
    return "".join(c for c in plain.lower() if "a" <= c <= "z")


_ASCII = str.maketrans({"é": "e", "ë": "e", "í": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ü": "u"})


def _products(size: SeedSize) -> Iterator[Row]:
    draw = _Draw("products")
    for product_id in range(1, size.products + 1):
        name = f"{draw.pick(_ADJECTIVES)} {draw.pick(_MATERIALS)} {draw.pick(_NOUNS)}"
        price = Decimal(199 + draw.below(49_800)).scaleb(-2)  # 1.99 to 499.98, two decimal places
        yield product_id, f"SKU-{product_id:05d}", name, price, draw.below(1_000)


def _buyer(draw: _Draw, users: int) -> int:
    """A user id, skewed: a fifth of the picks go to the first tenth of the users (the regulars)."""
    if draw.below(5) == 0:
        return 1 + draw.below(max(1, users // 10))
    return 1 + draw.below(users)


def _in_turn(draw: _Draw, k: int, n: int) -> int:
    """Seconds into 2025 for the k-th of n events: a random moment in the k-th of n equal slices of the year, so
    that ids ascend with time (as a serial key does) and all fall within the year."""
    return (k - 1) * _YEAR // n + draw.below(_YEAR // n)


def _orders(size: SeedSize) -> Iterator[Row]:
    draw = _Draw("orders")
    for order_id in range(1, size.orders + 1):
        yield order_id, _buyer(draw, size.users), draw.pick(_STATUSES), _at(_in_turn(draw, order_id, size.orders))


def _order_items(size: SeedSize) -> Iterator[Row]:
    draw = _Draw("order_items")
    prices = [row[3] for row in _products(size)]
    for order_id in range(1, size.orders + 1):
        products = draw.distinct(1 + draw.below(_MAX_ITEMS), size.products)
        for line_no, product_id in enumerate(products, start=1):
            quantity = 1 + draw.below(3) if draw.below(4) else 1 + draw.below(10)
            yield order_id, line_no, product_id, quantity, prices[product_id - 1]


def _posts(size: SeedSize) -> Iterator[Row]:
    draw = _Draw("posts")
    for post_id in range(1, size.posts + 1):
        title = f"{draw.pick(_TOPICS)} {draw.pick(_TOPIC_ENDS)}"
        yield post_id, _buyer(draw, size.users), title, draw.text(4), _at(_in_turn(draw, post_id, size.posts))


def _comments(size: SeedSize) -> Iterator[Row]:
    draw = _Draw("comments")
    posted = [row[4] for row in _posts(size)]
    for comment_id in range(1, size.comments + 1):
        post_id = 1 + draw.below(size.posts)
        after = timedelta(seconds=60 + draw.below(30 * _DAY))  # within a month of the post
        yield comment_id, post_id, 1 + draw.below(size.users), draw.text(2), posted[post_id - 1] + after


_GENERATORS = {
    "users": _users,
    "products": _products,
    "orders": _orders,
    "order_items": _order_items,
    "posts": _posts,
    "comments": _comments,
}


def rows(table: str, size: SeedSize = FULL) -> Iterator[Row]:
    """The rows of ``table`` (one of :data:`TABLES`), in primary-key order, as tuples in :data:`COLUMNS` order.

    A generator: nothing is held in memory but the current row (and, for order items and comments, the 500
    prices and 5,000 post times they refer to).
    """
    if table not in _GENERATORS:
        raise ValueError(f"no seed table {table!r}: the tables are {', '.join(TABLES)}")
    return _GENERATORS[table](size)


# -- the checksum ------------------------------------------------------------------------------------------------


def canonical(row: Row) -> str:
    """A row as one line of text: fields joined by tabs; an integer or a Decimal as ``str`` gives it (prices keep
    their two places), a timestamp as whole seconds since 1970. The SQL in :func:`verify` writes the same line."""
    return "\t".join(str((v - _UNIX) // timedelta(seconds=1)) if isinstance(v, datetime) else str(v) for v in row)


def table_digests(size: SeedSize = FULL) -> dict[str, tuple[int, str]]:
    """Each table's row count and sha256 over its canonical lines (each ending in a newline), generated."""
    digests = {}
    for table in TABLES:
        h = hashlib.sha256()
        count = 0
        for row in rows(table, size):
            h.update(canonical(row).encode() + b"\n")
            count += 1
        digests[table] = (count, h.hexdigest())
    return digests


def combine(digests: Mapping[str, tuple[int, str]]) -> str:
    """One sha256 over the tables' names, counts and digests, in :data:`TABLES` order."""
    lines = "".join(f"{table}\t{digests[table][0]}\t{digests[table][1]}\n" for table in TABLES)
    return hashlib.sha256(lines.encode()).hexdigest()


def checksum(size: SeedSize = FULL) -> str:
    """The checksum of all the rows of ``size``: equals :data:`CHECKSUM` for :data:`FULL` on every machine."""
    return combine(table_digests(size))
