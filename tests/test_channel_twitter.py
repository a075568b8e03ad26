"""The X adapter, through the real tweepy SDK, against the local X API peer.

The peer verifies each request's OAuth 1.0a signature against the URL tweepy signed, so a
passing delivery proves the credentials and the redirection to ``api_base_url`` work together.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from broadcast.channels import adapter_class, twitter
from broadcast.channels.base import DeliveryContext, DeliveryError, Outgoing
from broadcast.channels.twitter import ThreadIncomplete, TwitterAdapter
from broadcast.channels.twitter_transport import TimeoutHTTPAdapter
from broadcast.input.config import TwitterChannel
from tests.conftest import NOW
from tests.peers.base import Delay, RateLimit, ServerError
from tests.peers.x_api import XAPIServer

MakeAdapter = Callable[..., TwitterAdapter]
THREAD = (
    "Coupure de courant à Lille et Roubaix depuis 8h10. 1/3",
    "Un câble a été endommagé pendant des travaux, rue de la Gare. 2/3",
    "Rétablissement prévu vers 14h. Prochain point à 12h. 3/3",
)


def post(text: str = "", *, thread: tuple[str, ...] = (), **facts: Any) -> Outgoing:
    return Outgoing(channel="twitter", parts={"text": text}, thread=thread, facts=facts)


@pytest.fixture
def make_adapter(tmp_path: Path) -> Iterator[MakeAdapter]:
    made: list[TwitterAdapter] = []

    def make(server: XAPIServer | None, **credentials: str) -> TwitterAdapter:
        data = {
            "type": "twitter",
            "consumer_key": "${X_CONSUMER_KEY}",
            "consumer_secret": "${X_CONSUMER_SECRET}",
            "access_token": "${X_ACCESS_TOKEN}",
            "access_token_secret": "${X_ACCESS_TOKEN_SECRET}",
        }
        if server is not None:
            data["api_base_url"] = server.url
        real = {
            "consumer_key": server.consumer_key if server else "key",
            "consumer_secret": server.consumer_secret if server else "secret",
            "access_token": server.access_token if server else "token",
            "access_token_secret": server.access_token_secret if server else "token-secret",
        }
        adapter = TwitterAdapter(
            "twitter",
            TwitterChannel.model_validate(data),
            {**real, **credentials},
            DeliveryContext(tmp_path, NOW),
        )
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        adapter.close()


def failure(adapter: TwitterAdapter, message: Outgoing) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        adapter.deliver(message, adapter.single_target())
    return caught.value


def test_the_registry_finds_the_adapter() -> None:
    assert adapter_class("twitter") is TwitterAdapter
    assert (TwitterAdapter.recipient_kind, TwitterAdapter.default_concurrency) == (None, 1)


def test_a_single_post_returns_its_id(x_server: XAPIServer, make_adapter: MakeAdapter) -> None:
    adapter = make_adapter(x_server)

    post_id = adapter.deliver(post("Coupure de courant à Lille."), adapter.single_target())

    [sent] = x_server.posts()
    assert (sent.id, sent.text, sent.in_reply_to) == (post_id, "Coupure de courant à Lille.", None)
    [request] = x_server.requests()
    assert (request.path, request.status) == ("/2/tweets", 201)
    assert request.header("x-forwarded-host") == "api.twitter.com"
    assert (request.header("authorization") or "").startswith("OAuth ")


def test_a_thread_is_a_chain_of_replies(x_server: XAPIServer, make_adapter: MakeAdapter) -> None:
    adapter = make_adapter(x_server)

    ids = adapter.deliver(post("ignored", thread=THREAD), adapter.single_target()).split(",")

    posts = x_server.posts()
    assert [p.id for p in posts] == ids
    assert [p.text for p in posts] == list(THREAD)
    assert [p.in_reply_to for p in posts] == [None, ids[0], ids[1]]


def test_reply_to_makes_the_head_a_reply(x_server: XAPIServer, make_adapter: MakeAdapter) -> None:
    earlier = "1859000000000000000"
    x_server.add_existing_post(earlier)
    adapter = make_adapter(x_server)

    ids = adapter.deliver(post(thread=THREAD[:2], reply_to=earlier), adapter.single_target())

    head, second = ids.split(",")
    assert x_server.post(head).in_reply_to == earlier
    assert x_server.post(second).in_reply_to == head


def test_a_duplicate_post_is_permanent(x_server: XAPIServer, make_adapter: MakeAdapter) -> None:
    adapter = make_adapter(x_server)
    adapter.deliver(post("Coupure en cours."), adapter.single_target())

    error = failure(adapter, post("Coupure en cours."))

    assert (error.code, error.transient) == ("duplicate", False)
    assert len(x_server.posts()) == 1


def test_a_reply_to_a_missing_post_is_forbidden(
    x_server: XAPIServer, make_adapter: MakeAdapter
) -> None:
    error = failure(make_adapter(x_server), post("Suite", reply_to="1234567890123456789"))

    assert (error.code, error.transient, error.channel_fault) == ("forbidden", False, False)
    assert "deleted or not visible" in error.message


def test_a_too_long_post_is_a_permanent_bad_request(
    x_server: XAPIServer, make_adapter: MakeAdapter
) -> None:
    error = failure(make_adapter(x_server), post("x" * 281))

    assert (error.code, error.transient) == ("bad_request", False)
    assert "too long" in error.message


def test_rate_limit_is_transient_until_the_reset(
    x_server: XAPIServer, make_adapter: MakeAdapter
) -> None:
    x_server.script(RateLimit(retry_after=120))

    error = failure(make_adapter(x_server), post("Coupure"))

    assert (error.code, error.transient) == ("rate_limited", True)
    assert error.retry_after is not None and 118 <= error.retry_after <= 121


def test_a_reset_already_past_still_waits_a_second(
    x_server: XAPIServer, make_adapter: MakeAdapter
) -> None:
    x_server.script(RateLimit(retry_after=0))

    assert failure(make_adapter(x_server), post("Coupure")).retry_after == 1.0


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(
    x_server: XAPIServer, make_adapter: MakeAdapter, status: int
) -> None:
    x_server.script(ServerError(status))

    error = failure(make_adapter(x_server), post("Coupure"))

    assert (error.code, error.transient) == (str(status), True)
    assert x_server.posts() == []


def test_a_dropped_connection_is_transient(x_server: XAPIServer, make_adapter: MakeAdapter) -> None:
    x_server.drop_next()

    error = failure(make_adapter(x_server), post("Coupure"))

    assert (error.code, error.transient) == ("connection", True)


def test_a_silent_api_times_out(
    x_server: XAPIServer, make_adapter: MakeAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = twitter.REQUEST_TIMEOUT
    monkeypatch.setattr(twitter, "REQUEST_TIMEOUT", 0.2)
    # Held far past any timeout (the peer's stop wakes it): a loaded machine that reads the
    # socket late still finds no answer there.
    x_server.delay_next(30.0)
    started = time.monotonic()

    error = failure(make_adapter(x_server), post("Coupure"))

    assert (error.code, error.transient) == ("timeout", True)
    # The patched timeout was the one applied, not the default (a bound far from both: a
    # loaded machine adds seconds to 0.2 s, never ten).
    assert time.monotonic() - started < default * 2 / 3


def test_without_base_url_every_request_still_has_a_timeout(make_adapter: MakeAdapter) -> None:
    client = make_adapter(None).client()

    transport = client.session.get_adapter("https://api.twitter.com/2/tweets")

    assert isinstance(transport, TimeoutHTTPAdapter)
    assert (transport.base_url, transport.timeout) == (None, twitter.REQUEST_TIMEOUT)


def test_the_timeout_transport_applies_its_default(x_server: XAPIServer) -> None:
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", TimeoutHTTPAdapter(timeout=0.2))
    x_server.delay_next(30.0)  # far past it: a late read still finds no answer

    with pytest.raises(requests.exceptions.ReadTimeout):
        session.get(x_server.url + "/2/tweets/1")
    session.close()


@pytest.mark.parametrize(
    "wrong",
    [
        {"consumer_secret": "not-the-secret"},
        {"access_token_secret": "not-the-secret"},
        {"consumer_key": "someone-else"},
    ],
)
def test_wrong_credentials_fail_the_signature_check(
    x_server: XAPIServer, make_adapter: MakeAdapter, wrong: dict[str, str]
) -> None:
    error = failure(make_adapter(x_server, **wrong), post("Coupure"))

    assert (error.code, error.transient, error.channel_fault) == ("unauthorized", False, True)
    assert "credentials refused" in error.message
    assert "not-the-secret" not in error.message
    assert x_server.posts() == []


def test_a_retry_after_post_two_fails_continues_from_post_two(
    x_server: XAPIServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(x_server)
    x_server.script(Delay(0), ServerError(503))  # post 1 goes through, post 2 hits a 503

    with pytest.raises(ThreadIncomplete) as caught:
        adapter.deliver(post(thread=THREAD), adapter.single_target())
    [head] = x_server.posts()
    error = caught.value
    assert (error.code, error.transient, error.posted) == ("503", True, (head.id,))
    assert head.id in error.message and "continues with post 2" in error.message

    ids = adapter.deliver(post(thread=THREAD), adapter.single_target()).split(",")

    posts = x_server.posts()
    assert [p.text for p in posts] == list(THREAD)  # the head was not posted twice
    assert ids == [p.id for p in posts]
    assert [p.in_reply_to for p in posts] == [None, head.id, ids[1]]
    assert x_server.statuses() == [201, 503, 201, 201]


def test_a_finished_thread_is_forgotten(x_server: XAPIServer, make_adapter: MakeAdapter) -> None:
    adapter = make_adapter(x_server)
    adapter.deliver(post(thread=THREAD), adapter.single_target())

    # Delivering it again is a new attempt, which X refuses as a duplicate.
    error = failure(adapter, post(thread=THREAD))

    assert error.code == "duplicate"
    assert len(x_server.posts()) == 3


def test_a_permanent_failure_part_way_names_what_went_out(
    x_server: XAPIServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(x_server)
    adapter.deliver(post(THREAD[1]), adapter.single_target())

    with pytest.raises(ThreadIncomplete) as caught:
        adapter.deliver(post(thread=THREAD), adapter.single_target())

    head = x_server.posts()[1]
    assert head.text == THREAD[0]
    assert (caught.value.code, caught.value.transient) == ("duplicate", False)
    assert caught.value.posted == (head.id,)
    assert head.id in str(caught.value)
