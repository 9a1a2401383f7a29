"""What every chapter's apps promise, for every chapter at once (a new chapter is covered with no new test).

* each chapter is a package with one app per module, which the CLI can serve by name;
* hostile input to any route gets a clear 4xx (or a 503/504 naming what is missing), never a 500 with a
  traceback, except where a 500 is the lesson: the chapter's package lists those in ``LESSONS``, a dict of
  (module, path template) to why, and its notebook says so;
* a chapter that a notebook or an app's text points to exists, or the text says that it is coming.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from course_app.chapters import app_modules, apps_of, chapter, chapters
from course_app.server import LiveServer

HOSTILE_QUERIES = ["", "?delay=-1", "?delay=abc", "?delay=1e309", "?seconds=-5", "?seconds=nan", "?name=", "?x=%00"]
HOSTILE_SEGMENTS = ["-1", "abc", "99999999999999999999", "%00"]

APPS = [
    (name, module_name, module) for name in chapters() for module_name, module in app_modules(chapter(name)).items()
]


def test_every_500_a_chapter_teaches_is_a_route_of_its_apps_with_a_reason() -> None:
    for name in chapters():
        lessons = getattr(chapter(name), "LESSONS", {})
        modules = app_modules(chapter(name))
        for (module_name, template), why in lessons.items():
            assert module_name in modules, f"{name}.LESSONS names {module_name}, which is not one of its apps"
            served = {t for _, t in _operations(modules[module_name].app)}
            assert template in served, f"{name}.LESSONS names {template}, which {module_name} does not serve"
            assert isinstance(why, str) and why.strip(), f"{name}.LESSONS[{module_name!r}, {template!r}] says not why"


#: "chapter 13", "chapters 10 and 12", "Chapter 04"; the numbers after the word, each to be checked
CHAPTER_REFERENCE = re.compile(r"\b[Cc]hapters? (\d{1,2}(?:(?:,| and| or| to|–|-) ?\d{1,2})*)\b")
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def test_a_chapter_the_text_points_to_exists_or_is_said_to_be_coming() -> None:
    existing = {int(p.name[:2]) for p in NOTEBOOKS.glob("[0-9][0-9]_*.py")}
    texts = {p.name: p.read_text(encoding="utf-8") for p in NOTEBOOKS.glob("[0-9][0-9]_*.py")}
    for name in chapters():
        for path in Path(inspect.getfile(chapter(name))).parent.glob("*.py"):
            texts[f"{name}/{path.name}"] = path.read_text(encoding="utf-8")
    dangling = []
    for where, text in texts.items():
        for match in CHAPTER_REFERENCE.finditer(text):
            numbers = {int(n) for n in re.findall(r"\d{1,2}", match.group(1))}
            said = text[match.start() : match.end() + 40]
            if numbers - existing and "coming" not in said:
                dangling.append(f"{where}: {' '.join(said.split())!r}")
    assert not dangling, "chapters named that do not exist yet, without saying they are coming:\n" + "\n".join(dangling)


def test_every_chapter_is_a_package_of_small_apps() -> None:
    assert chapters()[:2] == ["ch00_welcome", "ch01_async_vs_sync"]
    for name in chapters():
        package = chapter(name)
        assert package.__doc__, f"{name} has no docstring saying what its modules are"
        apps = apps_of(package)
        assert apps, f"{name} defines no app"
        for module_name in apps:
            assert f".{module_name}`" in package.__doc__, f"{name}'s docstring does not list its module {module_name}"


def test_every_app_that_takes_a_service_says_which_it_needs() -> None:
    """An app module whose ``create_app`` takes arguments calls another service: ``serve`` tells from NEEDS."""
    for chapter_name, module_name, module in APPS:
        create_app = getattr(module, "create_app", None)
        takes_a_service = callable(create_app) and bool(inspect.signature(create_app).parameters)
        if takes_a_service:
            needs = getattr(module, "NEEDS", None)
            assert isinstance(needs, dict) and needs, f"{chapter_name}.{module_name} takes a service but has no NEEDS"
            assert all(re.fullmatch(r"COURSE_[A-Z0-9_]+_URL", k) for k in needs), needs


def _paths(template: str) -> list[str]:
    if "{" not in template:
        return [template]
    return [re.sub(r"\{[^}]+\}", segment, template) for segment in HOSTILE_SEGMENTS]


def _operations(app: object) -> list[tuple[str, str]]:
    """(method, path template) of every route, from the app's OpenAPI schema: included routers too."""
    schema = app.openapi()  # type: ignore[attr-defined]
    return [(method.upper(), path) for path, item in schema["paths"].items() for method in item]


@pytest.mark.parametrize(("chapter_name", "module_name", "module"), APPS, ids=[f"{c[:4]}.{m}" for c, m, _ in APPS])
def test_hostile_input_gets_a_clear_answer(chapter_name: str, module_name: str, module: ModuleType) -> None:
    operations = _operations(module.app)
    assert operations
    with LiveServer(module.app, log_level="critical") as srv, httpx.Client(base_url=srv.url, timeout=20) as client:
        for method, template in operations:
            if (module_name, template) in getattr(chapter(chapter_name), "LESSONS", {}):
                continue
            for path in _paths(template):
                for query in HOSTILE_QUERIES:
                    with client.stream(method, path + query) as r:
                        if not r.headers.get("content-type", "").startswith("text/event-stream"):
                            r.read()  # an event stream may never end: its status and headers are its answer
                        assert r.status_code < 500 or r.status_code in (503, 504), (method, path + query, r.text)
                        if r.status_code in (503, 504):
                            assert r.json()["detail"], "a 503 or 504 says what is missing"
            allowed = {m for m, t in operations if t == template}
            wrong_method = next(m for m in ("PATCH", "PUT", "POST") if m not in allowed)
            assert client.request(wrong_method, _paths(template)[0]).status_code == 405
        assert client.get("/no-such-page").status_code == 404
    assert not srv.errors, srv.errors
