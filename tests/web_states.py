"""The states the web surfaces can be in, as one table: the browser tests check each, and
``python -m tests.screenshots`` photographs each for the docs.

A state publishes into a company site's ``/status/`` folder with the real adapter, sets the
visitor's clock, and says what the visitor must see. Add a row to ``STATES`` for a new one
(``page`` opens another file of the site; ``setup`` may write anything into the site).

The site is served under ``Content-Security-Policy: default-src 'self'``, ``banner.json``
answered ``JSON_DELAY`` seconds late, as over a slow network: the page is painted long before.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from broadcast.channels.base import DeliveryContext, Outgoing, Target
from broadcast.channels.web_banner import WebBannerAdapter
from broadcast.input.config import WebBannerChannel
from tests.browser import StaticServer, _QuietHandler
from tests.host_site import CSP, host_page, write_host
from tests.host_site import HOST_CSS as BASE_CSS
from tests.test_channel_web_banner import T0, message

JSON_DELAY = 0.5
FEEDBACK = "https://www.energie-nord.fr/avis/panne-nord-2026-11-22?source=bandeau"

# The company's own dark mode, and a wider banner than the default: what a site may set.
HEAD = '<meta name="color-scheme" content="light dark">'
HOST_CSS = (
    BASE_CSS
    + """#broadcast-banner { --broadcast-banner-width: 72rem; }
@media (prefers-color-scheme: dark) {
  body { color: #e5e5e5; background: #121212; }
  .site-header { background: #1a1a1a; border-bottom-color: #1a1a1a; }
  .site-header a, .logo { color: #9cc7f0; }
  .hero { background: #24323f; }
}
"""
)
# The dark site header the correction banner must stand out from.
DARK_HEADER = "rgb(26, 26, 26)"


class _SlowJson(_QuietHandler):
    def do_GET(self) -> None:
        if self.path.split("?")[0].endswith("/banner.json"):
            time.sleep(JSON_DELAY)
        super().do_GET()


class SiteServer(StaticServer):
    """``root`` served under the strict CSP, banner.json answered ``JSON_DELAY`` s late."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        handler_class = type(
            "Handler", (_SlowJson,), {"extra_headers": {"Content-Security-Policy": CSP}}
        )
        self._server.RequestHandlerClass = functools.partial(handler_class, directory=str(root))


def make_site(root: Path) -> Path:
    """The company's site in ``root``; returns its ``status`` folder (the channel's)."""
    write_host(root, css=HOST_CSS, head=HEAD)
    status = root / "status"
    status.mkdir(exist_ok=True)
    return status


def publish(folder: Path, outgoing: Outgoing, **config: Any) -> None:
    channel = WebBannerChannel(type="web_banner", output_dir=str(folder), **config)
    adapter = WebBannerAdapter("site", channel, {}, DeliveryContext(folder, T0))
    adapter.deliver(outgoing, Target(address=str(folder)))


# What each state publishes.


def publish_fr(folder: Path, at: datetime, headline: str, **fields: Any) -> None:
    """A French message of the Lille outage's company (``fields``: ``message``'s) published."""
    publish(folder, message(at, headline, locale="fr", **fields))


def one_incident(folder: Path) -> None:
    publish_fr(
        folder,
        T0,
        "Coupure de courant à Lille.",
        text="Coupure de courant à Lille et Roubaix. Prochaine mise à jour : 11:40.",
    )


def three_incidents(folder: Path) -> None:
    one_incident(folder)
    publish_fr(
        folder,
        T0 + timedelta(minutes=20),
        "Numéro d'urgence indisponible.",
        text="Notre numéro d'urgence ne répond plus. Appelez le 03 20 00 00 00.",
        id="urgence",
        severity="critical",
    )
    publish_fr(
        folder,
        T0 + timedelta(minutes=30),
        "Espace client lent.",
        text="L'espace client en ligne est lent ; vos paiements sont bien pris en compte.",
        id="espace-client",
        severity="minor",
    )


RESOLVED_AT = T0 + timedelta(hours=3)


def restored(folder: Path) -> None:
    one_incident(folder)
    publish_fr(
        folder,
        RESOLVED_AT,
        "Le courant est revenu.",
        text=f"Terminé. Le courant est revenu. Votre avis : {FEEDBACK}",
        status="resolved",
        resolved=True,
    )


CORRECTED_AT = T0 + timedelta(hours=1)


def correction(folder: Path) -> None:
    publish_fr(folder, T0, "Eau non potable.", severity="critical")
    publish_fr(
        folder,
        CORRECTED_AT,
        "Eau non potable.",
        text="RECTIFICATIF : notre message sur l'eau du robinet était erroné ; elle est potable.",
        status="cancelled",
    )


def exercise(folder: Path) -> None:
    publish_fr(
        folder,
        T0,
        "Coupure de courant à Lille.",
        text="EXERCICE \u2013 Coupure de courant à Lille et Roubaix. "
        "Prochaine mise à jour : 11:40.",
        exercise=True,
    )


def expired(folder: Path) -> None:
    correction(folder)
    restored(folder)


def missing_json(folder: Path) -> None:
    one_incident(folder)
    (folder / "banner.json").unlink()


def invalid_json(folder: Path) -> None:
    one_incident(folder)
    (folder / "banner.json").write_text('{"active": true, "incid', encoding="utf-8")


def with_fragment(publisher: Callable[[Path], None]) -> Callable[[Path], None]:
    """``publisher``, on a page that includes banner.html (server-side) AND loads banner.js."""

    def publish_and_include(folder: Path) -> None:
        publisher(folder)
        fragment = (folder / "banner.html").read_text(encoding="utf-8")
        (folder.parent / "included.html").write_text(
            host_page(fragment, head=HEAD), encoding="utf-8"
        )

    return publish_and_include


@dataclass(frozen=True)
class State:
    name: str  # the screenshots' name: docs/img/banner-<name>-<phone|desktop>.png
    setup: Callable[[Path], None]  # publishes into the status folder
    clock: datetime  # the visitor's clock
    messages: int  # the messages the banner holds (0: no banner, no room kept)
    says: tuple[str, ...] = ()  # words the banner shows
    page: str = "index.html"
    dismiss_first: bool = False  # the visitor dismissed the banner on an earlier page
    caption: str = ""
    tags: frozenset[str] = field(default_factory=frozenset)


# The visitors' clocks: a while after each state's last message.
ONE_SEEN = T0 + timedelta(minutes=10)
THREE_SEEN = T0 + timedelta(minutes=40)
RESTORED_SEEN = RESOLVED_AT + timedelta(minutes=10)
CORRECTION_SEEN = CORRECTED_AT + timedelta(hours=1)

STATES = [
    State(
        "one",
        one_incident,
        ONE_SEEN,
        1,
        ("Perturbation importante\u00a0: ", "Coupure de courant à Lille", "En savoir plus"),
        caption="One incident in progress",
    ),
    State(
        "three",
        three_incidents,
        THREE_SEEN,
        3,
        ("Perturbation grave\u00a0: ", "Notre numéro d'urgence", "3 messages"),
        caption="Three incidents: one strip, the most severe first, that opens",
    ),
    State(
        "restored",
        restored,
        RESTORED_SEEN,
        1,
        ("Service rétabli\u00a0: ", "Le courant est revenu"),
        caption="Restored: the feedback address is a link",
    ),
    State(
        "correction",
        correction,
        CORRECTION_SEEN,
        1,
        ("RECTIFICATIF",),
        caption="A correction, framed so that it never melts into a dark header",
        tags=frozenset({"correction"}),
    ),
    State(
        "exercise",
        exercise,
        ONE_SEEN,
        1,
        ("EXERCICE", "Perturbation importante"),
        caption="An exercise: hatched, with its fixed label",
        tags=frozenset({"exercise"}),
    ),
    State("expired", expired, RESOLVED_AT + timedelta(days=2), 0, caption="Windows ended"),
    State(
        "missing-json",
        missing_json,
        ONE_SEEN,
        1,
        ("Informations sur nos services", "En savoir plus"),
        caption="banner.json missing: the room kept points to the status site",
    ),
    State(
        "invalid-json",
        invalid_json,
        ONE_SEEN,
        1,
        ("Informations sur nos services",),
        caption="banner.json unreadable",
    ),
    State(
        "dismissed",
        three_incidents,
        THREE_SEEN,
        0,
        dismiss_first=True,
        caption="Return view of a visitor who dismissed the banner",
    ),
    State(
        "fragment",
        with_fragment(three_incidents),
        THREE_SEEN,
        3,
        ("Perturbation grave\u00a0: ", "3 messages"),
        page="included.html",
        caption="banner.html included and banner.js loaded: one banner",
    ),
    State(
        "fragment-correction",
        with_fragment(correction),
        CORRECTION_SEEN,
        1,
        ("RECTIFICATIF",),
        page="included.html",
        caption="The fragment carries the correction",
    ),
]
BY_NAME = {state.name: state for state in STATES}
