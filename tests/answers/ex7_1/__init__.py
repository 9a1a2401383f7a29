"""Answers to exercise 7.1: a download route, ``GET /files/{name:path}``, that serves every file under its folder
and nothing outside it.

:func:`app_with` builds what the notebook's cell builds around the learner's code: the app and its route, which
computes ``folder`` (``request.app.state.folder``, resolved) and calls the learner's ``body(folder, name)``.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request


def app_with(body: Callable[[Path, str], Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/files/{name:path}")
    def download(name: str, request: Request) -> Any:
        folder = Path(request.app.state.folder).resolve()
        return body(folder, name)

    return app
