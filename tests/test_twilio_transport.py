"""The SMS and voice channels' HTTP transport (``twilio_client.RetryAfterHttpClient``: the SDK's
``HttpClient`` over urllib3), through the real SDK client, against the local Twilio peer.

What a failure means for a send is read from the moment it happened: a connection that never
opened sent nothing (retried as it is); a request that left and got no answer, or lost its
answer, may have been taken (looked up). The transport keeps requests' behaviour where a send
relies on it: the environment's proxies, one kept-alive connection per worker, the SDK's logs
without the credentials, its ``last_request`` and ``last_response``.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from broadcast.channels import wire
from broadcast.channels.base import Answer, DeliveryContext, DeliveryError, Outgoing, Target
from broadcast.channels.sms import SmsAdapter
from broadcast.input.config import SmsChannel
from tests.conftest import NOW
from tests.peers.twilio_api import TwilioAPIServer
from tests.smtp_peer import make_certificate

SENDER = "+15005550006"
RECIPIENT = "+33612345678"
SECRET = "s3cret-auth-token-9Kz"

MakeAdapter = Callable[..., SmsAdapter]


def text(body: str) -> Outgoing:
    return Outgoing(channel="sms", parts={"text": body})


@pytest.fixture
def server() -> Iterator[TwilioAPIServer]:
    with TwilioAPIServer(auth_token=SECRET) as peer:
        yield peer


@pytest.fixture
def make_adapter(tmp_path: Path) -> Iterator[MakeAdapter]:
    made: list[SmsAdapter] = []

    def make(server: TwilioAPIServer, **fields: Any) -> SmsAdapter:
        data: dict[str, Any] = {
            "type": "sms",
            "from": SENDER,
            "recipients": "contacts.csv",
            "account_sid": "${TWILIO_ACCOUNT_SID}",
            "auth_token": "${TWILIO_AUTH_TOKEN}",
            "api_base_url": server.url,
            **fields,
        }
        config = SmsChannel.model_validate(data)
        credentials = {"account_sid": server.account_sid, "auth_token": server.auth_token}
        adapter = SmsAdapter("sms", config, credentials, DeliveryContext(tmp_path, NOW))
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        adapter.close()


def failure(adapter: SmsAdapter) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        adapter.deliver(text("Coupure"), Target(RECIPIENT))
    assert SECRET not in str(caught.value)
    return caught.value


def closed_port() -> int:
    """A port nothing listens on (free once the probe closes)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_connection_refused_before_anything_left_is_not_taken(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(server, api_base_url=f"http://127.0.0.1:{closed_port()}")

    error = failure(adapter)

    assert (error.code, error.transient) == ("connection", True)
    assert error.answer is Answer.NOT_TAKEN  # retried as it is, no lookup
    assert not error.answered


@pytest.mark.parametrize("fault", ["drop_next", "accept_then_drop_next"])
def test_a_connection_lost_after_the_request_left_is_maybe_sent(
    server: TwilioAPIServer, make_adapter: MakeAdapter, fault: str
) -> None:
    getattr(server, fault)()

    error = failure(make_adapter(server))

    assert (error.code, error.transient, error.maybe_sent) == ("connection", True, True)
    assert not error.answered
    assert len(server.requests()) == 1  # it reached Twilio: looked up, never sent blindly


def test_a_5xx_is_maybe_sent_and_a_4xx_is_not(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(server)
    server.accept_then_fail_next(502)
    assert failure(adapter).maybe_sent

    with pytest.raises(DeliveryError) as caught:
        adapter.deliver(text("Coupure"), Target("+15005550009"))  # not a mobile: 21614

    assert (caught.value.code, caught.value.maybe_sent) == ("21614", False)


def test_each_worker_thread_keeps_its_own_connection(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(server)
    ready = threading.Barrier(3)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            ready.wait(5)
            for i in range(4):
                adapter.deliver(text(f"{n}-{i}"), Target(RECIPIENT))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert len(server.messages()) == 12
    assert server.open_connections() == 3  # one kept alive per thread, none opened per message
    adapter.close()
    assert wait_for(lambda: server.open_connections() == 0)  # close reaches every thread's


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_the_connection_does_not_wait_for_delayed_acks(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(server)
    adapter.deliver(text("x"), Target(RECIPIENT))

    sockets = [
        connection.sock
        for manager in adapter._http_client._managers  # type: ignore[union-attr]
        for pool in manager.pools._container.values()
        for connection in list(pool.pool.queue)
        if connection is not None and connection.sock is not None
    ]

    assert len(sockets) == 1
    assert sockets[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_the_gate_opens_before_the_bytes_leave_and_closes_at_the_answer(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(server)
    adapter.open()
    seen: list[tuple[str, int]] = []
    gate = wire.Gate(
        lambda: seen.append(("leave", len(server.requests()))),
        lambda: seen.append(("back", len(server.requests()))),
    )

    with wire.gated(gate):
        adapter.deliver(text("x"), Target(RECIPIENT))

    assert seen == [("leave", 0), ("back", 1)]


def test_a_failed_request_still_closes_the_gate_once(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(server, api_base_url=f"http://127.0.0.1:{closed_port()}")
    seen: list[str] = []

    with wire.gated(wire.Gate(lambda: seen.append("leave"), lambda: seen.append("back"))):
        failure(adapter)

    assert seen == ["leave", "back"]


class _ForwardingProxy(BaseHTTPRequestHandler):
    """A plain HTTP proxy: the absolute URL it is asked for, forwarded and answered."""

    seen: list[tuple[str, str | None]]

    def _forward(self) -> None:
        self.seen.append((self.path, self.headers.get("Proxy-Authorization")))
        target = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        headers = {k: v for k, v in self.headers.items() if not k.lower().startswith("proxy-")}
        path = target.path + (f"?{target.query}" if target.query else "")
        upstream.request(self.command, path, body=body or None, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = _forward

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    seen: list[tuple[str, str | None]] = []
    handler = type("Proxy", (_ForwardingProxy,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def test_the_environments_proxy_carries_the_requests(
    server: TwilioAPIServer,
    make_adapter: MakeAdapter,
    proxy: tuple[str, list[tuple[str, str | None]]],
    no_proxy_environment: pytest.MonkeyPatch,
) -> None:
    address, seen = proxy
    host = urlsplit(address).netloc
    no_proxy_environment.setenv("HTTP_PROXY", f"http://relay:pa%40ss@{host}")
    adapter = make_adapter(server)

    sid = adapter.deliver(text("par le relais"), Target(RECIPIENT))
    status = adapter.delivery_status(sid)

    assert status.provider_id == sid
    assert [path for path, _ in seen] == [
        f"{server.url}/2010-04-01/Accounts/{server.account_sid}/Messages.json",
        f"{server.url}/2010-04-01/Accounts/{server.account_sid}/Messages/{sid}.json",
    ]
    expected = "Basic " + base64.b64encode(b"relay:pa@ss").decode()
    assert {authorization for _, authorization in seen} == {expected}
    assert [m.body for m in server.messages()] == ["par le relais"]


def test_no_proxy_in_the_environment_goes_direct(
    server: TwilioAPIServer,
    make_adapter: MakeAdapter,
    proxy: tuple[str, list[tuple[str, str | None]]],
    no_proxy_environment: pytest.MonkeyPatch,
) -> None:
    address, seen = proxy
    no_proxy_environment.setenv("HTTP_PROXY", address)
    no_proxy_environment.setenv("NO_PROXY", "127.0.0.1")

    make_adapter(server).deliver(text("en direct"), Target(RECIPIENT))

    assert seen == []
    assert [m.body for m in server.messages()] == ["en direct"]


def test_the_sdks_log_lines_at_info_never_carry_the_credentials(
    server: TwilioAPIServer, make_adapter: MakeAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = make_adapter(server)
    basic = base64.b64encode(f"{server.account_sid}:{SECRET}".encode()).decode()

    with caplog.at_level(logging.INFO, logger="twilio.http_client"):
        adapter.deliver(text("journal"), Target(RECIPIENT))

    said = "\n".join(record.getMessage() for record in caplog.records)
    assert "-- BEGIN Twilio API Request --" in said
    assert "Response Status Code: 201" in said
    assert SECRET not in said and basic not in said


def test_the_last_request_and_response_are_kept_as_the_sdk_keeps_them(
    server: TwilioAPIServer, make_adapter: MakeAdapter
) -> None:
    adapter = make_adapter(server)
    sid = adapter.deliver(text("gardé"), Target(RECIPIENT))
    http_client = adapter._http_client
    assert http_client is not None

    request = http_client._test_only_last_request
    response = http_client._test_only_last_response
    assert request is not None and response is not None
    assert (request.method, request.data["Body"]) == ("POST", "gardé")  # type: ignore[index]
    assert request.url.endswith("/Messages.json")  # type: ignore[union-attr]
    assert response.status_code == 201 and sid in response.text
    assert http_client.clock_offset() is not None  # read from the answer's Date


class _TlsFront:
    """TLS in front of the peer (which speaks plain HTTP): each connection's bytes piped both
    ways, so the transport meets a real certificate check."""

    def __init__(self, upstream: str, context: ssl.SSLContext) -> None:
        self.upstream = urlsplit(upstream)
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            client = self.context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()  # the client refused our certificate: nothing reaches the peer
            return
        host, port = self.upstream.hostname or "127.0.0.1", self.upstream.port or 80
        upstream = socket.create_connection((host, port))
        pipes = [
            threading.Thread(target=_pipe, args=(client, upstream), daemon=True),
            threading.Thread(target=_pipe, args=(upstream, client), daemon=True),
        ]
        for pipe in pipes:
            pipe.start()

    def close(self) -> None:
        self.listener.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.close()


@pytest.fixture
def tls_front(server: TwilioAPIServer, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    certificate = make_certificate(tmp_path / "tls")
    front = _TlsFront(server.url, certificate.server_context())
    try:
        yield front.url, certificate.cert_file
    finally:
        front.close()


def test_twilios_certificate_is_checked_against_the_environments_ca_bundle(
    server: TwilioAPIServer,
    make_adapter: MakeAdapter,
    tls_front: tuple[str, Path],
    no_proxy_environment: pytest.MonkeyPatch,
) -> None:
    url, ca_bundle = tls_front
    no_proxy_environment.setenv("REQUESTS_CA_BUNDLE", str(ca_bundle))

    sid = make_adapter(server, api_base_url=url).deliver(text("chiffré"), Target(RECIPIENT))

    assert [(m.sid, m.body) for m in server.messages()] == [(sid, "chiffré")]


def test_a_certificate_no_trusted_authority_signed_is_refused_before_anything_is_sent(
    server: TwilioAPIServer,
    make_adapter: MakeAdapter,
    tls_front: tuple[str, Path],
    no_proxy_environment: pytest.MonkeyPatch,
) -> None:
    url, _ = tls_front
    no_proxy_environment.delenv("REQUESTS_CA_BUNDLE", raising=False)
    no_proxy_environment.delenv("CURL_CA_BUNDLE", raising=False)

    error = failure(make_adapter(server, api_base_url=url))

    assert (error.code, error.transient) == ("connection", True)
    assert server.requests() == []  # the self-signed certificate stopped it at the handshake


def test_the_sdks_generated_api_works_over_the_transport(
    server: TwilioAPIServer, no_proxy_environment: pytest.MonkeyPatch
) -> None:
    """The transport is the SDK's documented ``HttpClient``: its own resources, request
    building and answer parsing, with ``client.api.base_url`` on a local server, work as they
    do over the SDK's client; a refusal comes back as the SDK's exception."""
    from twilio.base.exceptions import TwilioRestException
    from twilio.rest import Client

    from broadcast.channels.twilio_client import RetryAfterHttpClient

    http_client = RetryAfterHttpClient(timeout=5)
    client = Client(
        server.account_sid,
        server.auth_token,
        http_client=http_client,
        environment={"TWILIO_EDGE": "", "TWILIO_REGION": ""},
    )
    client.api.base_url = server.url
    try:
        sent = client.messages.create(to=RECIPIENT, from_=SENDER, body="généré")
        fetched = client.messages(sent.sid).fetch()
        listed = client.messages.list(to=RECIPIENT, limit=5)
        with pytest.raises(TwilioRestException) as refused:
            client.messages.create(to="+15005550009", from_=SENDER, body="x")
    finally:
        http_client.close()

    assert (fetched.sid, fetched.body, fetched.to) == (sent.sid, "généré", RECIPIENT)
    assert [m.sid for m in listed] == [sent.sid]
    assert (refused.value.status, refused.value.code) == (400, 21614)
    assert server.open_connections() <= 1  # every request on the one kept-alive connection


def test_a_socks_proxy_without_its_library_is_a_clear_request_error(
    server: TwilioAPIServer, make_adapter: MakeAdapter, no_proxy_environment: pytest.MonkeyPatch
) -> None:
    try:
        import socks  # noqa: F401

        pytest.skip("PySocks is installed: a SOCKS proxy would be used")
    except ImportError:
        pass
    no_proxy_environment.setenv("ALL_PROXY", "socks5://127.0.0.1:1")

    error = failure(make_adapter(server))

    assert (error.code, error.transient) == ("request", False)
    assert "SOCKS" in error.message
    assert server.requests() == []
