"""Regenerate the screenshots of the web surfaces in docs/img/, from the states the tests check.

    python -m tests.screenshots                 every shot of SHOTS
    python -m tests.screenshots three exercise  the shots of those states only

Each shot opens a state of ``tests.web_states`` in Debian's Chromium exactly as the browser
tests do (strict CSP, ``banner.json`` answered late, the visitor's clock set), waits for the
page to settle, and keeps the top of the page: the banner and the site's header below it.
Add a state to ``tests.web_states.STATES`` and a row here to photograph it; docs/ refers to
the files by name, so a shot is never edited by hand.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.banner_visit import open_state, served
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.host_site import DESKTOP, PHONE
from tests.web_states import BY_NAME

OUT = Path(__file__).resolve().parent.parent / "docs" / "img"
SCREENS = {"phone": PHONE, "desktop": DESKTOP}
# How much of the page's top each screen keeps: the banner and the site's header.
KEPT_HEIGHT = {"phone": 240, "desktop": 150}


@dataclass(frozen=True)
class Shot:
    state: str  # a name in tests.web_states.STATES
    screen: str = "phone"  # phone (390 px) or desktop (1280 px)
    scheme: str = "light"  # the visitor's colour scheme: light or dark
    open_strip: bool = False  # the visitor opened the strip of several messages

    @property
    def file(self) -> str:
        extra = ("-dark" if self.scheme == "dark" else "") + ("-open" if self.open_strip else "")
        return f"banner-{self.state}-{self.screen}{extra}.png"


SHOTS = [
    Shot("one"),
    Shot("one", "desktop"),
    Shot("three"),
    Shot("three", open_strip=True),
    Shot("three", "desktop"),
    Shot("restored"),
    Shot("correction"),
    Shot("correction", scheme="dark"),
    Shot("exercise"),
    Shot("exercise", "desktop"),
    Shot("expired"),
    Shot("missing-json"),
    Shot("dismissed"),
    Shot("fragment"),
]


def take(shots: list[Shot], out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for shot in shots:
                state = BY_NAME[shot.state]
                with served(state) as server:
                    visit = open_state(browser, server, state, SCREENS[shot.screen], shot.scheme)
                    page = visit.page
                    if shot.open_strip:
                        page.locator("[data-broadcast-banner] summary").click()
                        page.wait_for_timeout(300)
                    width = SCREENS[shot.screen]["width"]
                    height = KEPT_HEIGHT[shot.screen]
                    if shot.open_strip:
                        height += int(visit.slot_height())
                    path = out / shot.file
                    page.screenshot(
                        path=path, clip={"x": 0, "y": 0, "width": width, "height": height}
                    )
                    page.context.close()
                written.append(path)
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.screenshots", description=__doc__)
    parser.add_argument("states", nargs="*", help="only the shots of these states")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default {OUT})")
    args = parser.parse_args(argv)
    unknown = [name for name in args.states if name not in BY_NAME]
    if unknown:
        print(f"no such state: {', '.join(unknown)} (known: {', '.join(BY_NAME)})")
        return 2
    shots = [s for s in SHOTS if not args.states or s.state in args.states]
    for path in take(shots, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
