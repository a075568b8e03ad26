"""Rehearse a crisis night with nothing real: ``python -m tests.rehearse DIR``.

Starts the local stand-ins the tests use (:mod:`tests.peers`: Twilio's Messages and Calls API,
X, a Facebook Page, the webhooks Apprise posts to; :mod:`tests.smtp_peer`: an SMTP server), all
on 127.0.0.1, then writes ``broadcast init --sector SECTOR`` into DIR (run through the real
CLI) with its channels.yaml pointed at them, a voice channel the SMS falls back to (a landline
among the contacts is refused an SMS, as by Twilio, and called), two-person approval on, the
sector's incident in ``DIR/incidents/`` dated today, and ``DIR/rehearsal.env``: the variables
a real night needs (the stand-ins' own credentials, never real ones) to source before each
command. It prints what to do next and then, until Ctrl-C, every message a stand-in receives,
as it arrives; each is also appended to ``DIR/received.jsonl`` as one JSON line (``peer``,
``to``, ``text``).

Nothing can leave the machine: every channel of the copied channels.yaml names a stand-in's
address, and the banner writes into ``DIR/public/status``. The ledger, the recipient key and
the machine's record of incidents stay inside DIR too (``BROADCAST_KEY`` and
``XDG_STATE_HOME`` in the env file), so a rehearsal leaves no trace in the real ones.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import yaml

from tests.peers import graph_api
from tests.peers.graph_api import GraphAPIServer
from tests.peers.twilio_api import TwilioAPIServer
from tests.peers.webhooks import WebhookServer
from tests.peers.x_api import XAPIServer
from tests.smtp_peer import PASSWORD, USERNAME, SmtpPeer
from tests.world import SECRETS

SECTORS = ("utility", "telecom", "bank", "transport", "insurance", "retail", "public")
POLL_SECONDS = 0.3
# A Twilio message becomes "delivered" this long after it was taken, as a real one would, so
# that `broadcast reconcile` and `status` have receipts to read.
DELIVER_AFTER_SECONDS = 5.0
# A landline among the contacts, as real lists hold: Twilio refuses it an SMS (21614, not a
# mobile), and the SMS channel's fallback calls it instead.
LANDLINE = ("Marcel Petit", "03 20 00 00 00", "+33320000000")
_STARTED_AT = re.compile(r"^started_at:\s*['\"]?(\d{4}-\d{2}-\d{2})", re.MULTILINE)


class StandIns:
    """The local providers, started together, stopped together."""

    def __init__(self) -> None:
        self.twilio = TwilioAPIServer(deliver_after=DELIVER_AFTER_SECONDS, not_mobile=[LANDLINE[2]])
        self.x = XAPIServer()
        self.graph = GraphAPIServer()
        self.hooks = WebhookServer()
        self.smtp = SmtpPeer(require_auth=True)

    def start(self, stack: ExitStack) -> None:
        for peer in (self.twilio, self.x, self.graph, self.hooks, self.smtp):
            stack.enter_context(peer)

    def environment(self, folder: Path) -> dict[str, str]:
        """What channels.yaml reads (${VAR}) and what keeps the rehearsal inside ``folder``."""
        return {
            **SECRETS,
            "SMTP_USER": USERNAME,
            "SMTP_PASSWORD": PASSWORD,
            "FB_PAGE_TOKEN": self.graph.page_token,
            "TEAM_HOOK": f"json://127.0.0.1:{self.hooks.port}/crisis-team",
            # The ledger's recipient key and the machine's record of incidents: the
            # rehearsal's own, never the real ones in ~/.config and ~/.local/state.
            "BROADCAST_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "XDG_STATE_HOME": str(folder / ".rehearsal-state"),
        }

    def received(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every message the stand-ins took so far, oldest first per stand-in, with a key that
        names it once."""
        for message in self.twilio.messages():
            yield message.sid, {"peer": "twilio sms", "to": message.to, "text": message.body}
        for call in self.twilio.calls():
            yield call.sid, {"peer": "twilio call", "to": call.to, "text": spoken(call.twiml)}
        for index, mail in enumerate(list(self.smtp.received)):
            body = mail.message.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            yield (
                f"smtp-{index}",
                {
                    "peer": "smtp",
                    "to": ", ".join(mail.recipients),
                    "subject": str(mail.message["Subject"]),
                    "text": text,
                },
            )
        for post in self.x.posts():
            to = "a reply in the thread" if post.in_reply_to else "the account's timeline"
            yield f"x-{post.id}", {"peer": "x", "to": to, "text": post.text}
        for item in self.graph.posts() + self.graph.comments():
            to = f"a comment on {item.parent}" if item.parent else "the Page"
            yield f"fb-{item.id}", {"peer": "facebook", "to": to, "text": item.message}
        for index, request in enumerate(self.hooks.requests()):
            if request.status == 200:
                body = json.loads(request.body or b"{}")
                yield (
                    f"hook-{index}",
                    {
                        "peer": "apprise",
                        "to": request.path,
                        "text": f"{body.get('title', '')}\n{body.get('message', '')}".strip(),
                    },
                )


def spoken(twiml: str | None) -> str:
    """What a call says: the text of its TwiML's <Say> elements."""
    if not twiml:
        return ""
    return " ".join((say.text or "").strip() for say in ElementTree.fromstring(twiml).iter("Say"))


def write_starter(folder: Path, sector: str, stand_ins: StandIns) -> Path:
    """``broadcast init --sector`` into ``folder``, then its channels.yaml pointed at the
    stand-ins; returns the rehearsal's incident file."""
    subprocess.run(
        [sys.executable, "-m", "broadcast", "init", "--sector", sector, str(folder)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    config_path = folder / "channels.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    channels: dict[str, dict[str, Any]] = config["channels"]
    for channel in channels.values():
        kind = channel["type"]
        if kind == "sms":
            channel.update(api_base_url=stand_ins.twilio.url, fallback="voice")
        elif kind == "twitter":
            channel["api_base_url"] = stand_ins.x.url
        elif kind == "email":
            channel.update(host=stand_ins.smtp.host, port=stand_ins.smtp.port, starttls=False)
            channel.update(username="${SMTP_USER}", password="${SMTP_PASSWORD}")
    # No list of its own: it calls those the SMS could not reach (the landline).
    channels["voice"] = {
        "type": "voice",
        "from": channels["sms"]["from"],
        "account_sid": "${TWILIO_ACCOUNT_SID}",
        "auth_token": "${TWILIO_AUTH_TOKEN}",
        "api_base_url": stand_ins.twilio.url,
    }
    channels["facebook"] = {
        "type": "facebook",
        "page_id": graph_api.DEFAULT_PAGE_ID,
        "access_token": "${FB_PAGE_TOKEN}",
        "api_base_url": stand_ins.graph.url,
    }
    channels["team"] = {"type": "apprise", "urls": ["${TEAM_HOOK}"]}
    # A crisis night is rehearsed with its second person: nothing goes out unapproved.
    config["approval"] = {"required": True}
    header = (
        "# The starter of `broadcast init --sector " + sector + "`, pointed by tests/rehearse.py\n"
        "# at the local stand-ins on 127.0.0.1: nothing here reaches a real provider.\n"
    )
    dumped = yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=100)
    config_path.write_text(header + dumped, encoding="utf-8")
    contacts = folder / channels["sms"]["recipients"]
    with contacts.open("a", encoding="utf-8") as out:
        out.write(f"{LANDLINE[0]},{LANDLINE[1]},,fr\n")
    return dated_today(folder, sector, config["defaults"].get("timezone", "UTC"))


def dated_today(folder: Path, sector: str, timezone: str) -> Path:
    """The sector's French example, moved to today (its id, start and expected end carry the
    date), in ``incidents/``: what a cron line's ``tick`` would run on."""
    example = folder / "examples" / f"{sector}-fr.yaml"
    text = example.read_text(encoding="utf-8")
    found = _STARTED_AT.search(text)
    assert found, f"{example} has no started_at"
    today = datetime.now(ZoneInfo(timezone)).date().isoformat()
    incidents = folder / "incidents"
    incidents.mkdir(exist_ok=True)
    incident = incidents / example.name
    incident.write_text(text.replace(found.group(1), today), encoding="utf-8")
    return incident


def write_env(folder: Path, environment: dict[str, str]) -> Path:
    path = folder / "rehearsal.env"
    lines = ["# Source this before each broadcast command of the rehearsal: . ./rehearsal.env"]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in environment.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def what_next(folder: Path, incident: Path, stand_ins: StandIns) -> str:
    relative = incident.relative_to(folder)
    steps = "".join(
        f"  {command:<48} # {why}\n"
        for command, why in (
            (f"broadcast validate {relative}", "every problem, with file, line and field"),
            (f"broadcast preview {relative}", "what each channel will carry"),
            (f"broadcast approve {relative} --as bob", "the second person approves those texts"),
            (f"broadcast send {relative} --as alice", "asks, then sends to the stand-ins"),
            (f"broadcast status {relative}", "what went where; receipts come after 5 s"),
            ("broadcast tick incidents --yes", "what the cron line does, reminders included"),
        )
    )
    return f"""\
Rehearsal ready in {folder}: nothing leaves this machine.
  SMS and calls  Twilio stand-in    {stand_ins.twilio.url}
  email          SMTP stand-in      {stand_ins.smtp.host}:{stand_ins.smtp.port}
  X              X API stand-in     {stand_ins.x.url}
  Facebook       Graph API stand-in {stand_ins.graph.url}
  team chat      Apprise webhooks   {stand_ins.hooks.url}
  web banner     files in           {folder / "public" / "status"}

In another terminal:
  cd {shlex.quote(str(folder))} && . ./rehearsal.env
{steps}Then edit {relative} as the night goes on (status, headline, next_update), approve and send
again; set status: cancelled with a correction: to practise taking a message back.

What each stand-in receives is printed below as it arrives, and kept in
{folder / "received.jsonl"}. Ctrl-C stops the stand-ins.
"""


def watch(
    stand_ins: StandIns, log: Path, stop: threading.Event, say: Callable[[str], None]
) -> None:
    """Print and log each message once, as the stand-ins take them, until ``stop``."""
    seen: set[str] = set()
    while not stop.wait(POLL_SECONDS):
        for key, message in stand_ins.received():
            if key in seen:
                continue
            seen.add(key)
            with log.open("a", encoding="utf-8") as out:
                out.write(json.dumps(message, ensure_ascii=False) + "\n")
            first_line = message["text"].strip().splitlines()[0] if message["text"] else ""
            say(f"[{message['peer']}] to {message['to']}: {first_line[:100]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.rehearse", description=__doc__)
    parser.add_argument("folder", type=Path, help="an empty or new folder for the rehearsal")
    parser.add_argument("--sector", choices=SECTORS, default="utility")
    args = parser.parse_args(argv)
    folder: Path = args.folder.resolve()
    if folder.exists() and any(folder.iterdir()):
        parser.error(f"{folder} is not empty: give a new folder for the rehearsal")
    stop = threading.Event()
    # Ctrl-C and a plain kill both end the rehearsal the same way: stand-ins stopped, exit 0.
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with ExitStack() as stack:
        stand_ins = StandIns()
        stand_ins.start(stack)
        incident = write_starter(folder, args.sector, stand_ins)
        write_env(folder, stand_ins.environment(folder))
        print(what_next(folder, incident, stand_ins), flush=True)
        watcher = threading.Thread(
            target=watch,
            args=(stand_ins, folder / "received.jsonl", stop, lambda s: print(s, flush=True)),
            daemon=True,
        )
        watcher.start()
        while not stop.wait(1.0):
            pass
        watcher.join(timeout=5)
    print("Rehearsal over: the stand-ins are stopped.", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
