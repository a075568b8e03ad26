"""The SMS adapter, through the real twilio SDK, against the local Twilio peer."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from broadcast.channels import adapter_class, sms
from broadcast.channels.base import DeliveryContext, DeliveryError, Outgoing, Target
from broadcast.channels.sms import SmsAdapter
from broadcast.content.measure import sms_measure
from broadcast.input.config import SmsChannel
from tests.conftest import NOW
from tests.peers.base import IncomingRequest, Reply, ServerError
from tests.peers.twilio_api import TwilioAPIServer

SENDER = "+15005550006"
RECIPIENT = "+33612345678"
SERVICE = "MG" + "ab" * 16
SECRET = "s3cret-auth-token-7Hq"

MakeAdapter = Callable[..., SmsAdapter]


def text(body: str) -> Outgoing:
    return Outgoing(channel="sms", parts={"text": body})


@pytest.fixture
def make_adapter(tmp_path: Path) -> Iterator[MakeAdapter]:
    made: list[SmsAdapter] = []

    def make(
        server: TwilioAPIServer, *, auth_token: str | None = None, **fields: Any
    ) -> SmsAdapter:
        data: dict[str, Any] = {
            "type": "sms",
            "from": SENDER,
            "recipients": "contacts.csv",
            "account_sid": "${TWILIO_ACCOUNT_SID}",
            "auth_token": "${TWILIO_AUTH_TOKEN}",
            "api_base_url": server.url,
            **fields,
        }
        config = SmsChannel.model_validate({k: v for k, v in data.items() if v is not None})
        credentials = {
            "account_sid": server.account_sid,
            "auth_token": auth_token or server.auth_token,
        }
        adapter = SmsAdapter("sms", config, credentials, DeliveryContext(tmp_path, NOW))
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        adapter.close()


@pytest.fixture
def server() -> Iterator[TwilioAPIServer]:
    with TwilioAPIServer(auth_token=SECRET) as peer:
        yield peer


def failure(adapter: SmsAdapter, to: str = RECIPIENT, body: str = "Coupure") -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        adapter.deliver(text(body), Target(to))
    assert SECRET not in str(caught.value)
    assert SECRET not in caught.value.message
    return caught.value


def test_the_registry_finds_the_adapter() -> None:
    assert adapter_class("sms") is SmsAdapter
    assert (SmsAdapter.recipient_kind, SmsAdapter.default_concurrency) == ("phone", 10)
    assert SmsAdapter.default_rate == 1.0


def test_delivery_returns_the_sid_and_twilio_gets_every_field(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(server, status_callback="https://example.org/sms-status")

    sid = adapter.deliver(text("Coupure de courant à Lille."), Target(RECIPIENT, name="Ana"))

    [sent] = server.messages()
    assert sid == sent.sid and sid.startswith("SM")
    assert (sent.to, sent.from_, sent.body) == (RECIPIENT, SENDER, "Coupure de courant à Lille.")
    assert sent.status_callback == "https://example.org/sms-status"
    assert sent.messaging_service_sid is None
    [request] = server.requests()
    assert request.path == f"/2010-04-01/Accounts/{server.account_sid}/Messages.json"
    scheme, _, encoded = (request.header("authorization") or "").partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == f"{server.account_sid}:{SECRET}"


def test_no_status_callback_is_sent_when_none_is_configured(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    make_adapter(server).deliver(text("x"), Target(RECIPIENT))

    assert "StatusCallback" not in server.requests()[0].form()


def test_messaging_service_replaces_the_sender(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(server, **{"from": None, "messaging_service_sid": SERVICE})

    sid = adapter.deliver(text("Coupure"), Target(RECIPIENT))

    [sent] = server.messages()
    assert (sent.sid, sent.messaging_service_sid, sent.from_) == (sid, SERVICE, None)
    assert "From" not in server.requests()[0].form()


def test_one_client_serves_successive_deliveries_on_one_connection(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(server)
    assert server.requests() == []  # nothing is opened before the first delivery

    sids = [adapter.deliver(text(f"#{i}"), Target(RECIPIENT)) for i in range(3)]

    assert len(set(sids)) == 3
    assert server.open_connections() == 1  # keep-alive: the session is reused
    adapter.close()
    adapter.close()  # twice is harmless


# In a fresh interpreter: one SMS and one call through ``TwilioAccount``, then the SDK's whole
# API through ``Client.api``, as a process that needs both would.
ONLY_THE_REQUESTS = """
import json
import sys
from twilio.rest import Client
from broadcast.channels.twilio_client import TwilioAccount

sid, token, url = sys.argv[1:]
account = TwilioAccount(Client(sid, token), url + "/")
to = {"To": "+33612345678", "From": "+15005550006"}
sent = account.messages.create({**to, "Body": "Coupure"})
called = account.calls.create({**to, "Twiml": "<Response/>"})
print("SENT", sent["sid"], sent["body"], called["sid"])
print("LOADED", json.dumps([m for m in sys.modules if m.startswith("twilio.rest.api")]))
whole = account.client.api.v2010.account
print("WHOLE", type(whole.messages).__name__, type(whole.queues).__name__)
"""


def test_a_send_loads_none_of_the_sdks_generated_api(server: TwilioAPIServer) -> None:
    """The SDK's package for its 2010 API imports all of it (91 modules) on the way to
    Messages; the account talks to the API through ``Client.request`` alone, and
    ``Client.api`` still works whole afterwards."""
    done = subprocess.run(
        [sys.executable, "-c", ONLY_THE_REQUESTS, server.account_sid, SECRET, server.url],
        capture_output=True,
        text=True,
        env={**os.environ, "TWILIO_EDGE": "", "TWILIO_REGION": ""},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    said = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    [message], [call] = server.messages(), server.calls()
    assert said["SENT"] == f"{message.sid} Coupure {call.sid}"
    assert json.loads(said["LOADED"]) == []
    assert said["WHOLE"] == "MessageList QueueList"


# In a fresh interpreter: whenever the SMS and voice adapters' loading and first deliveries
# look for a module, the probe says whether a module of twilio's sits in sys.modules without
# having run (what another thread importing it then would be given); afterwards, another
# thread imports ``twilio.rest.api`` and says whether it got the whole module.
IMPORT_WHILE_LOADING = """
import ast
import functools
import importlib
import json
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

from broadcast.channels.base import DeliveryContext, Outgoing, Target
from broadcast.channels.sms import SmsAdapter
from broadcast.channels.voice import VoiceAdapter
from broadcast.input.config import SmsChannel, VoiceChannel

sid, token, url = sys.argv[1:]
seen = []
main = threading.get_ident()
loading = threading.Event()


def probe(where):
    try:
        api = importlib.import_module("twilio.rest.api")
        seen.append((where, hasattr(api, "ApiBase")))
    except Exception as exc:
        seen.append((where, repr(exc)))


# What a module holds before its code has run: what importlib puts there itself.
BARE = {"__name__", "__doc__", "__package__", "__loader__", "__spec__", "__path__", "__file__",
        "__cached__", "__builtins__"}


@functools.cache
def has_code(origin):
    # An empty package (twilio.base's __init__) has nothing to run.
    if not origin or not origin.endswith(".py"):
        return False
    body = ast.parse(Path(origin).read_text()).body
    return any(not isinstance(n, ast.Expr) for n in body)


class ProbeOnEveryImport:
    # A module of twilio in sys.modules whose code has not run, and that is not being run (an
    # import in progress is marked initializing, and makes another thread wait for it), is
    # what another thread importing it would be given: an empty module. Looked at here, at
    # every import this thread makes, without a thread (one would wait on the import lock
    # this thread holds while it looks for a module).
    def find_spec(self, name, path=None, target=None):
        if loading.is_set() and threading.get_ident() == main:
            for loaded, module in list(sys.modules.items()):
                spec = getattr(module, "__spec__", None)
                if (
                    loaded.startswith("twilio")
                    and set(vars(module)) <= BARE
                    and not getattr(spec, "_initializing", False)
                    and has_code(getattr(spec, "origin", None))
                ):
                    seen.append((f"{name}: {loaded}", "not run"))
            seen.append((name, True))
        return None


fields = {"from": "+15005550006", "recipients": "contacts.csv", "api_base_url": url}
fields.update(account_sid="${TWILIO_ACCOUNT_SID}", auth_token="${TWILIO_AUTH_TOKEN}")
context = DeliveryContext(Path(tempfile.mkdtemp()), datetime.now(UTC))
credentials = {"account_sid": sid, "auth_token": token}
texts = SmsAdapter(
    "sms", SmsChannel.model_validate({"type": "sms", **fields}), credentials, context
)
calls = VoiceAdapter(
    "voice", VoiceChannel.model_validate({"type": "voice", **fields}), credentials, context
)
message = Outgoing(channel="sms", parts={"text": "Coupure"})
sys.meta_path.insert(0, ProbeOnEveryImport())
loading.set()
sent = texts.deliver(message, Target("+33612345678"))
called = calls.deliver(message, Target("+33612345678"))
loading.clear()
other = threading.Thread(target=probe, args=("another thread",))
other.start()
other.join(30)
probe("after")
print("SEEN", json.dumps(seen))
print("SENT", sent, called)
"""


def test_a_thread_importing_twilios_api_while_the_account_loads_gets_the_whole_module(
    server: TwilioAPIServer,
) -> None:
    """Nothing the Twilio adapters do puts a module that has not run into ``sys.modules``: a
    thread importing ``twilio.rest.api`` at any moment of their loading gets ``ApiBase``."""
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_WHILE_LOADING, server.account_sid, SECRET, server.url],
        capture_output=True,
        text=True,
        env={**os.environ, "TWILIO_EDGE": "", "TWILIO_REGION": ""},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    said = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    seen = json.loads(said["SEEN"])
    assert [(where, whole) for where, whole in seen if whole is not True] == []
    assert {"another thread", "after"} <= {where for where, _ in seen}
    assert len(seen) > 3  # the probe looked while the adapters loaded and sent
    [message], [call] = server.messages(), server.calls()
    assert said["SENT"] == f"{message.sid} {call.sid}"


@pytest.mark.parametrize(
    ("number", "code", "words"),
    [
        ("+15005550001", "21211", "not a valid phone number"),
        ("+15005550004", "21610", "unsubscribed"),
        ("+15005550009", "21614", "not a mobile number"),
        ("+15005550002", "21612", "cannot be reached"),
        ("+15005550003", "21408", "country"),
    ],
)
def test_refused_numbers_are_permanent_with_twilio_code(
    server: TwilioAPIServer, make_adapter: MakeAdapter, number: str, code: str, words: str
) -> None:
    error = failure(make_adapter(server), to=number)

    assert (error.code, error.transient, error.retry_after) == (code, False, None)
    assert words in error.message
    assert server.messages() == []


@pytest.mark.parametrize(("sender", "code"), [("+15005550007", "21606"), ("bad sender!", "21212")])
def test_refused_senders_are_permanent(
    server: TwilioAPIServer, make_adapter: MakeAdapter, sender: str, code: str
) -> None:
    error = failure(make_adapter(server, **{"from": sender}))

    assert (error.code, error.transient) == (code, False)
    assert "sender" in error.message


class _OddErrorPeer(TwilioAPIServer):
    """Answers with a Twilio error the adapter has no words for, quoting the auth token."""

    def handle(self, request: IncomingRequest) -> Reply:
        payload = {"code": 21999, "message": f"Odd refusal for {SECRET}", "status": 400}
        return Reply.json(400, payload)


def test_an_unlisted_400_is_permanent_in_twilios_words_without_the_token(
    make_adapter: MakeAdapter,
) -> None:
    with _OddErrorPeer(auth_token=SECRET) as odd:
        error = failure(make_adapter(odd))

    assert (error.code, error.transient) == ("21999", False)
    assert error.message == "Odd refusal for ***"


def test_rate_limit_is_transient_with_the_retry_after_header(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    server.rate_limit_next(retry_after=7)

    error = failure(make_adapter(server))

    assert (error.code, error.transient, error.retry_after) == ("20429", True, 7.0)


def test_a_full_sender_queue_is_transient(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    error = failure(make_adapter(server, **{"from": "+15005550008"}))

    assert (error.code, error.transient) == ("21611", True)


@pytest.mark.parametrize(("status", "code"), [(500, "20500"), (503, "20503"), (502, "502")])
def test_server_errors_are_transient_and_the_next_try_succeeds(
    server: TwilioAPIServer, make_adapter: MakeAdapter, status: int, code: str
) -> None:
    adapter = make_adapter(server)
    server.script(ServerError(status))

    error = failure(adapter)
    sid = adapter.deliver(text("Coupure"), Target(RECIPIENT))

    assert (error.code, error.transient, error.retry_after) == (code, True, None)
    assert [m.sid for m in server.messages()] == [sid]


def test_a_rate_limit_answer_does_not_linger_into_the_next_error(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(server)
    server.rate_limit_next(retry_after=30)
    server.drop_next()

    assert failure(adapter).retry_after == 30.0
    assert failure(adapter).retry_after is None


def test_a_dropped_connection_is_transient(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    server.drop_next()

    error = failure(make_adapter(server))

    assert (error.code, error.transient) == ("connection", True)
    assert server.statuses() == [None]


def test_a_silent_server_times_out_as_transient_and_maybe_sent(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    # Held far past the timeout (the peer's stop wakes it): a loaded machine that reads the
    # socket late still finds no answer there.
    server.delay_next(30.0)

    error = failure(make_adapter(server, timeout=0.2))  # the channel's own timeout setting

    assert (error.code, error.transient, error.maybe_sent) == ("timeout", True, True)
    assert "0.2 s" in error.message


def test_a_wrong_auth_token_is_permanent_and_never_shown(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    wrong = "wrong-token-Zx81"

    with pytest.raises(DeliveryError) as caught:
        make_adapter(server, auth_token=wrong).deliver(text("x"), Target(RECIPIENT))

    error = caught.value
    assert (error.code, error.transient, error.channel_fault) == ("20003", False, True)
    assert "credentials refused (HTTP 401)" in error.message
    assert wrong not in str(error) and SECRET not in str(error)
    assert server.messages() == []


def test_twilio_region_in_the_environment_does_not_rewrite_the_base_url(
    server: TwilioAPIServer, make_adapter: MakeAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_EDGE", "dublin")

    make_adapter(server).deliver(text("toujours en local"), Target(RECIPIENT))

    assert [m.body for m in server.messages()] == ["toujours en local"]


@pytest.mark.parametrize("body", ["Coupure", "a" * 160, "a" * 161, "€" * 81, "ł" * 70, "ł" * 140])
def test_cost_is_the_number_of_segments(
    server: TwilioAPIServer, make_adapter: MakeAdapter, body: str
) -> None:
    adapter = make_adapter(server)

    assert adapter.cost(text(body)) == sms_measure(body).segments
    adapter.deliver(text(body), Target(RECIPIENT))
    assert server.messages()[0].num_segments == adapter.cost(text(body))


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert sms.parse_retry_after("12") == 12.0
    assert sms.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert sms.parse_retry_after("soon") is None


def test_a_greeted_text_carries_the_name_as_the_channel_spells_it(
    make_adapter: MakeAdapter, server: TwilioAPIServer
) -> None:
    from broadcast.content.greeting import NAME_SLOT, mark_greeting

    greeted = "Énergie Nord : " + mark_greeting(f"Bonjour{NAME_SLOT}, ") + "Coupure à Lille."
    adapter = make_adapter(server, personalise=True, transliterate=True)
    # "Zoë" folded to GSM-7 as the rest of the text was, so the text stays GSM-7 and the
    # lookup after a lost answer finds what Twilio was given.
    target = Target(RECIPIENT, name="Zoë Martin")
    assert adapter.body(text(greeted), target) == "Énergie Nord : Bonjour Zoe, Coupure à Lille."
    assert adapter.cost(text(greeted), target) == 1
    sid = adapter.deliver(text(greeted), target)
    [sent] = server.messages()
    assert sent.body == "Énergie Nord : Bonjour Zoe, Coupure à Lille."
    assert adapter.find_sent(text(greeted), target, NOW) == sid
    # No name: the text without its greeting.
    assert adapter.body(text(greeted), Target(RECIPIENT)) == "Énergie Nord : Coupure à Lille."
