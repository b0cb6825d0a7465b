"""Browser fixtures: a live server on a seeded SQLite database, and Debian's Chromium driven by
Playwright (never a downloaded browser; no network besides 127.0.0.1).

Playwright is a test dependency. Without /usr/bin/chromium (or when Playwright cannot start it)
the browser tests skip with the reason, except in CI (the variable CI set), where they fail: CI
installs chromium with apt-get.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app import create_app, tracker_of
from app.persistence.migrate import upgrade
from app.services.demo import seed_demo
from app.services.users import create_user
from tests.conftest import MIGRATIONS, PASSWORD, REPO, TODAY

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "tests" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ROLES = ("viewer", "clerk", "admin")
LOCAL_HOSTS = {"127.0.0.1"}
TIMEOUT_MS = 5_000


def no_browser(reason: str) -> NoReturn:
    """Skip with `reason`; in CI, fail: there the browser tests must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests")
    pytest.skip(reason)


@dataclass
class LiveServer:
    """The app served over HTTP on 127.0.0.1; `server("/audit")` is a full URL."""

    base: str
    app: Flask

    def __call__(self, path: str = "/") -> str:
        return self.base + path


def _serve(directory: Path) -> Iterator[LiveServer]:
    url = f"sqlite:///{directory / 'browser.sqlite3'}"
    upgrade(MIGRATIONS, url)
    app = create_app({"DATABASE_URL": url, "TESTING": True, "DOCUMENTS_PATH": directory / "docs"})
    tracker = tracker_of(app)
    # A fixed "today" (as the other tests use): the practice cases open on 1 Jan two years
    # before it, so the dates the tests record stay in the past, whatever the real date.
    tracker.today = lambda: TODAY
    seed_demo(tracker)
    for role in ROLES:
        create_user(tracker, role, role, PASSWORD)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        app.extensions["db_engine"].dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server shared by a module's tests: for tests that change no case."""
    yield from _serve(tmp_path_factory.mktemp("live"))


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own (about a second to build): for a test that advances a case."""
    yield from _serve(tmp_path)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        no_browser(f"no browser: {CHROMIUM} is absent (apt-get install chromium)")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, timeout=30_000
        )
    except Exception as exc:  # any launch failure: a missing library, a broken install...
        playwright.stop()
        no_browser(f"Playwright cannot launch {CHROMIUM}: {str(exc).splitlines()[0]}")
    try:
        yield chromium
    finally:
        try:
            chromium.close()
        finally:
            playwright.stop()


@dataclass
class Watch:
    """What the pages of a context did that they should not: requests leaving 127.0.0.1,
    console errors and uncaught exceptions."""

    foreign: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[..., tuple[Any, Watch]]]:
    """Open fresh browser contexts (no cookies) whose every request is checked: one to a host
    other than 127.0.0.1 is refused and recorded, and the test fails."""
    opened: list[tuple[Any, Watch]] = []

    def open_context(viewport: dict[str, int] = DESKTOP, **options: Any) -> tuple[Any, Watch]:
        context = browser.new_context(viewport=viewport, accept_downloads=True, **options)
        context.set_default_timeout(TIMEOUT_MS)
        watch = Watch()

        def guard(route: Any) -> None:
            url = route.request.url
            if urlsplit(url).hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                watch.foreign.append(url)
                route.abort("blockedbyclient")

        def on_console(message: Any) -> None:
            if message.type == "error":
                watch.console_errors.append(f"{message.text} ({message.location.get('url')})")

        def on_page(page: Any) -> None:
            page.on("console", on_console)
            page.on("pageerror", lambda exc: watch.console_errors.append(f"uncaught: {exc}"))

        context.route("**/*", guard)
        context.on("page", on_page)
        opened.append((context, watch))
        return context, watch

    yield open_context
    foreign = [url for _, watch in opened for url in watch.foreign]
    for context, _ in opened:
        context.close()
    assert not foreign, f"requests left 127.0.0.1: {foreign}"


@pytest.fixture
def context_and_watch(new_context: Callable[..., tuple[Any, Watch]]) -> tuple[Any, Watch]:
    return new_context()


@pytest.fixture
def page(context_and_watch: tuple[Any, Watch]) -> Any:
    """A page in a fresh desktop-sized context."""
    context, _ = context_and_watch
    return context.new_page()


@pytest.fixture
def watch(context_and_watch: tuple[Any, Watch]) -> Watch:
    return context_and_watch[1]
