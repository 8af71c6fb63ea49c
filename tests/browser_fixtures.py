"""Fixtures for tests that drive a real browser: the app served over HTTP on 127.0.0.1 from a
background thread, and pytest-playwright configured for Debian's chromium.

Playwright's own browser downloads are not used (and cannot be fetched here): the browser is
the `chromium` package (`/usr/bin/chromium`, installed by `.ci/run`). Outside CI a machine
without it skips the browser tests; in CI (CI=true) a missing browser is an error.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from .conftest import PASSWORD

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-dev-shm-usage"]
TIMEOUT_MS = 20_000


def find_chromium() -> str | None:
    configured = os.environ.get("KOIN_TEST_CHROMIUM")
    if configured:
        return configured
    for candidate in CHROMIUM_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install chromium); the browser tests need it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_path):
    """pytest-playwright's launch arguments, pointed at the system chromium."""
    return {**browser_type_launch_args, "executable_path": chromium_path, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US", "timezone_id": "Asia/Makassar"}


@dataclass
class LiveServer:
    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread
    url: str = field(init=False)

    def __post_init__(self):
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(make_app) -> Iterator:
    """``live_server(app)`` serves the app on a free port of 127.0.0.1 and returns a
    LiveServer (``.url`` is its origin). Servers stop before the database is emptied."""
    servers: list[LiveServer] = []

    def start(app: Flask) -> LiveServer:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        live = LiveServer(app, server, thread)
        servers.append(live)
        return live

    yield start
    for live in servers:
        live.stop()


# -- helpers shared by the browser tests ---------------------------------------------------------


def log_in(page, base: str, email: str) -> None:
    """Sign in through the real form. Enter in the password field, because the header's language
    button is the first form on the page (a bare "submit" click may hit it)."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    assert "/login" not in urlsplit(page.url).path, f"log-in as {email} failed"


def signed_in_page(browser, base: str, email: str, viewport: dict, errors: list | None = None):
    """A new Indonesian context at ``viewport``, signed in; page errors (from the log-in page on)
    go to ``errors`` when given."""
    page = browser.new_context(viewport=viewport, locale="id-ID").new_page()
    page.set_default_timeout(TIMEOUT_MS)
    if errors is not None:
        page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, email)
    return page


def no_horizontal_scroll(page) -> bool:
    """Nothing sticks out sideways: clientWidth, not innerWidth, so a vertical scrollbar counts."""
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def small_buttons(page) -> list:
    """The visible buttons in <main> shorter than 44 px (too small to tap), with their text."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main button, main .button')]
             .filter((el) => el.offsetParent !== null)
             .map((el) => [el.textContent.trim(), el.getBoundingClientRect().height])
             .filter(([, height]) => height < 44)"""
    )


def assert_fits(page) -> None:
    """The page fits a phone: no horizontal scroll, every visible button a 44 px tap target."""
    assert no_horizontal_scroll(page)
    assert small_buttons(page) == []


def on_screen(page, locator, *, min_tap: float = 44) -> bool:
    """Wholly in the viewport as it is scrolled now (not pushed off to the side, not below the
    fold) and at least ``min_tap`` px tall. Half a pixel is allowed for subpixel layout."""
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"] + 0.5
        and box["y"] + box["height"] <= size["height"] + 0.5
        and box["height"] >= min_tap
    )


def save_screenshot(page, name: str, *, full_page: bool = False, clip: dict | None = None) -> None:
    """With KOIN_SCREENSHOTS=dir set, save what the test sees as dir/NAME.png (how the pictures
    in docs/screenshots are made); otherwise do nothing."""
    folder = os.environ.get("KOIN_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page, clip=clip)
