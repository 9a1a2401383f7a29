"""A TCP proxy in front of PostgreSQL that a notebook can take down and bring back: "the database" as the app sees it.

The course's PostgreSQL is shared by every kernel of the checkout (and the tests): stopping it would break the
others. So a chapter (or a test) points its apps at this proxy, on 127.0.0.1 and a port of its own, and stops the proxy.
To the app it is the same: connections are cut, new ones are refused. The real server never stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import parse_qs, urlsplit


class DatabaseProxy:
    """``await proxy.up()``; ``proxy.url`` for the app; ``await proxy.down()`` cuts every connection and refuses new
    ones; ``up()`` again listens on the same port. Runs on the loop that calls ``up()`` (the notebook's)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.target_url = url
        self.socket_dir = parse_qs(parts.query).get("host", [None])[0]
        self.target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.socket_dir:
            return await asyncio.open_unix_connection(f"{self.socket_dir}/.s.PGSQL.{self.target[1]}")
        return await asyncio.open_connection(*self.target)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await self._connect()
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.writers -= {writer, up_writer}

    @property
    def running(self) -> bool:
        return self.server is not None

    async def up(self) -> None:
        if self.server is None:
            self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
            self.port = self.server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        server, self.server = self.server, None
        if server is None:
            return
        server.close()
        for w in list(self.writers):
            w.close()
        self.writers.clear()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 5)

    @property
    def url(self) -> str:
        """The PostgreSQL URL of the proxy: the target's user, password and database, on 127.0.0.1:port."""
        parts = urlsplit(self.target_url)
        user = parts.username or "postgres"
        password = f":{parts.password}" if parts.password else ""
        return f"postgresql://{user}{password}@127.0.0.1:{self.port}{parts.path or '/postgres'}"
