"""Headless Chromium for the browser tests: Debian's package (Playwright cannot download its own browser
here), a fresh profile per test, driven against pytest-django's live server.

`.ci/run` installs Chromium; in CI (CI set) a missing browser fails the test, elsewhere it skips.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from playwright.sync_api import Page, sync_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        message = "Chromium is not installed (apt-get install chromium); .ci/run installs it."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def csp_violations() -> list[str]:
    """What the browser reported as refused by the Content-Security-Policy. Every page runs under the app's
    policy and none may trip it: open_browser fails the test on any left here at its end."""
    return []


@pytest.fixture
def open_browser(tmp_path: Path, monkeypatch, csp_violations) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh Chromium profile with the given viewport: `open_browser(width, height)`."""
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
    # synchronous and safe, so tell Django not to refuse them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # The live server's request threads must not keep connections open past the test (teardown drops the
    # test database); their new connections read these settings.
    monkeypatch.setitem(connections.settings[DEFAULT_DB_ALIAS], "CONN_MAX_AGE", 0)
    executable = chromium_path()
    contexts = []
    with sync_playwright() as playwright:

        def open_page(width: int = 1280, height: int = 900) -> Page:
            context = playwright.chromium.launch_persistent_context(
                user_data_dir=str(tmp_path / f"profile-{len(contexts)}"),
                executable_path=executable,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": width, "height": height},
            )
            context.set_default_timeout(15_000)
            contexts.append(context)
            page = context.pages[0] if context.pages else context.new_page()
            page.on("console", lambda message: record_violation(message.text, csp_violations))
            return page

        try:
            yield open_page
        finally:
            for context in contexts:
                context.close()
            # While Playwright's loop runs in this thread, asgiref keys Django's connections by context, not
            # by thread: the ORM calls the test made in this block opened a connection that Django's own
            # teardown (outside the block) does not see, and it would keep the test database from being
            # dropped. Close it here, where it is visible.
            connections.close_all()
    assert csp_violations == [], "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


def record_violation(text: str, violations: list[str]) -> None:
    if "Content Security Policy" in text:
        violations.append(text)


@pytest.fixture
def browser_page(open_browser) -> Page:
    return open_browser(1280, 900)
