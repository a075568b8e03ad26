"""Facebook Page posts end to end against a local Graph API peer: the first version a post,
later ones comments on it (as the X thread), Graph's error codes mapped to retries or not."""

from __future__ import annotations

import re
from functools import partial

import pytest

from tests.conftest import at as clock_at
from tests.peers.graph_api import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN, GraphAPIServer
from tests.world import World
from tests.world import edit as edit_all

FB_ENV = {"FB_PAGE_TOKEN": DEFAULT_PAGE_TOKEN}


def at(minutes: int) -> dict[str, str]:
    return clock_at(minutes, **FB_ENV)


edit = partial(edit_all, count=1)  # the first occurrence only


@pytest.fixture
def fb_world(world: World, graph_server: GraphAPIServer) -> World:
    with (world.folder / "channels.yaml").open("a", encoding="utf-8") as out:
        out.write(
            "  facebook:\n"
            "    type: facebook\n"
            f"    page_id: '{DEFAULT_PAGE_ID}'\n"
            '    access_token: "${FB_PAGE_TOKEN}"\n'
            f"    api_base_url: {graph_server.url}\n"
        )
    world.graph = graph_server  # type: ignore[attr-defined]
    return world


def send(world: World, minutes: int, env: dict[str, str] | None = None) -> tuple[int, dict]:
    return world.run_json(
        "send",
        "incident.yaml",
        "--yes",
        "--channel",
        "facebook",
        env={**at(minutes), **(env or {})},
    )


def test_first_version_is_a_post_and_updates_are_comments_on_it(fb_world: World) -> None:
    graph: GraphAPIServer = fb_world.graph  # type: ignore[attr-defined]
    code, doc = send(fb_world, 0)
    assert code == 0, doc
    [post] = graph.posts()
    assert post.message.startswith("Coupure de courant à Lille et Roubaix depuis 8h10.")
    assert post.link == "https://status.example.com/panne-nord"
    assert doc["delivery"][0]["provider_ids"] == [post.id]
    request = graph.requests()[0]
    assert request.path == f"/v23.0/{DEFAULT_PAGE_ID}/feed"
    assert DEFAULT_PAGE_TOKEN not in request.path  # the token travels in the body only

    edit(fb_world, "status: investigating", "status: identified")
    assert send(fb_world, 30)[0] == 0
    edit(fb_world, "status: identified", "status: resolved")
    # Resolved says so in a new headline (an unchanged one is refused).
    edit(fb_world, "Rétablissement prévu vers 14h.", "Le courant est revenu partout.")
    edit(fb_world, "We are restoring it; back around 14:00.", "Power is back everywhere.")
    assert send(fb_world, 90)[0] == 0
    assert len(graph.posts()) == 1
    comments = graph.comments(post.id)
    assert len(comments) == 2
    assert "la situation est revenue à la normale" in comments[-1].message.lower()
    assert graph.requests()[-1].path == f"/v23.0/{post.id}/comments"


def test_an_expired_token_stops_the_channel_and_names_the_variable(fb_world: World) -> None:
    graph: GraphAPIServer = fb_world.graph  # type: ignore[attr-defined]
    result = fb_world.run(
        "send",
        "incident.yaml",
        "--yes",
        "--channel",
        "facebook",
        env={**at(0), "FB_PAGE_TOKEN": "EAA-expired"},
    )
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "did not accept the Page access token" in said and "fix FB_PAGE_TOKEN" in said
    assert "EAA-expired" not in result.output
    assert graph.posts() == [] and len(graph.requests()) == 1
    # Fixed: the next send posts it (the delivery waited, pending).
    code, doc = send(fb_world, 5)
    assert (code, doc["action"], len(graph.posts())) == (0, "continue", 1)


@pytest.mark.parametrize("code", [4, 32])
def test_rate_limits_are_retried(fb_world: World, code: int) -> None:
    graph: GraphAPIServer = fb_world.graph  # type: ignore[attr-defined]
    graph.fail_with_code(code)
    status, doc = send(fb_world, 0)
    assert status == 0, doc
    assert doc["delivery"][0]["retries"] == 1
    assert len(graph.posts()) == 1


def test_a_blocked_post_is_permanent_and_not_retried(fb_world: World) -> None:
    graph: GraphAPIServer = fb_world.graph  # type: ignore[attr-defined]
    graph.fail_with_code(368)
    status, doc = send(fb_world, 0)
    assert status == 1
    outcome = doc["delivery"][0]
    assert (outcome["failed_by_reason"], outcome["retries"]) == ({"368": 1}, 0)
    assert outcome["failures"][0]["permanent"] is True
    assert len(graph.requests()) == 1 and graph.posts() == []


def test_a_correction_is_a_comment_under_the_post(fb_world: World) -> None:
    graph: GraphAPIServer = fb_world.graph  # type: ignore[attr-defined]
    assert send(fb_world, 0)[0] == 0
    edit(fb_world, "status: investigating", "status: cancelled")
    edit(fb_world, "  en:\n", "  en:\n    correction: Lille was not affected.\n")
    with (fb_world.folder / "incident.yaml").open("a", encoding="utf-8") as out:
        out.write("correction: Lille n'a pas été touchée ; seul Roubaix l'est.\n")
    code, doc = send(fb_world, 20)
    assert code == 0, doc
    [post] = graph.posts()
    [comment] = graph.comments(post.id)
    # The end first, with its time, then what the wrong message said.
    assert re.match(
        r"Annulé à \d+h\d*\. Rectificatif\u00a0: notre message de 9h40 disait «\u00a0Coupure",
        comment.message,
    )
    # French typography: a narrow no-break space before the semicolon.
    assert "Lille n'a pas été touchée\u202f; seul Roubaix l'est." in comment.message
