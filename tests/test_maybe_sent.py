"""Any answer that is not a clear "not taken" is "maybe sent", on every channel (issue 22,
principle 2).

A 5xx after the provider took the message, a request the provider holds past our timeout
before committing it, a lost answer from a provider whose clock is behind ours: each is
looked up (Twilio's Messages and Calls lists, X's timeline, the Page's feed) on the provider's
own clock before anything is sent again, or held as uncertain where the provider has no
lookup (Apprise). Only a refusal that proves the request was not acted on (a 4xx, 429) is
retried as it is.

Each send is a real ``python -m broadcast`` process talking to the local peers; what counts
is what the peers received.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests.conftest import NOW, write
from tests.peers.base import Delay, PeerServer, RateLimit
from tests.peers.graph_api import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN, GraphAPIServer
from tests.peers.webhooks import WebhookServer
from tests.test_crash import NUMBERS, finish, start
from tests.test_voice_fallback import with_voice
from tests.world import EMAILS, PHONES, SECRETS, World

# The slow tier (tests/conftest.py): lookups that wait for the provider to settle, kill -9.
pytestmark = pytest.mark.slow


def send(world: World, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    """``broadcast send incident.yaml --yes --json ARGS`` as a real process in the world."""
    environment = {
        **os.environ,
        **SECRETS,
        **world.engine,
        "BROADCAST_NOW": NOW.isoformat(),
        **(env or {}),
    }
    environment.pop("BROADCAST_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "broadcast", "send", "incident.yaml", "--yes", "--json", *args],
        cwd=world.folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def set_option(world: World, channel: str, line: str) -> None:
    """Add ``line`` (``key: value``) to ``channel``'s block in channels.yaml."""
    path = world.folder / "channels.yaml"
    text = path.read_text(encoding="utf-8")
    head = f"  {channel}:\n"
    assert head in text
    path.write_text(text.replace(head, f"  {channel}:\n    {line}\n", 1), "utf-8")


def held_request_done(peer: PeerServer) -> None:
    """Wait until the request the peer held (``Delay``) was acted on and recorded: a run that
    gave up on it may end before the provider commits it."""
    deadline = time.monotonic() + 30
    while not any(r.scripted and "Delay" in r.scripted for r in peer.requests()):
        assert time.monotonic() < deadline, "the held request never ended"
        time.sleep(0.05)


def sms_counts(world: World) -> Counter[str]:
    return Counter(m.to for m in world.twilio.messages())


def outcome(doc: dict, channel: str) -> dict:
    (found,) = [o for o in doc["delivery"] if o["channel"] == channel]
    return found


# -- SMS and calls: Twilio has lookups ----------------------------------------------------


def test_a_500_after_twilio_took_the_sms_is_looked_up_not_sent_twice(world: World) -> None:
    world.twilio.fail_first_answer_to(PHONES[1], status=500)
    world.twilio.fail_first_answer_to(PHONES[3], status=503)
    code, doc = send(world, "--channel", "sms")
    assert sms_counts(world) == Counter(PHONES), "someone got the SMS twice, or none"
    sms = outcome(doc, "sms")
    assert (code, sms["sent"], sms["failed"], doc["uncertain"]) == (0, 4, 0, [])
    assert sms["looked_up"] == {"found_sent": 2, "resent": 0, "held_uncertain": 0}


def test_a_refusal_that_proves_nothing_was_taken_is_retried_as_it_is(world: World) -> None:
    world.twilio.rate_limit_next(retry_after=0)  # 429: the first delivery, not taken
    code, doc = send(world, "--channel", "sms")
    assert (code, sms_counts(world)) == (0, Counter(PHONES))
    sms = outcome(doc, "sms")
    assert sms["retries"] == 1  # sent again without asking
    assert sms["looked_up"] == {"found_sent": 0, "resent": 0, "held_uncertain": 0}


def test_a_slow_commit_past_the_timeout_is_found_not_sent_twice(world: World) -> None:
    # Twilio holds the first request 3 s before taking it; we wait 1 s for an answer (the
    # issue's 20 s against 15 s, scaled down with the channel's timeout setting).
    set_option(world, "sms", "timeout: 1")
    world.twilio.delay_next(3.0)
    code, doc = send(world, "--channel", "sms")
    held_request_done(world.twilio)
    assert sms_counts(world) == Counter(PHONES), "someone got the SMS twice, or none"
    sms = outcome(doc, "sms")
    assert (code, sms["sent"], sms["failed"], doc["uncertain"]) == (0, 4, 0, [])


@pytest.mark.parametrize("behind", [50, 90, 300])
def test_a_lost_answer_from_a_provider_whose_clock_is_behind_is_found(
    world: World, behind: int
) -> None:
    world.twilio.clock_offset = -behind
    world.twilio.drop_first_answer_to(PHONES[0], PHONES[2])
    code, doc = send(world, "--channel", "sms")
    assert sms_counts(world) == Counter(PHONES), "someone got the SMS twice, or none"
    assert (code, outcome(doc, "sms")["sent"], doc["uncertain"]) == (0, 4, [])


def test_a_lost_answer_from_a_provider_whose_clock_is_ahead_is_not_taken_for_an_old_sms(
    world: World,
) -> None:
    # A clock ahead of ours must not make an earlier message to the number count as this
    # attempt's: the window is read on Twilio's clock, whichever way it is off.
    world.twilio.clock_offset = 300
    world.twilio.drop_first_answer_to(PHONES[0])
    code, doc = send(world, "--channel", "sms")
    assert (code, sms_counts(world), doc["uncertain"]) == (0, Counter(PHONES), [])


def named(doc: dict) -> set[str]:
    """The recipients the summary names uncertain."""
    return {item["recipient"] for item in doc["uncertain"]}


def test_a_500_after_twilio_placed_the_call_is_held_uncertain_not_called_twice(
    world: World,
) -> None:
    # Twilio's Calls list cannot say whose a listed call is (see test_exactly_once_calls):
    # the call it placed before its 500 is held uncertain, by name, never placed again.
    with_voice(world, "    recipients: contacts.csv\n    default_region: FR\n", sms_fallback=None)
    world.twilio.fail_first_answer_to(PHONES[0], PHONES[2], status=500)
    code, doc = send(world, "--channel", "voice")
    assert Counter(c.to for c in world.twilio.calls()) == Counter(PHONES)
    voice = outcome(doc, "voice")
    assert (code, voice["sent"], voice["looked_up"]["held_uncertain"]) == (1, 2, 2)
    assert named(doc) == {"…" + PHONES[0][-4:], "…" + PHONES[2][-4:]}


def test_a_lost_answer_to_a_call_from_a_provider_5_minutes_behind_is_not_placed_again(
    world: World,
) -> None:
    with_voice(world, "    recipients: contacts.csv\n    default_region: FR\n", sms_fallback=None)
    world.twilio.clock_offset = -300
    world.twilio.drop_first_answer_to(PHONES[1])
    code, doc = send(world, "--channel", "voice")
    assert Counter(c.to for c in world.twilio.calls()) == Counter(PHONES)
    assert (code, named(doc)) == (1, {"…" + PHONES[1][-4:]})


# -- X: the account's timeline ------------------------------------------------------------


def test_a_500_after_x_published_the_post_is_found_not_failed(world: World) -> None:
    world.x.accept_then_fail_next(500)
    code, doc = send(world, "--channel", "twitter")
    posts = world.x.posts()
    assert len(posts) == len({p.text for p in posts}) >= 1  # each post of the thread once
    twitter = outcome(doc, "twitter")
    assert (code, twitter["sent"], twitter["failed"], doc["uncertain"]) == (0, 1, 0, [])
    assert twitter["provider_ids"] == [",".join(p.id for p in posts)]
    # The ledger says sent: a re-run has nothing to post.
    code, doc = send(world, "--channel", "twitter")
    assert (code, doc["action"], len(world.x.posts())) == (0, "nothing", len(posts))


def test_a_lost_answer_from_x_5_minutes_behind_is_found(world: World) -> None:
    set_option(world, "twitter", "timeout: 1")  # a lookup that finds nothing waits 7 s, not 35
    world.x.clock_offset = -300
    world.x.accept_then_drop_next()
    code, doc = send(world, "--channel", "twitter")
    posts = world.x.posts()
    assert len(posts) == len({p.text for p in posts}) >= 1
    assert (code, outcome(doc, "twitter")["sent"], doc["uncertain"]) == (0, 1, [])


# -- Facebook: the Page's feed ------------------------------------------------------------


@pytest.fixture
def fb_world(world: World, graph_server: GraphAPIServer) -> World:
    with (world.folder / "channels.yaml").open("a", encoding="utf-8") as out:
        out.write(
            "  facebook:\n"
            "    type: facebook\n"
            f"    page_id: '{DEFAULT_PAGE_ID}'\n"
            '    access_token: "${FB_PAGE_TOKEN}"\n'
            f"    api_base_url: {graph_server.url}\n"
            "    timeout: 1\n"
        )
    world.graph = graph_server  # type: ignore[attr-defined]
    return world


FB = {"FB_PAGE_TOKEN": DEFAULT_PAGE_TOKEN}


def test_a_500_after_facebook_published_the_post_is_found_not_posted_twice(
    fb_world: World,
) -> None:
    graph: GraphAPIServer = fb_world.graph  # type: ignore[attr-defined]
    graph.accept_then_fail_next(500)
    code, doc = send(fb_world, "--channel", "facebook", env=FB)
    [post] = graph.posts()
    facebook = outcome(doc, "facebook")
    assert (code, facebook["sent"], facebook["failed"], doc["uncertain"]) == (0, 1, 0, [])
    assert facebook["provider_ids"] == [post.id]
    # The lookup asked with the token in a header, never in the URL.
    lookups = [r for r in graph.requests() if r.method == "GET"]
    assert lookups and all(DEFAULT_PAGE_TOKEN not in r.path for r in lookups)
    assert all("access_token" not in r.query for r in lookups)


def test_a_slow_post_on_a_page_whose_clock_is_behind_is_found_not_posted_twice(
    fb_world: World,
) -> None:
    graph: GraphAPIServer = fb_world.graph  # type: ignore[attr-defined]
    graph.clock_offset = -300
    graph.delay_next(2.5)  # past the channel's 1 s timeout, then published
    code, doc = send(fb_world, "--channel", "facebook", env=FB)
    held_request_done(graph)
    assert len(graph.posts()) == 1, "the post went up twice"
    assert (code, outcome(doc, "facebook")["sent"], doc["uncertain"]) == (0, 1, [])


def test_a_4xx_refusal_from_facebook_is_retried_as_it_is(fb_world: World) -> None:
    graph: GraphAPIServer = fb_world.graph  # type: ignore[attr-defined]
    graph.fail_with_code(4)  # application limit, HTTP 400: proves nothing was posted
    code, doc = send(fb_world, "--channel", "facebook", env=FB)
    assert (code, len(graph.posts())) == (0, 1)
    facebook = outcome(doc, "facebook")
    assert facebook["retries"] == 1
    assert facebook["looked_up"] == {"found_sent": 0, "resent": 0, "held_uncertain": 0}
    assert [r.method for r in graph.requests()] == ["POST", "POST"]


# -- No lookup (Apprise's services, SMTP): held as uncertain, never resent blindly ---------


@pytest.fixture
def team_world(world: World, webhook_server: WebhookServer) -> World:
    """The world with an Apprise channel posting to the local webhook receiver."""
    with (world.folder / "channels.yaml").open("a", encoding="utf-8") as out:
        out.write('  teams:\n    type: apprise\n    urls: ["${JSON_HOOK}", "${NTFY_TOPIC}"]\n')
    world.hooks = webhook_server  # type: ignore[attr-defined]
    world.hook_env = {  # type: ignore[attr-defined]
        "JSON_HOOK": f"json://127.0.0.1:{webhook_server.port}/crisis",
        "NTFY_TOPIC": f"ntfy://127.0.0.1:{webhook_server.port}/energie-nord-crise",
    }
    return world


def test_a_500_after_a_webhook_took_it_is_held_uncertain_not_posted_again(
    team_world: World,
) -> None:
    hooks: WebhookServer = team_world.hooks  # type: ignore[attr-defined]
    env = team_world.hook_env  # type: ignore[attr-defined]
    hooks.accept_then_fail_next(500)  # the first URL (json://) takes it, then says 500

    def to_crisis() -> int:
        return sum(1 for r in hooks.requests() if r.path == "/crisis")

    code, doc = send(team_world, "--channel", "teams", env=env)
    assert to_crisis() == 1, "posted again blindly"
    teams = outcome(doc, "teams")
    assert (code, teams["sent"], teams["retries"]) == (1, 1, 0)
    assert [u["channel"] for u in doc["uncertain"]] == ["teams"]
    [failure] = teams["failures"]
    assert "maybe sent" in failure["error"] and "--resend-uncertain" in failure["error"]
    # A plain re-run does not post it again either; --resend-uncertain does, when asked.
    code, doc = send(team_world, "--channel", "teams", env=env)
    assert (code, to_crisis(), len(doc["uncertain"])) == (1, 1, 1)
    code, doc = send(team_world, "--channel", "teams", "--resend-uncertain", env=env)
    assert (code, to_crisis(), doc["uncertain"]) == (0, 2, [])


def test_a_429_from_a_webhook_is_retried_as_it_is(team_world: World) -> None:
    hooks: WebhookServer = team_world.hooks  # type: ignore[attr-defined]
    hooks.rate_limit_next(retry_after=0)
    code, doc = send(team_world, "--channel", "teams", env=team_world.hook_env)  # type: ignore[attr-defined]
    assert (code, outcome(doc, "teams")["retries"], doc["uncertain"]) == (0, 1, [])
    assert len(hooks.posts_to("/crisis")) == 1


def test_an_smtp_connection_lost_after_the_data_is_held_uncertain_not_sent_again(
    world: World,
) -> None:
    world.smtp.lose_answer_after_data()  # the first message: taken, no reply
    code, doc = send(world, "--channel", "email")
    got = Counter(r for m in world.smtp.received for r in m.recipients)
    assert set(got.values()) == {1}, "someone got the email twice"
    assert sorted(got) == sorted(EMAILS)
    email = outcome(doc, "email")
    assert (code, email["sent"], len(doc["uncertain"])) == (1, 2, 1)
    assert doc["uncertain"][0]["channel"] == "email"


def test_the_summary_says_maybe_sent_and_what_is_done_not_a_failure_after_retries(
    world: World,
) -> None:
    world.smtp.lose_answer_after_data()
    environment = {**os.environ, **SECRETS, "BROADCAST_NOW": NOW.isoformat()}
    environment.pop("BROADCAST_CONFIG", None)
    command = [sys.executable, "-m", "broadcast", "send", "incident.yaml", "--yes"]
    done = subprocess.run(
        [*command, "--channel", "email"],
        cwd=world.folder,
        env={**environment, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = " ".join(done.stdout.split())
    assert done.returncode == 1, said
    assert "maybe sent" in said and "held as uncertain" in said
    assert "after retries" not in said
    assert "re-sent only with --resend-uncertain" in said


def test_a_slow_call_past_the_timeout_is_not_placed_twice(world: World) -> None:
    voice = "    recipients: contacts.csv\n    default_region: FR\n    timeout: 1\n"
    with_voice(world, voice, sms_fallback=None)
    world.twilio.delay_next(3.0)  # the first call: placed after 3 s, past our 1 s
    code, doc = send(world, "--channel", "voice")
    held_request_done(world.twilio)
    assert Counter(c.to for c in world.twilio.calls()) == Counter(PHONES)
    # Found once Twilio could no longer be placing it; a listed call is held, by name.
    assert (code, outcome(doc, "voice")["sent"], len(doc["uncertain"])) == (1, 3, 1)


# -- Every fault at once, and kill -9 ------------------------------------------------------


def test_every_fault_at_once_then_kill_9_each_number_gets_one_sms_or_is_named(
    world: World,
) -> None:
    """2,000 numbers; Twilio's clock 5 minutes behind; 5xx after taking some messages (JSON
    and gateway pages), lost answers to others, a held request past a 1 s timeout, 429s; the
    send killed at a random moment, then run again as cron would (no flag)."""
    chance = random.Random(202622)
    write(
        world.folder / "contacts.csv",
        "name,phone\n" + "".join(f"N{i},{n}\n" for i, n in enumerate(NUMBERS)),
    )
    set_option(world, "sms", "concurrency: 8")
    set_option(world, "sms", "timeout: 1")
    twilio = world.twilio
    twilio.latency = 0.01
    twilio.clock_offset = -300
    faulty = chance.sample(NUMBERS, 150)
    twilio.fail_first_answer_to(*faulty[:50], status=500)
    twilio.fail_first_answer_to(*faulty[50:100], status=502)
    twilio.drop_first_answer_to(*faulty[100:])
    twilio.script(RateLimit(0), Delay(2.5), RateLimit(0))

    process = start(world)
    target = chance.uniform(5, 1500)
    deadline = time.monotonic() + 30
    while len(twilio.messages()) < target and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    code, doc = finish(start(world))
    held_request_done(twilio)
    counts = sms_counts(world)
    assert max(counts.values()) == 1, "someone got the SMS twice"
    uncertain = {item["recipient"] for item in doc["uncertain"]}
    missing = {n for n in NUMBERS if counts[n] == 0}
    assert {"…" + n[-4:] for n in missing} <= uncertain  # lost only where named
    assert code == (1 if uncertain else 0)
