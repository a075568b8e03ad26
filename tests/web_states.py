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
from tests.test_channel_web_banner import T0, message

CSP = "default-src 'self'"
JSON_DELAY = 0.5
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
FEEDBACK = "https://www.energie-nord.fr/avis/panne-nord-2026-11-22?source=bandeau"

HOST_CSS = """
* { box-sizing: border-box; }
body { margin: 0; font: 17px/1.6 Georgia, serif; color: #222; background: #fafafa; }
.site-header { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between;
  gap: 1rem; padding: 1rem 1.5rem; background: #fff; border-bottom: 1px solid #ddd; }
.site-header a { color: #0b4f8a; }
.logo { font: 700 1.4rem/1 system-ui, sans-serif; color: #0b4f8a; text-decoration: none; }
nav ul { display: flex; flex-wrap: wrap; gap: 1rem; list-style: none; margin: 0; padding: 0; }
.hero { height: 220px; background: #dbe7f3; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
footer { padding: 2rem 1.5rem; background: #222; color: #eee; }
#broadcast-banner { --broadcast-banner-padding: 1.5rem; --broadcast-banner-width: 72rem; }
@media (prefers-color-scheme: dark) {
  body { color: #e5e5e5; background: #121212; }
  .site-header { background: #1a1a1a; border-bottom-color: #1a1a1a; }
  .site-header a, .logo { color: #9cc7f0; }
  .hero { background: #24323f; }
}
"""
# The dark site header the correction banner must stand out from.
DARK_HEADER = "rgb(26, 26, 26)"

PARAGRAPH = (
    "Our teams look after 4,000 km of network across the region, day and night. This page "
    "tells you about our services, your contract and what to do when something goes wrong."
)


def host_page(banner_markup: str = "") -> str:
    """A company's page, the banner included as docs/channels/web-banner.md says."""
    article = "\n".join(f"<p>{PARAGRAPH}</p>" for _ in range(8))
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Énergie Nord · Accueil</title>
<link rel="stylesheet" href="/site.css">
<link rel="stylesheet" href="/status/banner.css">
<script src="/status/banner.js"></script>
</head>
<body>
<div id="broadcast-banner">{banner_markup}</div>
<header class="site-header">
<a class="logo" href="/">Énergie Nord</a>
<nav aria-label="Menu"><ul>
<li><a href="/offres">Nos offres</a></li><li><a href="/aide">Aide</a></li>
<li><a href="/contact">Contact</a></li></ul></nav>
</header>
<div class="hero" role="img" aria-label="Nos équipes sur le réseau"></div>
<main>
<h1>Bienvenue chez Énergie Nord</h1>
{article}
</main>
<footer><p>Énergie Nord · 0 800 123 456</p></footer>
</body>
</html>
"""


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
    status = root / "status"
    status.mkdir(parents=True, exist_ok=True)
    (root / "site.css").write_text(HOST_CSS, encoding="utf-8")
    (root / "index.html").write_text(host_page(), encoding="utf-8")
    return status


def publish(folder: Path, outgoing: Outgoing, **config: Any) -> None:
    channel = WebBannerChannel(type="web_banner", output_dir=str(folder), **config)
    adapter = WebBannerAdapter("site", channel, {}, DeliveryContext(folder, T0))
    adapter.deliver(outgoing, Target(address=str(folder)))


# What each state publishes.


def one_incident(folder: Path) -> None:
    publish(
        folder,
        message(
            T0,
            "Coupure de courant à Lille.",
            text="Coupure de courant à Lille et Roubaix. Prochaine mise à jour : 11:40.",
            locale="fr",
        ),
    )


def three_incidents(folder: Path) -> None:
    one_incident(folder)
    publish(
        folder,
        message(
            T0 + timedelta(minutes=20),
            "Numéro d'urgence indisponible.",
            text="Notre numéro d'urgence ne répond plus. Appelez le 03 20 00 00 00.",
            id="urgence",
            severity="critical",
            locale="fr",
        ),
    )
    publish(
        folder,
        message(
            T0 + timedelta(minutes=30),
            "Espace client lent.",
            text="L'espace client en ligne est lent ; vos paiements sont bien pris en compte.",
            id="espace-client",
            severity="minor",
            locale="fr",
        ),
    )


RESOLVED_AT = T0 + timedelta(hours=3)


def restored(folder: Path) -> None:
    one_incident(folder)
    publish(
        folder,
        message(
            RESOLVED_AT,
            "Le courant est revenu.",
            text=f"Terminé. Le courant est revenu. Votre avis : {FEEDBACK}",
            status="resolved",
            resolved=True,
            locale="fr",
        ),
    )


CORRECTED_AT = T0 + timedelta(hours=1)


def correction(folder: Path) -> None:
    publish(folder, message(T0, "Eau non potable.", severity="critical", locale="fr"))
    publish(
        folder,
        message(
            CORRECTED_AT,
            "Eau non potable.",
            text="RECTIFICATIF : notre message sur l'eau du robinet était erroné ; "
            "elle est potable.",
            status="cancelled",
            locale="fr",
        ),
    )


def exercise(folder: Path) -> None:
    publish(
        folder,
        message(
            T0,
            "Coupure de courant à Lille.",
            text="EXERCICE \u2013 Coupure de courant à Lille et Roubaix. "
            "Prochaine mise à jour : 11:40.",
            locale="fr",
            exercise=True,
        ),
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
        (folder.parent / "included.html").write_text(host_page(fragment), encoding="utf-8")

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


STATES = [
    State(
        "one",
        one_incident,
        T0 + timedelta(minutes=10),
        1,
        ("Perturbation importante\u00a0: ", "Coupure de courant à Lille", "En savoir plus"),
        caption="One incident in progress",
    ),
    State(
        "three",
        three_incidents,
        T0 + timedelta(minutes=40),
        3,
        ("Perturbation grave\u00a0: ", "Notre numéro d'urgence", "3 messages"),
        caption="Three incidents: one strip, the most severe first, that opens",
    ),
    State(
        "restored",
        restored,
        RESOLVED_AT + timedelta(minutes=10),
        1,
        ("Service rétabli\u00a0: ", "Le courant est revenu"),
        caption="Restored: the feedback address is a link",
    ),
    State(
        "correction",
        correction,
        CORRECTED_AT + timedelta(hours=1),
        1,
        ("RECTIFICATIF",),
        caption="A correction, framed so that it never melts into a dark header",
        tags=frozenset({"correction"}),
    ),
    State(
        "exercise",
        exercise,
        T0 + timedelta(minutes=10),
        1,
        ("EXERCICE", "Perturbation importante"),
        caption="An exercise: hatched, with its fixed label",
        tags=frozenset({"exercise"}),
    ),
    State("expired", expired, RESOLVED_AT + timedelta(days=2), 0, caption="Windows ended"),
    State(
        "missing-json",
        missing_json,
        T0 + timedelta(minutes=10),
        1,
        ("Informations sur nos services", "En savoir plus"),
        caption="banner.json missing: the room kept points to the status site",
    ),
    State(
        "invalid-json",
        invalid_json,
        T0 + timedelta(minutes=10),
        1,
        ("Informations sur nos services",),
        caption="banner.json unreadable",
    ),
    State(
        "dismissed",
        three_incidents,
        T0 + timedelta(minutes=40),
        0,
        dismiss_first=True,
        caption="Return view of a visitor who dismissed the banner",
    ),
    State(
        "fragment",
        with_fragment(three_incidents),
        T0 + timedelta(minutes=40),
        3,
        ("Perturbation grave\u00a0: ", "3 messages"),
        page="included.html",
        caption="banner.html included and banner.js loaded: one banner",
    ),
    State(
        "fragment-correction",
        with_fragment(correction),
        CORRECTED_AT + timedelta(hours=1),
        1,
        ("RECTIFICATIF",),
        page="included.html",
        caption="The fragment carries the correction",
    ),
]
BY_NAME = {state.name: state for state in STATES}
