"""The cell as handed out: `raise NotImplementedError()` where the check of the token goes.

Every connection, a good token's too, ends in that exception on the server.
"""

from fastapi import WebSocket

from . import app_with

EXPECTED = "the exercise code is still the placeholder"


async def refuse(websocket: WebSocket, token: str) -> bool:
    raise NotImplementedError()


app = app_with(refuse)
