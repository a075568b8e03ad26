"""The status site's index and feed set each incident's words as every other surface does.

They list the banner history's raw headline and title (as the file said them), not a text a
template rendered: French spacing (a no-break space before ":", a narrow one before "?") is
applied per entry, in that entry's language, as on the incident's own page.
"""

from __future__ import annotations

from tests.world import World, edit

NBSP, NNBSP = "\u00a0", "\u202f"


def test_the_index_and_the_feed_set_a_french_headline_like_its_page(world: World) -> None:
    edit(world, "headline: Coupure", 'headline: "Coupure', 1)
    edit(
        world,
        "Roubaix depuis 8h10. Rétablissement prévu vers 14h.",
        'Roubaix : retour vers 14h. Pourquoi ? On cherche."',
    )
    edit(
        world,
        "title: Coupure d'électricité dans le secteur Nord",
        'title: "Secteur Nord : coupure"',
    )
    assert world.run_json("send", "incident.yaml", "--yes")[0] == 0
    status = world.folder / "public" / "status"
    page = (status / "panne-nord-2026-11-22.html").read_text(encoding="utf-8")
    headline = f"Lille et Roubaix{NBSP}: retour vers 14h. Pourquoi{NNBSP}? On cherche."
    assert headline in page  # the incident's page, rendered from a template
    index = (status / "index.html").read_text(encoding="utf-8")
    assert headline in index and "Roubaix : retour" not in index, index
    assert f"Secteur Nord{NBSP}: coupure" in index and "Nord : coupure" not in index
    feed = (status / "feed.xml").read_text(encoding="utf-8")
    assert f"Secteur Nord{NBSP}: coupure" in feed and "Nord : coupure" not in feed, feed
