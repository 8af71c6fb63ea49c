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

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-dev-shm-usage"]


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
