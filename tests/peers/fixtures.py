"""pytest fixtures and SDK client factories for the local Twilio and X peers.

Nothing here is auto-registered (there is deliberately no ``conftest.py`` in this package);
test modules import the fixtures they use::

    from tests.peers.fixtures import twilio_client, twilio_server  # noqa: F401

Fixtures (all function-scoped, servers stopped on teardown):

* ``twilio_server`` - a running :class:`~tests.peers.twilio_api.TwilioAPIServer` (default creds).
* ``twilio_client`` - a real ``twilio.rest.Client`` aimed at ``twilio_server``.
* ``x_server`` - a running :class:`~tests.peers.x_api.XAPIServer` (default creds).
* ``x_client`` - a real ``tweepy.Client`` whose session is redirected to ``x_server``.
* ``webhook_server`` - a running :class:`~tests.peers.webhooks.WebhookServer` (Apprise's targets).
* ``graph_server`` - a running :class:`~tests.peers.graph_api.GraphAPIServer` (a Page's feed).

The ``make_*_client`` factories build further clients (other credentials, a custom
``http_client``) against a given server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import tweepy
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient

from .graph_api import GraphAPIServer
from .twilio_api import TwilioAPIServer
from .webhooks import WebhookServer
from .x_api import XAPIServer, redirect_session

CLIENT_TIMEOUT = 5.0

# twilio's ClientBase does ``environment or os.environ``: an empty mapping still reads the real
# environment, and TWILIO_EDGE / TWILIO_REGION there would rewrite "127.0.0.1" as if it were
# "api.twilio.com". A non-empty mapping with blank values switches both off.
NO_EDGE_OR_REGION = {"TWILIO_EDGE": "", "TWILIO_REGION": ""}


def make_twilio_client(
    server: TwilioAPIServer,
    *,
    username: str | None = None,
    password: str | None = None,
    account_sid: str | None = None,
    http_client: TwilioHttpClient | None = None,
    timeout: float = CLIENT_TIMEOUT,
) -> TwilioClient:
    """A real twilio ``Client`` whose Api domain (Messages live there) targets ``server``.

    ``username``/``password`` default to the server's account SID and auth token.
    The SDK does not retry (its only retry knob mounts on ``https://``, unused here).
    """
    http_client = http_client or TwilioHttpClient(timeout=timeout)
    if http_client.session is not None:
        http_client.session.trust_env = False  # no proxies or .netrc for loopback traffic
    client = TwilioClient(
        username or server.account_sid,
        password or server.auth_token,
        account_sid=account_sid,
        http_client=http_client,
        environment=NO_EDGE_OR_REGION,
    )
    client.api.base_url = server.url
    return client


def make_x_client(
    server: XAPIServer,
    *,
    consumer_key: str | None = None,
    consumer_secret: str | None = None,
    access_token: str | None = None,
    access_token_secret: str | None = None,
    bearer_token: str | None = None,
    timeout: float = CLIENT_TIMEOUT,
) -> tweepy.Client:
    """A real ``tweepy.Client`` (no waiting on rate limits) redirected to ``server``."""
    client = tweepy.Client(
        bearer_token=bearer_token,
        consumer_key=consumer_key or server.consumer_key,
        consumer_secret=consumer_secret or server.consumer_secret,
        access_token=access_token or server.access_token,
        access_token_secret=access_token_secret or server.access_token_secret,
        wait_on_rate_limit=False,
    )
    client.session.trust_env = False
    redirect_session(client.session, server.url, timeout=timeout)
    return client


@pytest.fixture
def twilio_server() -> Iterator[TwilioAPIServer]:
    with TwilioAPIServer() as server:
        yield server


@pytest.fixture
def twilio_client(twilio_server: TwilioAPIServer) -> TwilioClient:
    return make_twilio_client(twilio_server)


@pytest.fixture
def x_server() -> Iterator[XAPIServer]:
    with XAPIServer() as server:
        yield server


@pytest.fixture
def x_client(x_server: XAPIServer) -> tweepy.Client:
    return make_x_client(x_server)


@pytest.fixture
def graph_server() -> Iterator[GraphAPIServer]:
    with GraphAPIServer() as server:
        yield server


@pytest.fixture
def webhook_server() -> Iterator[WebhookServer]:
    with WebhookServer() as server:
        yield server
