"""``broadcast serve`` end to end: a real uvicorn process on 127.0.0.1, posted to exactly as
Twilio posts (form fields, ``X-Twilio-Signature`` made by the SDK's own ``RequestValidator``
with the auth token, for the public URL Twilio calls), with the world's ledger and peers.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import NOW, REPO
from tests.world import SECRETS, World

pytestmark = pytest.mark.slow

PUBLIC_URL = "https://alerts.example.org"
TOKEN = SECRETS["TWILIO_AUTH_TOKEN"]
OUR_NUMBER = "+15005550006"
CAMILLE = "+33612345678"  # fr in the world's contacts
EMMA = "+447400123456"  # en


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def signed(url: str, form: dict[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


@dataclass
class Answer:
    status: int
    body: str
    content_type: str


@dataclass
class Serving:
    """A running ``broadcast serve`` process over a world's folder."""

    world: World
    port: int
    process: subprocess.Popen[str]
    sids: Iterator[int] = field(default_factory=lambda: iter(range(10**9)))

    def post(
        self,
        path: str,
        form: dict[str, str],
        *,
        signature: str | None = None,
        body: bytes | None = None,
        connection: http.client.HTTPConnection | None = None,
    ) -> Answer:
        own = connection is None
        connection = connection or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        payload = body if body is not None else urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature is None:
            signature = signed(PUBLIC_URL + path, form)
        if signature:
            headers["X-Twilio-Signature"] = signature
        try:
            connection.request("POST", path, body=payload, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            return Answer(response.status, text, response.getheader("content-type") or "")
        finally:
            if own:
                connection.close()

    def sms(self, number: str, text: str, **options: object) -> Answer:
        form = {
            "MessageSid": f"SM{next(self.sids):032x}",
            "AccountSid": SECRETS["TWILIO_ACCOUNT_SID"],
            "From": number,
            "To": OUR_NUMBER,
            "Body": text,
            "NumMedia": "0",
        }
        return self.post("/twilio/sms", form, **options)  # type: ignore[arg-type]

    def get(self, path: str) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return Answer(
                response.status, response.read().decode(), response.getheader("content-type") or ""
            )
        finally:
            connection.close()

    def stop(self) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return self.process.returncode, err


def environment(world: World, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "COLUMNS": "300",  # a problem on one line
        "PYTHONPATH": str(REPO),
        "BROADCAST_NOW": NOW.isoformat(),
        "BROADCAST_CONFIG": "",
        **SECRETS,
        **world.engine,
        **(extra or {}),
    }


def start_serving(world: World, extra: dict[str, str] | None = None) -> Serving:
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8")
    if "serve:" not in text:
        text = text.replace(
            "channels:\n", f'serve: {{public_url: "{PUBLIC_URL}/"}}\nchannels:\n', 1
        )
        config.write_text(text, encoding="utf-8")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "broadcast", "serve", "--port", str(port)],
        cwd=world.folder,
        env=environment(world, extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    serving = Serving(world, port, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {process.communicate()[1]}")
        try:
            if serving.get("/healthz").status == 200:
                return serving
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("serve did not answer /healthz within 30 s")


@pytest.fixture
def serving(world: World) -> Iterator[Serving]:
    running = start_serving(world)
    try:
        yield running
    finally:
        running.stop()


def ledger_rows(world: World, table: str) -> int:
    import sqlite3

    with sqlite3.connect(world.folder / ".broadcast" / "ledger.sqlite3") as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# -- what every webhook passes first --------------------------------------------------------


def test_health_answers_while_the_ledger_does(serving: Serving) -> None:
    answer = serving.get("/healthz")
    assert (answer.status, json.loads(answer.body)) == (200, {"ok": True})
    assert serving.get("/nowhere").status == 404


def test_a_missing_or_wrong_signature_is_refused_and_logged_masked(serving: Serving) -> None:
    assert serving.sms(CAMILLE, "STOP", signature="").status == 403
    assert serving.sms(CAMILLE, "STOP", signature="bm90IGEgc2lnbmF0dXJl").status == 403
    form = {"From": CAMILLE, "To": OUR_NUMBER, "Body": "STOP", "MessageSid": "SM1"}
    # Signed with another token: Twilio's for another account.
    wrong_token = signed(PUBLIC_URL + "/twilio/sms", form, token="0" * 32)
    assert serving.post("/twilio/sms", form, signature=wrong_token).status == 403
    # A valid signature made for another URL (the internal address, another path) is a replay.
    internal = signed(f"http://127.0.0.1:{serving.port}/twilio/sms", form)
    assert serving.post("/twilio/sms", form, signature=internal).status == 403
    other_path = signed(PUBLIC_URL + "/twilio/status", form)
    assert serving.post("/twilio/sms", form, signature=other_path).status == 403
    # The body changed under a valid signature.
    good = signed(PUBLIC_URL + "/twilio/sms", form)
    assert serving.post("/twilio/sms", {**form, "Body": "START"}, signature=good).status == 403
    code, log = serving.stop()
    assert code == 0
    refusals = [json.loads(line) for line in log.splitlines() if '"refused"' in line]
    assert len(refusals) == 6
    assert {r["status"] for r in refusals} == {403}
    assert {r["number"] for r in refusals} == {"…5678"}
    assert CAMILLE not in log and "STOP" not in log and TOKEN not in log


def test_a_body_over_64_kb_is_refused_without_being_read_whole(serving: Serving) -> None:
    big = {"From": CAMILLE, "To": OUR_NUMBER, "Body": "x" * 1_000_000, "MessageSid": "SM1"}
    assert serving.post("/twilio/sms", big).status == 413
    # The same without a Content-Length (chunked): refused once 64 KB are passed.
    connection = http.client.HTTPConnection("127.0.0.1", serving.port, timeout=30)
    body = urlencode(big).encode()
    connection.putrequest("POST", "/twilio/sms")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("X-Twilio-Signature", signed(PUBLIC_URL + "/twilio/sms", big))
    connection.endheaders()
    sent = 0
    try:
        for start in range(0, len(body), 16384):
            piece = body[start : start + 16384]
            connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            sent += len(piece)
        connection.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered and closed before the end: what is checked
    response = connection.getresponse()
    assert response.status == 413
    connection.close()


def test_sigterm_lets_a_request_in_flight_finish_then_exits_0(serving: Serving) -> None:
    form = {"From": CAMILLE, "To": OUR_NUMBER, "Body": "Merci", "MessageSid": "SM" + "a" * 32}
    body = urlencode(form).encode()
    connection = http.client.HTTPConnection("127.0.0.1", serving.port, timeout=30)
    connection.putrequest("POST", "/twilio/sms")
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", str(len(body)))
    connection.putheader("X-Twilio-Signature", signed(PUBLIC_URL + "/twilio/sms", form))
    connection.endheaders()
    connection.send(body[:10])  # the request is in flight: headers in, body still coming
    time.sleep(0.3)
    serving.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert serving.process.poll() is None  # still draining
    connection.send(body[10:])
    response = connection.getresponse()
    assert response.status in (200, 204)
    connection.close()
    assert serving.process.wait(timeout=30) == 0


def test_serve_needs_its_section_and_the_auth_token(world: World) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "broadcast", "serve", "--port", str(free_port())],
        cwd=world.folder,
        env=environment(world),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "there is no serve: section" in done.stderr and "Traceback" not in done.stderr
    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text().replace(
            "channels:\n", "serve: {public_url: http://alerts.example.org}\nchannels:\n", 1
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "broadcast", "serve"],
        cwd=world.folder,
        env=environment(world),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "is not a public base URL" in done.stderr
    config.write_text(config.read_text().replace("http://", "https://"))
    env = environment(world)
    del env["TWILIO_AUTH_TOKEN"]
    done = subprocess.run(
        [sys.executable, "-m", "broadcast", "serve"],
        cwd=world.folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "TWILIO_AUTH_TOKEN is not set" in done.stderr


def test_the_command_line_does_not_load_the_web_stack_to_start() -> None:
    script = (
        "import sys\n"
        "from broadcast.cli import app\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert done.stdout.strip() == "[]"
