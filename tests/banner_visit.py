"""One visit of a state of ``tests.web_states`` in Chromium, and what it measured.

Shared by the browser tests (tests/test_banner_states.py) and ``python -m tests.screenshots``.
The visit opens the host page with the visitor's clock, watches for 3 s (``layout-shift``
entries, buffered, from before the first paint; CSP violations; script errors), then reads
the banner. A state with ``dismiss_first`` is visited twice: the visitor dismisses the banner,
then comes back (a return view), which is the visit measured.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.browser import TIMEOUT_MS
from tests.host_site import OBSERVERS, axe, banners, overflow
from tests.web_states import SiteServer, State, make_site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

WATCH_MS = 3_000


@dataclass
class Visit:
    page: Page
    shifts: list[float] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def cls(self) -> float:
        return sum(self.shifts)

    def banners(self) -> Any:
        return banners(self.page)

    def slot_height(self) -> float:
        return float(
            self.page.evaluate(
                "(() => { const s = document.getElementById('broadcast-banner');"
                " return s ? s.getBoundingClientRect().height : 0 })()"
            )
        )

    def overflow(self) -> int:
        return overflow(self.page)

    def axe(self) -> list[str]:
        """axe-core's serious and critical violations, and any colour-contrast one."""
        return axe(self.page)


@contextmanager
def served(state: State, root: Path | None = None) -> Iterator[SiteServer]:
    """The company's site in ``state``, served (in a temporary folder unless ``root``)."""
    with tempfile.TemporaryDirectory() as temporary:
        site = Path(root or temporary) / "www"
        state.setup(make_site(site))
        with SiteServer(site) as server:
            yield server


def open_state(
    browser: Browser,
    server: SiteServer,
    state: State,
    viewport: dict[str, int],
    scheme: str,
    storage: Any = None,
) -> Visit:
    """The visitor's view of ``state`` after ``WATCH_MS``: a return view if ``dismiss_first``
    (or given ``storage``, a context's ``storage_state()``: what an earlier visit left)."""
    context = browser.new_context(
        viewport=viewport,
        color_scheme=scheme,  # type: ignore[arg-type]
        storage_state=storage,
    )
    context.set_default_timeout(TIMEOUT_MS)  # a loaded machine is slow, never wrong
    page = context.new_page()
    visit = Visit(page)
    page.on("pageerror", lambda error: visit.errors.append(str(error)))
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and visit.csp.append(m.text),
    )
    page.add_init_script(OBSERVERS)
    page.clock.set_fixed_time(state.clock)
    url = f"{server.url}/{state.page}"
    if state.dismiss_first:
        page.goto(url, wait_until="load")
        page.locator("[data-broadcast-banner] .broadcast-banner__dismiss").first.click()
        page.wait_for_timeout(200)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(WATCH_MS)
    visit.shifts = list(page.evaluate("window.__shifts"))
    visit.csp += list(page.evaluate("window.__csp"))
    return visit


def return_view(visit: Visit, url: str) -> Visit:
    """The same visitor on the next page: a fresh count of shifts, what they kept remembered."""
    page = visit.page
    page.goto(url, wait_until="load")
    page.wait_for_timeout(WATCH_MS)
    again = Visit(page, errors=visit.errors)
    again.shifts = list(page.evaluate("window.__shifts"))
    again.csp = list(page.evaluate("window.__csp"))
    return again
