"""Headless Chromium for the tests that read pages as a person would (the site, the chapters' browser pages).

Chromium is the system's (Debian's ``chromium``; ``COURSE_CHROMIUM`` names another), driven by Playwright's
Python API; Playwright's own browsers are never downloaded (that cannot work offline). Without Chromium the
browser tests skip, unless ``COURSE_REQUIRE_BROWSER=1`` (CI sets it), which makes a missing browser a failure.
The ``browser`` fixture is in tests/conftest.py.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

__all__ = ["CHROMIUM_ARGS", "chromium", "launched"]

# known to work as root in a container; the user data dir is a fresh temporary one (Playwright's launch)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    """The system's Chromium, else skip (or fail, with COURSE_REQUIRE_BROWSER=1) saying why."""
    named = os.environ.get("COURSE_CHROMIUM", "").strip()
    candidates = [named] if named else ["chromium", "chromium-browser"]  # one named is the only one tried
    found = next((path for path in map(shutil.which, candidates) if path), None)
    if found:
        return found
    reason = (
        f"COURSE_CHROMIUM={named} is not an executable"
        if named
        else "no Chromium on PATH (chromium, chromium-browser): apt-get install chromium, or set COURSE_CHROMIUM"
    )
    if os.environ.get("COURSE_REQUIRE_BROWSER", "").strip() == "1":
        pytest.fail(f"{reason}; COURSE_REQUIRE_BROWSER=1 requires the browser tests to run")
    pytest.skip(reason)


def launched() -> Iterator[Any]:
    """The system's Chromium, launched headless by Playwright, closed when the generator ends."""
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
