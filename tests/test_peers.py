"""The local Twilio and X peers, exercised through the real twilio and tweepy SDKs.

These tests pin down two things at once: that the peers speak the providers' documented wire
format well enough for the unmodified SDKs, and how those SDKs surface each outcome (return
values, exception types and attributes) - which is what broadcast's senders will rely on.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import tweepy
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient

from tests.peers.base import (
    JOIN_TIMEOUT,
    DropConnection,
    IncomingRequest,
    PeerError,
    RateLimit,
    Reply,
    ServerError,
)
from tests.peers.fixtures import (
    CLIENT_TIMEOUT,
    NO_EDGE_OR_REGION,
    make_twilio_client,
    make_x_client,
)
from tests.peers.twilio_api import HeaderKeepingHttpClient, TwilioAPIServer, sms_segments
from tests.peers.x_api import DUPLICATE_DETAIL, REPLY_DETAIL, LocalRedirectAdapter, XAPIServer

SENDER = "+15005550006"
RECIPIENT = "+15551230001"


# -- Twilio ------------------------------------------------------------------------------------


def test_twilio_create_returns_message_resource_and_server_records_it(
    twilio_server: TwilioAPIServer, twilio_client: TwilioClient
) -> None:
    message = twilio_client.messages.create(
        to=RECIPIENT,
        from_=SENDER,
        body="Water main break on Elm St.",
        status_callback="https://example.org/status",
    )

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert (message.to, message.from_, message.body) == (
        RECIPIENT,
        SENDER,
        "Water main break on Elm St.",
    )
    assert message.status == "queued"
    assert message.num_segments == "1"
    assert message.error_code is None
    assert message.account_sid == twilio_server.account_sid
    assert message.date_created is not None and message.date_created.tzinfo is not None
    assert message.uri == f"/2010-04-01/Accounts/{message.account_sid}/Messages/{message.sid}.json"

    [sent] = twilio_server.messages()
    assert sent.sid == message.sid
    assert (sent.to, sent.from_, sent.body) == (RECIPIENT, SENDER, "Water main break on Elm St.")
    assert sent.status_callback == "https://example.org/status"
    assert sent.messaging_service_sid is None
    assert sent.auth_user == twilio_server.account_sid

    [request] = twilio_server.requests()
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{twilio_server.account_sid}/Messages.json"
    assert request.header("content-type") == "application/x-www-form-urlencoded"
    assert request.form()["Body"] == ["Water main break on Elm St."]
    assert request.status == 201


def test_twilio_calls_create_and_fetch_a_final_status(
    twilio_server: TwilioAPIServer, twilio_client: TwilioClient
) -> None:
    twilio_server.set_call_outcome("+33100000000", "no-answer")
    twiml = '<Response><Say language="fr-FR">Bonjour</Say></Response>'
    created = twilio_client.calls.create(to="+33100000000", from_="+15005550006", twiml=twiml)
    assert created.sid.startswith("CA") and len(created.sid) == 34
    assert created.status == "queued"
    (call,) = twilio_server.calls()
    assert (call.sid, call.to, call.twiml) == (created.sid, "+33100000000", twiml)
    assert twilio_client.calls(created.sid).fetch().status == "no-answer"
    other = twilio_client.calls.create(to="+33612345678", from_="+15005550006", twiml=twiml)
    assert twilio_client.calls(other.sid).fetch().status == "completed"
    with pytest.raises(TwilioRestException) as refused:
        twilio_client.calls.create(to="+33612345678", from_="+15005550006")
    assert refused.value.code == 21205


def test_twilio_messaging_service_message_is_accepted_without_sender(
    twilio_server: TwilioAPIServer, twilio_client: TwilioClient
) -> None:
    service = "MG" + "ab" * 16
    message = twilio_client.messages.create(to=RECIPIENT, messaging_service_sid=service, body="Hi")

    assert message.status == "accepted"
    assert message.from_ is None
    assert message.messaging_service_sid == service
    assert message.num_segments == "0"
    assert twilio_server.messages()[0].messaging_service_sid == service


def test_twilio_fetch_returns_the_stored_message(twilio_client: TwilioClient) -> None:
    created = twilio_client.messages.create(to=RECIPIENT, from_=SENDER, body="fetch me")

    fetched = twilio_client.messages(created.sid).fetch()

    assert (fetched.sid, fetched.body, fetched.status) == (created.sid, "fetch me", "queued")


def test_twilio_fetch_unknown_sid_is_404_20404(twilio_client: TwilioClient) -> None:
    with pytest.raises(TwilioRestException) as caught:
        twilio_client.messages("SM" + "0" * 32).fetch()

    assert (caught.value.status, caught.value.code) == (404, 20404)


def test_twilio_wrong_auth_token_is_401_20003_and_nothing_is_sent(
    twilio_server: TwilioAPIServer,
) -> None:
    client = make_twilio_client(twilio_server, password="not-the-token")

    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=RECIPIENT, from_=SENDER, body="x")

    assert caught.value.status == 401
    assert caught.value.code == 20003
    assert "Authenticate" in caught.value.msg
    assert twilio_server.messages() == []
    assert twilio_server.statuses() == [401]
    assert twilio_server.requests()[0].reply_headers["WWW-Authenticate"].startswith("Basic")


def test_twilio_api_key_credentials_are_accepted(twilio_server: TwilioAPIServer) -> None:
    key_sid = "SK" + "cd" * 16
    twilio_server.api_keys[key_sid] = "key-secret"
    client = make_twilio_client(
        twilio_server,
        username=key_sid,
        password="key-secret",
        account_sid=twilio_server.account_sid,
    )

    client.messages.create(to=RECIPIENT, from_=SENDER, body="via API key")

    assert twilio_server.messages()[0].auth_user == key_sid


@pytest.mark.parametrize(
    ("rule", "code", "fragment"),
    [
        ("mark_invalid", 21211, "is not a valid phone number"),
        ("mark_unsubscribed", 21610, "unsubscribed recipient"),
        ("mark_not_mobile", 21614, "not a valid mobile number"),
        ("mark_unreachable", 21612, "not currently reachable"),
    ],
)
def test_twilio_per_number_rules_raise_documented_codes(
    twilio_server: TwilioAPIServer,
    twilio_client: TwilioClient,
    rule: str,
    code: int,
    fragment: str,
) -> None:
    getattr(twilio_server, rule)("+15557654321")

    with pytest.raises(TwilioRestException) as caught:
        twilio_client.messages.create(to="+15557654321", from_=SENDER, body="x")

    assert (caught.value.status, caught.value.code) == (400, code)
    assert caught.value.msg.startswith("Unable to create record: ")
    assert fragment in caught.value.msg
    # Other recipients are unaffected by the rule.
    twilio_client.messages.create(to=RECIPIENT, from_=SENDER, body="x")
    assert [m.to for m in twilio_server.messages()] == [RECIPIENT]


@pytest.mark.parametrize(
    ("number", "code"),
    [("+15005550001", 21211), ("+15005550004", 21610), ("+15005550009", 21614)],
)
def test_twilio_documented_magic_numbers(
    twilio_client: TwilioClient, number: str, code: int
) -> None:
    with pytest.raises(TwilioRestException) as caught:
        twilio_client.messages.create(to=number, from_=SENDER, body="x")

    assert caught.value.code == code


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"to": "", "from_": SENDER, "body": "x"}, 21604),
        ({"to": RECIPIENT, "body": "x"}, 21603),
        ({"to": RECIPIENT, "from_": SENDER}, 21602),
        ({"to": RECIPIENT, "from_": SENDER, "body": "x" * 1601}, 21617),
        ({"to": "555-0100", "from_": SENDER, "body": "x"}, 21211),
    ],
)
def test_twilio_request_validation_codes(
    twilio_server: TwilioAPIServer, twilio_client: TwilioClient, kwargs: dict[str, str], code: int
) -> None:
    with pytest.raises(TwilioRestException) as caught:
        twilio_client.messages.create(**kwargs)

    assert (caught.value.status, caught.value.code) == (400, code)
    assert twilio_server.messages() == []


def test_twilio_429_retry_after_is_only_reachable_through_the_http_client(
    twilio_server: TwilioAPIServer,
) -> None:
    http_client = HeaderKeepingHttpClient(timeout=5)
    client = make_twilio_client(twilio_server, http_client=http_client)
    twilio_server.rate_limit_next(retry_after=7)

    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=RECIPIENT, from_=SENDER, body="x")

    assert (caught.value.status, caught.value.code) == (429, 20429)
    assert not hasattr(caught.value, "headers")  # the SDK drops them...
    assert http_client.retry_after() == 7.0  # ...but the http_client saw the response
    assert http_client.last_response is not None
    assert http_client.last_response.status_code == 429


def test_twilio_500_burst_then_success(
    twilio_server: TwilioAPIServer, twilio_client: TwilioClient
) -> None:
    twilio_server.fail_next(500, times=2)
    failures = []
    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            twilio_client.messages.create(to=RECIPIENT, from_=SENDER, body="retry me")
        failures.append((caught.value.status, caught.value.code))

    message = twilio_client.messages.create(to=RECIPIENT, from_=SENDER, body="retry me")

    assert failures == [(500, 20500), (500, 20500)]
    assert twilio_server.statuses() == [500, 500, 201]
    assert [m.sid for m in twilio_server.messages()] == [message.sid]


def test_twilio_non_json_gateway_error_falls_back_to_http_status_as_code(
    twilio_server: TwilioAPIServer, twilio_client: TwilioClient
) -> None:
    twilio_server.script(ServerError(502), ServerError(503))

    with pytest.raises(TwilioRestException) as bad_gateway:
        twilio_client.messages.create(to=RECIPIENT, from_=SENDER, body="x")
    with pytest.raises(TwilioRestException) as unavailable:
        twilio_client.messages.create(to=RECIPIENT, from_=SENDER, body="x")

    assert (bad_gateway.value.status, bad_gateway.value.code) == (502, 502)
    assert bad_gateway.value.msg == "Unable to create record"
    assert (unavailable.value.status, unavailable.value.code) == (503, 20503)


def test_twilio_dropped_connection_raises_requests_connection_error(
    twilio_server: TwilioAPIServer, twilio_client: TwilioClient
) -> None:
    twilio_server.drop_next()

    with pytest.raises(requests.exceptions.ConnectionError):
        twilio_client.messages.create(to=RECIPIENT, from_=SENDER, body="x")
    twilio_client.messages.create(to=RECIPIENT, from_=SENDER, body="x")

    assert twilio_server.statuses() == [None, 201]
    assert twilio_server.requests()[0].scripted == repr(DropConnection())
    assert len(twilio_server.messages()) == 1


def test_twilio_delay_beyond_client_timeout_raises_read_timeout(
    twilio_server: TwilioAPIServer,
) -> None:
    client = make_twilio_client(twilio_server, timeout=0.2)
    # Held far past the timeout (the peer's stop wakes it): a loaded machine that reads the
    # socket late still finds no answer there.
    twilio_server.delay_next(30.0)

    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.messages.create(to=RECIPIENT, from_=SENDER, body="x")

    # The client's 0.2 s, not its default of 5 s (load adds a second or two, not five).
    assert time.monotonic() - started < CLIENT_TIMEOUT


def test_twilio_concurrent_sends_share_the_script_exactly(twilio_server: TwilioAPIServer) -> None:
    twilio_server.latency = 0.01
    twilio_server.fail_next(503, times=10)
    client = make_twilio_client(twilio_server)

    def send(i: int) -> str:
        try:
            return client.messages.create(to=f"+1555000{i:04d}", from_=SENDER, body=f"#{i}").sid
        except TwilioRestException as exc:
            return f"error {exc.status}"

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(send, range(60)))

    assert results.count("error 503") == 10
    sids = [r for r in results if r.startswith("SM")]
    assert len(sids) == len(set(sids)) == 50
    assert len(twilio_server.messages()) == 50
    assert len(twilio_server.requests()) == 60


def test_twilio_region_in_environment_would_bypass_the_local_server(
    twilio_server: TwilioAPIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    url = twilio_server.url + "/2010-04-01/Accounts"

    # `environment={}` is falsy, so the SDK reads os.environ and rewrites the host...
    naive = TwilioClient("ACx", "token", environment={})
    assert "ie1" in naive.get_hostname(url)
    # ...while the factory's blank-valued mapping leaves loopback URLs alone.
    guarded = make_twilio_client(twilio_server)
    assert guarded.get_hostname(url) == url
    guarded.messages.create(to=RECIPIENT, from_=SENDER, body="still local")
    assert len(twilio_server.messages()) == 1
    assert NO_EDGE_OR_REGION == {"TWILIO_EDGE": "", "TWILIO_REGION": ""}


def test_sms_segment_counting_matches_gsm7_and_ucs2_limits() -> None:
    assert sms_segments("a" * 160) == 1
    assert sms_segments("a" * 161) == 2
    assert sms_segments("€" * 80) == 1  # extension chars take two septets
    assert sms_segments("€" * 81) == 2
    assert sms_segments("ü" * 160) == 1  # in the GSM-7 basic set
    assert sms_segments("ł" * 70) == 1  # forces UCS-2
    assert sms_segments("ł" * 71) == 2


def test_twilio_plain_http_client_is_not_retried_by_the_sdk(
    twilio_server: TwilioAPIServer,
) -> None:
    client = make_twilio_client(twilio_server, http_client=TwilioHttpClient(max_retries=3))
    twilio_server.drop_next()

    with pytest.raises(requests.exceptions.ConnectionError):
        client.messages.create(to=RECIPIENT, from_=SENDER, body="x")

    # max_retries only mounts on "https://", so nothing retried the dropped POST.
    assert twilio_server.statuses() == [None]


# -- X -----------------------------------------------------------------------------------------


def test_x_create_post_returns_numeric_id_and_server_records_it(
    x_server: XAPIServer, x_client: tweepy.Client
) -> None:
    response = x_client.create_tweet(text="Shelter open at Lincoln High.")

    assert re.fullmatch(r"\d{15,19}", response.data["id"])
    assert response.data["text"] == "Shelter open at Lincoln High."
    [post] = x_server.posts()
    assert (post.id, post.text, post.in_reply_to) == (
        response.data["id"],
        "Shelter open at Lincoln High.",
        None,
    )
    [request] = x_server.requests()
    assert (request.method, request.path, request.status) == ("POST", "/2/tweets", 201)
    assert request.json() == {"text": "Shelter open at Lincoln High."}
    auth = request.header("authorization") or ""
    assert auth.startswith("OAuth ")
    assert f'oauth_consumer_key="{x_server.consumer_key}"' in auth
    # tweepy 4.17 still targets api.twitter.com; the adapter forwards the original host.
    assert request.header("x-forwarded-host") == "api.twitter.com"
    assert request.reply_headers["x-rate-limit-remaining"] == str(x_server.rate_limit - 1)


def test_x_reply_records_in_reply_to(x_server: XAPIServer, x_client: tweepy.Client) -> None:
    first = x_client.create_tweet(text="1/2 Boil-water notice for zone B.")
    second = x_client.create_tweet(
        text="2/2 Details at example.org", in_reply_to_tweet_id=first.data["id"]
    )

    assert x_server.post(second.data["id"]).in_reply_to == first.data["id"]
    assert x_server.requests()[1].json()["reply"] == {"in_reply_to_tweet_id": first.data["id"]}


def test_x_reply_to_unknown_post_is_forbidden(x_client: tweepy.Client) -> None:
    with pytest.raises(tweepy.Forbidden) as caught:
        x_client.create_tweet(text="orphan", in_reply_to_tweet_id="1234567890123456789")

    assert caught.value.api_messages == [REPLY_DETAIL]


def test_x_duplicate_text_is_403_forbidden(x_server: XAPIServer, x_client: tweepy.Client) -> None:
    x_client.create_tweet(text="Evacuate zone C now.")

    with pytest.raises(tweepy.Forbidden) as caught:
        x_client.create_tweet(text="Evacuate zone C now.")

    assert caught.value.response.status_code == 403
    assert caught.value.api_messages == [DUPLICATE_DETAIL]
    assert caught.value.response.json()["title"] == "Forbidden"
    assert len(x_server.posts()) == 1


def test_x_concurrent_identical_posts_yield_exactly_one(x_server: XAPIServer) -> None:
    client = make_x_client(x_server)
    barrier = threading.Barrier(8)

    def post(_: int) -> str:
        barrier.wait(timeout=5)
        try:
            return client.create_tweet(text="Same alert from every worker").data["id"]
        except tweepy.Forbidden:
            return "duplicate"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(post, range(8)))

    assert results.count("duplicate") == 7
    assert len(x_server.posts()) == 1


def test_x_scripted_429_exposes_rate_limit_headers(
    x_server: XAPIServer, x_client: tweepy.Client
) -> None:
    x_server.script(RateLimit(retry_after=120))
    before = int(time.time())

    with pytest.raises(tweepy.TooManyRequests) as caught:
        x_client.create_tweet(text="rate limited")

    headers = caught.value.response.headers
    assert headers["x-rate-limit-remaining"] == "0"
    assert headers["x-rate-limit-limit"] == str(x_server.rate_limit)
    reset = int(headers["x-rate-limit-reset"])
    assert before + 119 <= reset <= int(time.time()) + 121
    assert caught.value.reset_time == reset
    assert x_server.posts() == []


def test_x_quota_exhaustion_returns_429_until_window_resets() -> None:
    with XAPIServer(rate_limit=2, rate_window=60) as server:
        client = make_x_client(server)
        client.create_tweet(text="one")
        client.create_tweet(text="two")

        with pytest.raises(tweepy.TooManyRequests) as caught:
            client.create_tweet(text="three")

    assert caught.value.response.headers["x-rate-limit-remaining"] == "0"
    assert [p.text for p in server.posts()] == ["one", "two"]


def test_x_missing_oauth_header_is_401(x_server: XAPIServer) -> None:
    session = requests.Session()
    session.trust_env = False
    session.mount("https://", LocalRedirectAdapter(x_server.url, timeout=5))

    response = session.post("https://api.x.com/2/tweets", json={"text": "no auth"})

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Unauthorized",
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
    }
    assert x_server.posts() == []


@pytest.mark.parametrize(
    "override",
    [
        {"consumer_key": "someone-else"},
        {"access_token": "999-other-user"},
        {"consumer_secret": "wrong-secret"},  # only the signature can tell
        {"access_token_secret": "wrong-secret"},
    ],
)
def test_x_wrong_oauth_credentials_raise_unauthorized(
    x_server: XAPIServer, override: dict[str, str]
) -> None:
    client = make_x_client(x_server, **override)

    with pytest.raises(tweepy.Unauthorized) as caught:
        client.create_tweet(text="who am I")

    assert caught.value.response.status_code == 401
    assert x_server.posts() == []


def test_x_app_only_bearer_token_is_forbidden_for_posting(x_client: tweepy.Client) -> None:
    with pytest.raises(tweepy.Forbidden) as caught:
        x_client.create_tweet(text="bearer", user_auth=False)

    assert caught.value.response.json()["title"] == "Unsupported Authentication"


def test_x_server_error_burst_then_success(x_server: XAPIServer, x_client: tweepy.Client) -> None:
    x_server.script(ServerError(503), ServerError(500))

    with pytest.raises(tweepy.TwitterServerError) as unavailable:
        x_client.create_tweet(text="eventually")
    with pytest.raises(tweepy.TwitterServerError) as internal:
        x_client.create_tweet(text="eventually")
    response = x_client.create_tweet(text="eventually")

    assert unavailable.value.response.status_code == 503
    assert internal.value.response.status_code == 500
    assert x_server.statuses() == [503, 500, 201]
    assert [p.id for p in x_server.posts()] == [response.data["id"]]


def test_x_dropped_connection_raises_requests_connection_error(
    x_server: XAPIServer, x_client: tweepy.Client
) -> None:
    x_server.drop_next()

    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        x_client.create_tweet(text="lost")

    assert not isinstance(caught.value, tweepy.TweepyException)  # tweepy does not wrap it
    assert x_server.statuses() == [None]
    assert x_server.posts() == []


def test_x_too_long_text_is_bad_request(x_client: tweepy.Client) -> None:
    x_client.create_tweet(text="x" * 280)

    with pytest.raises(tweepy.BadRequest) as caught:
        x_client.create_tweet(text="y" * 281)

    assert "too long" in caught.value.api_messages[0]


def test_x_lookup_and_delete(x_server: XAPIServer, x_client: tweepy.Client) -> None:
    post_id = x_client.create_tweet(text="Temporary notice").data["id"]

    assert x_client.get_tweet(post_id, user_auth=True).data.text == "Temporary notice"
    assert x_client.delete_tweet(post_id).data == {"deleted": True}
    gone = x_client.get_tweet(post_id, user_auth=True)
    assert gone.data is None
    assert gone.errors[0]["title"] == "Not Found Error"
    assert x_server.deleted_ids() == {post_id}
    # Once deleted, the same text may be posted again.
    x_client.create_tweet(text="Temporary notice")


# -- shared server machinery -------------------------------------------------------------------


def test_latency_is_applied_per_request_and_requests_are_served_concurrently() -> None:
    with TwilioAPIServer(latency=0.1) as server:
        client = make_twilio_client(server)
        started = time.monotonic()
        sid = client.messages.create(to=RECIPIENT, from_=SENDER, body="one").sid
        single = time.monotonic() - started

        # Served at once, not one after another: sixteen look-ups held by the peer at the same
        # moment (a peer serving one request at a time would never hold more than one). A
        # property, not a duration: a loaded machine only takes longer to get there.
        server.hold_lookups()
        with ThreadPoolExecutor(max_workers=16) as pool:
            fetched = [
                pool.submit(lambda: make_twilio_client(server).messages(sid).fetch().status)
                for _ in range(16)
            ]
            deadline = time.monotonic() + 60
            while server.lookups_held < 16 and time.monotonic() < deadline:
                time.sleep(0.01)
            held = server.lookups_held
            server.release_lookups()
            statuses = [future.result() for future in fetched]

    assert single >= 0.1
    assert held == 16
    assert statuses == ["queued"] * 16


def test_stop_is_prompt_with_open_keep_alive_connections_and_pending_delay() -> None:
    server = TwilioAPIServer().start()
    url = server.url
    client = make_twilio_client(server, timeout=0.1)
    client.messages.create(to=RECIPIENT, from_=SENDER, body="keeps a pooled connection open")
    server.delay_next(30)
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.messages.create(to=RECIPIENT, from_=SENDER, body="held by the server")
    assert server.open_connections() >= 1

    started = time.monotonic()
    server.stop()

    # Prompt: it waited out neither the 30 s delay nor a handler's join timeout (load adds a
    # second or two, not five).
    assert time.monotonic() - started < JOIN_TIMEOUT
    assert server.open_connections() == 0
    assert not [t for t in threading.enumerate() if t.name == "twilio-peer"]
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, timeout=1)


class _BrokenPeer(TwilioAPIServer):
    def handle(self, request: IncomingRequest) -> Reply:
        raise RuntimeError("bug in the peer")


def test_a_crash_inside_the_peer_is_a_500_and_a_peer_error_on_exit() -> None:
    with pytest.raises(PeerError, match="bug in the peer"), _BrokenPeer() as server:
        with pytest.raises(TwilioRestException) as caught:
            make_twilio_client(server).messages.create(to=RECIPIENT, from_=SENDER, body="x")
        assert caught.value.status == 500
        assert len(server.internal_errors()) == 1
