"""``broadcast serve`` end to end: a real uvicorn process on 127.0.0.1, posted to exactly as
Twilio posts (form fields, ``X-Twilio-Signature`` made by the SDK's own ``RequestValidator``
with the auth token, for the public URL Twilio calls), with the world's ledger and peers; every
test with a world runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import NOW, REPO, at
from tests.test_ledger import T0, LedgerMaker
from tests.test_ledger import open_ledger as open_ledger  # a fixture
from tests.world import SECRETS, World, edit

pytestmark = [pytest.mark.slow, pytest.mark.both_engines]

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
    log: Path  # its standard error: a file, never a pipe nobody reads while it runs
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
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.process.returncode, self.log.read_text(encoding="utf-8")


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
    log = world.folder / f"serve-{port}.log"
    with log.open("w", encoding="utf-8") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "broadcast", "serve", "--port", str(port)],
            cwd=world.folder,
            env=environment(world, extra),
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )
    serving = Serving(world, port, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {log.read_text(encoding='utf-8')}")
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


def replies_kept(world: World) -> int:
    """Replies the ledger holds, over every incident (the engine's own rows: SQLite's file or
    the PostgreSQL database), read through the ledger as any command does."""
    from broadcast.ledger.sqlite import Ledger

    ledger = Ledger(world.folder / ".broadcast", environ={**os.environ, **world.engine})
    try:
        return int(ledger.db.execute("SELECT count(*) AS n FROM replies").fetchone()["n"])
    finally:
        ledger.close()


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
    # A whole request first on the same connection: serve has surely taken the connection in
    # when the next one starts (a connection still in the listen queue when SIGTERM lands is
    # closed, not drained: a loaded machine may take longer than a fixed pause to accept it).
    connection.request("GET", "/healthz")
    assert connection.getresponse().read() is not None
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


def test_a_port_in_use_is_said_and_exits_2(world: World) -> None:
    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text().replace(
            "channels:\n", f"serve: {{public_url: {PUBLIC_URL}}}\nchannels:\n", 1
        )
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "broadcast", "serve", "--port", str(port)],
            cwd=world.folder,
            env=environment(world),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr


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


# -- inbound SMS ------------------------------------------------------------------------------


def send_sms(world: World, minutes: int = 0) -> None:
    result = world.run("send", "incident.yaml", "--yes", "--channel", "sms", env=at(minutes))
    assert result.exit_code == 0, result.output


def status_of(world: World, minutes: int = 0) -> dict:
    code, status = world.run_json("status", "incident.yaml", env=at(minutes))
    assert code == 0
    return status


def test_stop_skips_the_number_in_later_sends_and_start_reaches_it_again(
    world: World, serving: Serving
) -> None:
    send_sms(world)
    assert len(world.twilio.messages_to(CAMILLE)) == 1
    # Case, accents, spaces and punctuation are not the word: this is ARRET.
    assert serving.sms(CAMILLE, "  Arrêt. ").status == 204
    edit(world, "status: investigating", "status: identified")
    send_sms(world, 30)
    assert len(world.twilio.messages_to(CAMILLE)) == 1  # skipped: not asked of Twilio at all
    assert len(world.twilio.messages_to(EMMA)) == 2  # the others are reached
    status = status_of(world, 30)
    assert status["opted_out"] == 1
    assert status["channels"]["sms"]["suppressed"] == 1  # one name for "never again"
    assert status["channels"]["sms"]["failed-permanent"] == 0

    assert serving.sms(CAMILLE, "START").status == 204
    send_sms(world, 155)  # the promised update is due: a reminder
    assert len(world.twilio.messages_to(CAMILLE)) == 2
    assert len(world.twilio.messages_to(EMMA)) == 3
    assert status_of(world, 155)["opted_out"] == 0
    # STOP from another number holds for every later incident, not only this one.
    assert serving.sms(EMMA, "stop").status == 204
    (world.folder / "incident.yaml").write_text(
        (world.folder / "incident.yaml")
        .read_text(encoding="utf-8")
        .replace("id: ", "id: autre-", 1),
        encoding="utf-8",
    )
    result = world.run("send", "incident.yaml", "--yes", "--channel", "sms", env=at(160))
    assert result.exit_code == 0, result.output
    assert len(world.twilio.messages_to(EMMA)) == 3  # not asked of Twilio for the new one
    assert len(world.twilio.messages_to(CAMILLE)) == 3


def message_of(answer: Answer) -> str:
    assert answer.status == 200 and answer.content_type.startswith("text/xml"), answer
    root = ET.fromstring(answer.body)
    assert root.tag == "Response"
    (message,) = root.findall("Message")
    return message.text or ""


def test_help_tells_the_latest_message_in_the_number_s_language(
    world: World, serving: Serving
) -> None:
    unknown = "+33699999999"
    before = message_of(serving.sms(unknown, "AIDE"))
    assert before == "Aucun incident en cours. Énergie Nord"
    assert message_of(serving.sms(unknown, "help")) == "No incident in progress. Énergie Nord"
    send_sms(world)
    french = message_of(serving.sms(CAMILLE, "aide"))
    english = message_of(serving.sms(EMMA, "HELP!"))
    # The approved text each was sent, byte for byte, in their language.
    assert french == world.twilio.messages_to(CAMILLE)[-1].body
    assert english == world.twilio.messages_to(EMMA)[-1].body
    assert french != english
    # INFO is HELP too; a number never written to learns nothing.
    assert message_of(serving.sms(CAMILLE, "Info")) == french
    assert message_of(serving.sms(unknown, "AIDE")) == before


def test_help_tells_the_sms_text_of_a_version_that_also_called_the_number(
    world: World,
) -> None:
    from tests.test_voice_fallback import with_voice

    with_voice(world, "    recipients: contacts.csv\n    default_region: FR\n", sms_fallback=None)
    both = ("--channel", "voice", "--channel", "sms")
    result = world.run("send", "incident.yaml", "--yes", *both)
    assert result.exit_code == 0, result.output
    assert world.twilio.calls_to(CAMILLE) and world.twilio.messages_to(CAMILLE)
    serving = start_serving(world)  # it reads channels.yaml, voice channel included
    try:
        # The text written for an SMS, not the call's (said twice, written for the ear).
        help_text = message_of(serving.sms(CAMILLE, "AIDE"))
        assert help_text == world.twilio.messages_to(CAMILLE)[-1].body
    finally:
        serving.stop()


def test_help_never_tells_whether_a_number_is_known(world: World) -> None:
    send_sms(world)
    edit(world, "status: investigating", "status: resolved", count=1)
    edit(world, "Rétablissement prévu vers 14h.", "Le courant est revenu partout.", count=1)
    edit(world, "We are restoring it; back around 14:00.", "Power is back everywhere.", count=1)
    send_sms(world, 200)
    two_days_later = (NOW + timedelta(days=2)).isoformat()
    later = start_serving(world, {"BROADCAST_NOW": two_days_later})
    try:
        for word in ("AIDE", "HELP", "INFO"):
            known = later.sms(CAMILLE, word)
            stranger = later.sms("+33699999999", word)
            assert (known.status, known.body) == (stranger.status, stranger.body)
            assert "incident" in message_of(known)
    finally:
        later.stop()


def test_a_reply_is_kept_sealed_listed_newest_first_and_counted(
    world: World, serving: Serving
) -> None:
    send_sms(world)
    oxygen = "Mon père est sous oxygène, quand revient le courant ?"
    form = {
        "MessageSid": "SM" + "1" * 32,
        "From": CAMILLE,
        "To": OUR_NUMBER,
        "Body": oxygen,
    }
    assert serving.post("/twilio/sms", form).status == 204
    assert serving.post("/twilio/sms", form).status == 204  # Twilio's retry: kept once
    assert serving.sms(EMMA, "Is my street included?").status == 204
    assert serving.sms("+33699999999", "Qui êtes-vous ?").status == 204  # answers nothing
    code, listed = world.run_json("replies", "incident.yaml")
    assert code == 0
    assert (listed["count"], listed["people"]) == (2, 2)
    newest, oldest = listed["replies"]
    assert (newest["text"], newest["category"], newest["version"]) == (
        "Is my street included?",
        "location",
        1,
    )
    assert (oldest["text"], oldest["category"]) == (oxygen, "medical")
    assert newest["received_at"] >= oldest["received_at"]
    assert oldest["after_seconds"] >= 0
    assert status_of(world)["replies"] == 2
    shown = world.run("replies", "incident.yaml", env={"COLUMNS": "200"}).output
    assert oxygen in shown and "medical" in shown and CAMILLE not in shown
    # Sealed in the ledger: neither the words nor the number are in the file.
    if not world.engine:  # the SQLite file (PostgreSQL keeps the same sealed columns)
        ledger = (world.folder / ".broadcast" / "ledger.sqlite3").read_bytes()
        ledger += (world.folder / ".broadcast" / "ledger.sqlite3-wal").read_bytes()
        assert "oxygène".encode() not in ledger and b"street" not in ledger
        assert CAMILLE.encode() not in ledger
    _, log = serving.stop()
    assert "oxygène" not in log and CAMILLE not in log and "…5678" in log


def test_the_report_says_how_many_replied_how_fast_and_the_words_that_recur(
    world: World, serving: Serving
) -> None:
    send_sms(world)
    assert (
        serving.sms(CAMILLE, "Quand revient le courant ? Mon père est sous oxygène").status == 204
    )
    assert serving.sms("+33612345680", "Le courant revient quand à Roubaix ?").status == 204
    assert serving.sms(EMMA, "Thanks!").status == 204
    assert serving.sms(EMMA, "STOP").status == 204
    code, report = world.run_json("report", "incident.yaml")
    assert code == 0
    replies = report["replies"]
    assert (replies["count"], replies["people"], replies["opted_out"]) == (3, 3, 1)
    assert replies["median_seconds"] is not None and replies["median_seconds"] >= 0
    assert dict(replies["recurring_words"]) == {"courant": 2, "revient": 2}
    assert replies["by_category"] == {"medical": 1, "question": 1, "thanks": 1}
    markdown = world.run("report", "incident.yaml", "--format", "md").output
    markdown = markdown.replace("\u202f", " ").replace("\xa0", " ")  # French spacing
    assert "3 personne(s) ont répondu (3 réponse(s))" in markdown
    assert "mots qui reviennent : courant, revient" in markdown, [
        line for line in markdown.splitlines() if "répondu" in line
    ]
    assert "oxygène" not in markdown and CAMILLE not in markdown


def test_a_flood_from_one_number_is_refused_and_not_recorded(
    world: World, serving: Serving
) -> None:
    send_sms(world)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def flood(count: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", serving.port, timeout=30)
        for _ in range(count):
            answer = serving.sms(CAMILLE, "Merci", connection=connection)
            with lock:
                statuses[answer.status] += 1
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=flood, args=(250,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert sum(statuses.values()) == 1000
    assert statuses == Counter({429: 990, 204: 10}), statuses
    assert replies_kept(world) == 10
    # Another number is not held back by the first's flood.
    assert serving.sms(EMMA, "Merci").status == 204
    assert replies_kept(world) == 11
    print(f"1000 requests from one number in {elapsed:.2f} s")


def test_refused_requests_record_nothing(world: World, serving: Serving) -> None:
    send_sms(world)
    forged = serving.sms(CAMILLE, "STOP", signature="bm90IGEgc2lnbmF0dXJl")
    form = {"From": EMMA, "To": OUR_NUMBER, "Body": "STOP", "MessageSid": "SM2"}
    replayed = serving.post(
        "/twilio/sms", form, signature=signed(f"http://127.0.0.1:{serving.port}/twilio/sms", form)
    )
    big = {"From": CAMILLE, "To": OUR_NUMBER, "Body": "x" * 1_000_000, "MessageSid": "SM3"}
    too_big = serving.post("/twilio/sms", big)
    assert (forged.status, replayed.status, too_big.status) == (403, 403, 413)
    assert replies_kept(world) == 0
    assert status_of(world)["opted_out"] == 0
    edit(world, "status: investigating", "status: identified")
    send_sms(world, 30)
    assert len(world.twilio.messages_to(CAMILLE)) == 2 and len(world.twilio.messages_to(EMMA)) == 2


def test_health_says_503_when_the_ledger_does_not_answer(tmp_path: Path) -> None:
    """The real application under uvicorn, in this process, over a ledger whose connection
    is then lost: /healthz says so (503), without a traceback."""
    import uvicorn

    from broadcast.input.config import load_config
    from broadcast.ledger.sqlite import Ledger
    from broadcast.serve.app import create_app
    from broadcast.serve.logs import EventLog

    (tmp_path / "channels.yaml").write_text(
        f"organisation: T\nserve: {{public_url: {PUBLIC_URL}}}\n"
        "channels:\n  banner: {type: web_banner, output_dir: public}\n",
        encoding="utf-8",
    )
    ledger = Ledger(tmp_path / ".broadcast")
    log = tmp_path / "serve.log"
    with log.open("w", encoding="utf-8") as stream:
        app = create_app(
            load_config(tmp_path / "channels.yaml"),
            ledger,
            auth_token=TOKEN,
            clock=lambda: NOW,
            log=EventLog(stream),
        )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, port=port, log_config=None, lifespan="off", access_log=False)
        )
        thread = threading.Thread(target=server.run)
        thread.start()
        try:
            while not server.started:
                time.sleep(0.02)
            probe = Serving(None, port, None, log)  # type: ignore[arg-type]
            assert probe.get("/healthz").status == 200
            ledger.db.close()  # the ledger is gone (a database down, a file lost)
            answer = probe.get("/healthz")
            assert (answer.status, json.loads(answer.body)) == (503, {"ok": False})
            # A webhook that meets the lost ledger: 500 for Twilio, one line in the log.
            assert probe.sms(CAMILLE, "Quand ?").status == 500
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    logged = log.read_text(encoding="utf-8")
    assert '"event": "unhealthy"' in logged and '"event": "failed"' in logged
    assert CAMILLE not in logged and "Quand" not in logged and "Traceback" not in logged


def test_the_ledger_keeps_what_people_send_back_on_both_engines(
    tmp_path: Path, open_ledger: LedgerMaker
) -> None:
    """What serve records, on SQLite and PostgreSQL alike: opt-out and opt-in, what reached a
    number (its language), replies kept once, newest first, counted per incident."""
    from broadcast.ledger.sqlite import Contact

    ledger = open_ledger(tmp_path)
    try:
        first = ledger.add_version(
            "panne-nord",
            "h1",
            "update",
            "investigating",
            T0,
            None,
            ["sms"],
            [("sms", "fr", "text", "Coupure."), ("sms", "en", "text", "Power cut.")],
        )
        drill = ledger.add_version(
            "panne-sud", "h2", "update", "investigating", T0, None, ["sms"], [], exercise=True
        )
        for version, number, locale in ((first, CAMILLE, "fr"), (first, EMMA, "en")):
            delivery = ledger.claim_batch(version.id, "sms", [Contact(number, "", locale, 2)])[0][0]
            ledger.mark_outcome(delivery, "sent", "SM" + number[-4:])
        drilled = ledger.claim_batch(drill.id, "sms", [Contact(EMMA, "", "en", 2)])[0][0]
        ledger.mark_outcome(drilled, "sent", "SMdrill")
        (sent,) = ledger.sent_to(CAMILLE)
        assert (sent.incident_id, sent.version_id, sent.locale) == ("panne-nord", first.id, "fr")
        assert [s.incident_id for s in ledger.sent_to(EMMA)] == ["panne-nord"]  # not the drill
        assert ledger.sent_to("+33699999999") == []

        assert ledger.opt_out(CAMILLE) and not ledger.opt_out(CAMILLE)
        assert ledger.is_opted_out(CAMILLE) and not ledger.is_opted_out(EMMA)
        assert ledger.opted_out() == {ledger.recipient_key(CAMILLE)}
        assert ledger.opted_out_count("panne-nord") == 1
        assert ledger.opt_in(CAMILLE) and ledger.opted_out_count("panne-nord") == 0

        later = sent.went_out_at + timedelta(minutes=3)
        assert ledger.add_reply(sent, CAMILLE, "SM1", "Quand ?", "question", later)
        assert not ledger.add_reply(sent, CAMILLE, "SM1", "Quand ?", "question", later)
        assert ledger.add_reply(
            ledger.sent_to(EMMA)[0], EMMA, "SM2", "Thanks", "thanks", later + timedelta(seconds=1)
        )
        replies = ledger.replies("panne-nord")
        assert [(r.text, r.category) for r in replies] == [
            ("Thanks", "thanks"),
            ("Quand ?", "question"),
        ]
        assert replies[1].after_seconds == 180.0
        assert ledger.reply_counts("panne-nord") == (2, 2)
    finally:
        ledger.close()
