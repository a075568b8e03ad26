"""The company's site the web surfaces are tried on, and what Chromium measures on it.

One host page (its own stylesheet, a header, navigation, an image, a long article, the banner's
slot first in ``<body>`` as docs/channels/web-banner.md says) for every browser test: the
surfaces' (tests/test_web_surfaces.py), the banner's states (tests/web_states.py,
tests/banner_visit.py) and the screenshots. A page differs only by what ``head=`` adds and
the stylesheet written beside it.

What a visit measures is read the same way everywhere: ``OBSERVERS`` (layout shifts, CSP
violations, installed before any script of the page runs), :func:`overflow`, :func:`axe`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import missing

if TYPE_CHECKING:
    from playwright.sync_api import Page

CSP = "default-src 'self'"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
GOOD_CLS = 0.05  # web.dev's "good" cumulative layout shift

# axe-core as the PyPI package axe-playwright-python ships it (a test extra): no npm needed.
_AXE_PACKAGE = importlib.util.find_spec("axe_playwright_python")
AXE = (
    Path(_AXE_PACKAGE.origin).parent / "axe.min.js"
    if _AXE_PACKAGE is not None and _AXE_PACKAGE.origin
    else Path("axe-playwright-python is not installed")
)


@pytest.fixture(scope="session")
def axe_available() -> None:
    if not AXE.is_file():
        missing(
            "browser",
            f"the browser checks need axe-core at {AXE}: pip install -e '.[test]' installs "
            "axe-playwright-python, which ships it",
        )


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
#broadcast-banner { --broadcast-banner-padding: 1.5rem; }
"""

PARAGRAPH = (
    "Our teams look after 4,000 km of network across the region, day and night. This page "
    "tells you about our services, your contract and what to do when something goes wrong."
)
BANNER_SCRIPT = '<script src="/status/banner.js"></script>'


def host_page(banner_markup: str = "", head: str = "", script: bool = True) -> str:
    """A company's page: the banner's slot first in <body> (holding ``banner_markup``, a
    fragment included server-side), its stylesheet in <head>, and banner.js unless ``script``
    is false (a site without JavaScript). ``head``: more lines for <head>."""
    article = "\n".join(f"<p>{PARAGRAPH}</p>" for _ in range(8))
    extra = f"{head}\n" if head else ""
    loader = f"{BANNER_SCRIPT}\n" if script else ""
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{extra}<title>Énergie Nord · Accueil</title>
<link rel="stylesheet" href="/site.css">
<link rel="stylesheet" href="/status/banner.css">
{loader}</head>
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


def write_host(root: Path, css: str = HOST_CSS, head: str = "") -> None:
    """The company's home page and stylesheet in ``root`` (its status folder is the channel's)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.css").write_text(css, encoding="utf-8")
    (root / "index.html").write_text(host_page(head=head), encoding="utf-8")


# What Chromium measures: installed before any script of the page runs.
OBSERVERS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) window.__shifts.push(entry.value);
  }
}).observe({ type: "layout-shift", buffered: true });
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def banners(page: Page) -> Any:
    return page.locator("[data-broadcast-banner]")


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scroll)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def axe(page: Page) -> list[str]:
    """axe-core's serious and critical violations on ``page``, and any colour-contrast one."""
    # Evaluated by Playwright, not added as a <script>: the page's CSP would refuse that.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))})))"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][:3]}"
        for v in result
        if v["impact"] in ("serious", "critical") or v["id"] == "color-contrast"
    ]
