"""A small world for end-to-end tests: the local Twilio, X and SMTP peers, and a folder with
channels.yaml pointing at them, recipients and the example incident; the CLI run inside it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from broadcast.cli import app
from tests.conftest import NOW, REPO, write
from tests.peers import twilio_api, x_api
from tests.peers.twilio_api import TwilioAPIServer
from tests.peers.x_api import XAPIServer
from tests.smtp_peer import SmtpPeer

SECRETS = {
    "TWILIO_ACCOUNT_SID": twilio_api.DEFAULT_ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": twilio_api.DEFAULT_AUTH_TOKEN,
    "X_CONSUMER_KEY": x_api.DEFAULT_CONSUMER_KEY,
    "X_CONSUMER_SECRET": x_api.DEFAULT_CONSUMER_SECRET,
    "X_ACCESS_TOKEN": x_api.DEFAULT_ACCESS_TOKEN,
    "X_ACCESS_TOKEN_SECRET": x_api.DEFAULT_ACCESS_TOKEN_SECRET,
}

CONTACTS = """\
name,phone,email,locale
Camille Martin,06 12 34 56 78,camille.martin@example.com,fr
Karim Benali,+33 6 12 34 56 79,karim.benali@example.org,fr
Karim encore,06 12 34 56 79,KARIM.BENALI@example.org,fr
Sophie Leroy,06 12 34 56 80,,fr
Faute de frappe,06 12,pas-une-adresse,fr
Emma Wilson,+44 7400 123456,emma.wilson@example.co.uk,en
"""
PHONES = ["+33612345678", "+33612345679", "+33612345680", "+447400123456"]
EMAILS = [
    "camille.martin@example.com",
    "karim.benali@example.org",
    "emma.wilson@example.co.uk",
]


def edit(world: World, old: str, new: str, count: int = -1) -> None:
    """Replace ``old`` (which must be there) by ``new`` in the world's incident file: every
    occurrence, or the first ``count``."""
    path = world.folder / "incident.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


@dataclass
class World:
    folder: Path
    twilio: TwilioAPIServer
    x: XAPIServer
    smtp: SmtpPeer
    # The environment that puts the ledger on SQLite ({}) or PostgreSQL (``ledger_engine``).
    engine: dict[str, str]

    def run(self, *args: str, env: dict[str, str] | None = None):
        old = Path.cwd()
        os.chdir(self.folder)
        try:
            return CliRunner().invoke(
                app,
                list(args),
                env={
                    "BROADCAST_NOW": NOW.isoformat(),
                    "BROADCAST_CONFIG": "",
                    **SECRETS,
                    **self.engine,
                    **(env or {}),
                },
            )
        finally:
            os.chdir(old)

    def run_json(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
        result = self.run(*args, "--json", env=env)
        return result.exit_code, json.loads(result.stdout)

    def process_env(self, now: str | None = None, **extra: str) -> dict[str, str]:
        """The environment of the real CLI in a process of its own, as :meth:`run` gives it
        in this one: the world's clock (``now``, else NOW), secrets and ledger, no
        ``BROADCAST_CONFIG`` of the caller's (./channels.yaml); ``extra`` on top."""
        env = {**os.environ, **SECRETS, **self.engine, "BROADCAST_NOW": now or NOW.isoformat()}
        env.pop("BROADCAST_CONFIG", None)
        return {**env, **extra}


def broadcast(world: World, *args: str, now: str | None = None) -> tuple[int, str, str]:
    """The real CLI in a process of its own, in the world's folder (at ``now``, else NOW): its
    exit code, stdout and stderr, which never hold a traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "broadcast", *args],
        cwd=world.folder,
        # Wide lines: a path or a line number is never cut by the terminal's width.
        env=world.process_env(now, COLUMNS="400"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def world(
    tmp_path: Path,
    twilio_server: TwilioAPIServer,
    x_server: XAPIServer,
    ledger_engine: dict[str, str],
) -> Iterator[World]:
    with SmtpPeer() as smtp:
        write(tmp_path / "contacts.csv", CONTACTS)
        shutil.copyfile(REPO / "examples" / "panne-nord.yaml", tmp_path / "incident.yaml")
        write(
            tmp_path / "channels.yaml",
            f"""\
organisation: Énergie Nord
defaults: {{locale: fr, timezone: Europe/Paris}}
channels:
  sms:
    type: sms
    from: "+15005550006"
    recipients: contacts.csv
    default_region: FR
    rate: unlimited
    account_sid: "${{TWILIO_ACCOUNT_SID}}"
    auth_token: "${{TWILIO_AUTH_TOKEN}}"
    api_base_url: {twilio_server.url}
  email:
    type: email
    host: {smtp.host}
    port: {smtp.port}
    starttls: false
    from: "Service client <alertes@example.com>"
    reply_to: service.client@example.com
    recipients: contacts.csv
  twitter:
    type: twitter
    consumer_key: "${{X_CONSUMER_KEY}}"
    consumer_secret: "${{X_CONSUMER_SECRET}}"
    access_token: "${{X_ACCESS_TOKEN}}"
    access_token_secret: "${{X_ACCESS_TOKEN_SECRET}}"
    api_base_url: {x_server.url}
  banner:
    type: web_banner
    output_dir: public/status
""",
        )
        yield World(tmp_path, twilio_server, x_server, smtp, ledger_engine)
