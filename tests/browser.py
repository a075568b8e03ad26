"""A real headless Chromium and a local static web server, for tests of what browsers run.

Not auto-registered: a test module that needs them says so::

    pytest_plugins = ["tests.browser"]

* ``browser`` (session): Debian's Chromium driven by Playwright, started once per test run.
* ``page`` (function): a fresh page in a fresh context (empty localStorage and cache).
* ``page_errors`` (function): the uncaught JavaScript errors of ``page``, as they happen.
* ``static_server`` (function): a :class:`StaticServer` on 127.0.0.1 serving ``tmp_path``.

``StaticServer(root, headers)`` adds ``headers`` to every answer (a Content-Security-Policy).

Nothing is downloaded: Chromium is the system one, and pages only ever reach 127.0.0.1.
A missing Chromium skips the browser tests with one line saying how to get it (the README's
test command cannot install a system browser); where ``BROADCAST_TESTS_REQUIRE`` names
``browser`` (``.ci/run`` sets it), a missing Chromium fails them instead, so CI never passes
by skipping.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from tests.conftest import missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Error, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Playwright's own default: a loaded CI machine may take seconds to lay a page out or run its
# script; a passing test never waits it out, only a failing one does.
TIMEOUT_MS = 30_000


class _QuietHandler(SimpleHTTPRequestHandler):
    extra_headers: ClassVar[dict[str, str]] = {}

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def end_headers(self) -> None:
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        super().end_headers()


class StaticServer:
    """Serves a folder over HTTP on 127.0.0.1 (a free port), from a background thread."""

    def __init__(self, root: Path, headers: dict[str, str] | None = None) -> None:
        self.root = root
        handler_class = type("Handler", (_QuietHandler,), {"extra_headers": dict(headers or {})})
        handler = functools.partial(handler_class, directory=str(root))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StaticServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole run: starting it takes about a second."""
    if not Path(CHROMIUM).is_file():
        missing(
            "browser",
            f"the browser tests need Chromium at {CHROMIUM}: apt-get install chromium "
            "(.ci/run does); they never download a browser",
        )
    from playwright.sync_api import expect, sync_playwright

    # expect()'s retries too, not only the pages' actions (its own default is 5 s).
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in its own context: no storage or cache shared with other tests."""
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def page_errors(page: Page) -> list[Error]:
    errors: list[Error] = []
    page.on("pageerror", lambda error: errors.append(error))
    return errors


@pytest.fixture
def static_server(tmp_path: Path) -> Iterator[StaticServer]:
    with StaticServer(tmp_path) as server:
        yield server
