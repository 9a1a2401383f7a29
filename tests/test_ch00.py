"""Chapter 00's app and its exercise check: passes on the solution, explains each wrong answer."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI, Path

from course_app.chapters import ch00_welcome as ch00
from course_app.exercises import ExerciseFailed
from course_app.exercises.ch00 import check_wait
from course_app.server import LiveServer

pytestmark = pytest.mark.anyio


def test_hello_and_validation() -> None:
    with LiveServer(ch00.app) as srv:
        assert httpx.get(srv.url + "/hello", params={"name": "x"}).json() == {"message": "Hello, x!"}
        assert httpx.get(srv.url + "/hello", params={"name": ""}).status_code == 422
        assert httpx.get(srv.url + "/sleep", params={"seconds": 99}).status_code == 422
        assert httpx.get(srv.url + "/sleep", params={"seconds": 0.01}).json() == {"slept": 0.01}


def wait_app(variant: str) -> FastAPI:
    app = FastAPI()
    if variant == "solution":

        @app.get("/wait/{ms}")
        async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
            await asyncio.sleep(ms / 1000)
            return {"waited_ms": ms}

    elif variant == "placeholder":

        @app.get("/wait/{ms}")
        async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
            raise NotImplementedError()

    elif variant == "blocking":

        @app.get("/wait/{ms}")
        async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
            time.sleep(ms / 1000)
            return {"waited_ms": ms}

    elif variant == "no-limit":

        @app.get("/wait/{ms}")
        async def wait(ms: int) -> dict[str, int]:
            await asyncio.sleep(max(ms, 0) / 1000)
            return {"waited_ms": ms}

    elif variant == "wrong-body":

        @app.get("/wait/{ms}")
        async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
            await asyncio.sleep(ms / 1000)
            return {"ms": ms}

    return app


async def test_check_passes_on_the_solution(capsys: pytest.CaptureFixture[str]) -> None:
    await check_wait(wait_app("solution"))
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("variant", "words"),
    [
        ("placeholder", "still the placeholder"),
        ("blocking", "blocks the event loop"),
        ("no-limit", "should be refused with 422"),
        ("wrong-body", 'should return {"waited_ms": 200}'),
        ("missing-route", "should answer 200 every time; it answered {404: 20}"),
    ],
)
async def test_check_explains_what_is_wrong(variant: str, words: str) -> None:
    with pytest.raises(ExerciseFailed) as info:
        await check_wait(wait_app(variant))
    assert words in str(info.value)


async def test_check_refuses_what_is_not_an_app() -> None:
    with pytest.raises(ExerciseFailed, match="should be a function or an app"):
        await check_wait("my_app")
