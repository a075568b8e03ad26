"""The ledger's keys: the recipient secret (a keyed hash recognises a recipient again without
storing the address), kept in the ledger only sealed with the user's recipient key
(``broadcast.ledger.key``); the checks that the key and the secret are the ledger's own; and
the recipients' addresses sealed for corrections.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
from contextlib import suppress

from broadcast.ledger.engine import LedgerEngine
from broadcast.ledger.faults import LedgerFault
from broadcast.ledger.key import KEY_ENV, RecipientKey, key_file, load_key
from broadcast.ledger.records import HANDED_OVER_SQL, Contact


class RecipientKeys(LedgerEngine):
    """The ``meta`` table's sealed secret and checks; ``recipient_sealed`` of deliveries."""

    def _unseal(self) -> bytes:
        """The ledger's recipient secret, opened with the user's key (checked first)."""
        assert self.db is not None
        meta = {
            row["key"]: row["value"]
            for row in self.db.execute(
                "SELECT key, value FROM meta WHERE key IN ('ledger_id', 'sealed', 'key_check')"
            )
        }
        key = load_key(self.environ, create=False)
        if key is None:
            raise LedgerFault(
                f"{self.where} was written with a recipient key, and there is none here: "
                f"{KEY_ENV} is not set and {key_file(self.environ)} does not exist. Restore the "
                f"key file from your backup (or set {KEY_ENV} to that key); without it broadcast "
                "cannot recognise who already got a message and would send it to everyone again."
            )
        if not hmac.compare_digest(key_check(key, meta["ledger_id"]), meta["key_check"]):
            raise LedgerFault(
                f"the recipient key from {key.source} is not the one {self.where} was written "
                f"with. Restore the right key file from your backup (or set {KEY_ENV} to it): "
                "with another key broadcast would not recognise who already got a message and "
                "would send it to everyone again."
            )
        from cryptography.fernet import Fernet

        # Its own key, derived from the recipient key: the addresses kept for corrections.
        derived = hmac.new(
            key.secret, b"broadcast contacts\0" + meta["ledger_id"].encode(), "sha256"
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived.digest()))
        secret = seal(key, meta["ledger_id"], bytes.fromhex(meta["sealed"]))
        self._check_secret(key, meta["ledger_id"], secret)
        return secret

    def _check_secret(self, key: RecipientKey, ledger_id: str, secret: bytes) -> None:
        """The key check proves the key is the ledger's, not that the secret it opens is: the
        seal has no integrity of its own, so a replaced or damaged ``sealed`` value opens to
        another secret, every recipient gets another hash and everyone would be sent the
        message again. The secret must open the ledger's own rows (a few deliveries, whose
        sealed address hashes to their recipient key) and match the ledger's canary (an HMAC
        of the secret with the key, written when the secret was made); a ledger from before
        the canary gets it once its rows agree."""
        from cryptography.fernet import InvalidToken

        refused = LedgerFault(
            f"the recipient secret sealed in {self.where} does not open the ledger's own rows: "
            "it was replaced or damaged (the key is right, the secret it unseals is not the "
            "one the deliveries were recorded with): with it broadcast would not recognise "
            "who already got a message and would send it to everyone again. Restore the "
            "ledger from your backup."
        )
        canary = secret_check(key, ledger_id, secret)
        recorded = self.db.execute("SELECT value FROM meta WHERE key = 'secret_check'").fetchone()
        if recorded is not None and not hmac.compare_digest(canary, str(recorded["value"])):
            raise refused
        # The oldest and the newest rows: a secret swapped after the first sends fails both.
        rows = self.db.execute(
            "SELECT recipient_key, recipient_sealed FROM deliveries WHERE id IN ("
            " SELECT id FROM deliveries WHERE recipient_sealed IS NOT NULL ORDER BY id LIMIT 2)"
            " OR id IN (SELECT id FROM deliveries WHERE recipient_sealed IS NOT NULL"
            " ORDER BY id DESC LIMIT 2)"
        ).fetchall()
        for row in rows:
            try:
                address = self.open_contact(str(row["recipient_sealed"])).address
            except (InvalidToken, ValueError, KeyError, TypeError):
                raise refused from None
            expected = hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]
            if not hmac.compare_digest(expected, str(row["recipient_key"])):
                raise refused
        if recorded is None:
            # Best effort: a ledger that cannot be written now is checked by its rows again.
            with suppress(sqlite3.Error, LedgerFault), self.transaction() as db:
                db.execute(
                    "INSERT INTO meta VALUES ('secret_check', :canary)"
                    " ON CONFLICT (key) DO NOTHING",
                    {"canary": canary},
                )

    # -- recipients ----------------------------------------------------------------------

    def recipient_key(self, address: str) -> str:
        """A keyed hash: recognises a recipient again without storing the address."""
        return hmac.new(self.secret, address.encode(), hashlib.sha256).hexdigest()[:32]

    def seal_contact(self, contact: Contact) -> str:
        """The contact encrypted (Fernet: AES-128-CBC with HMAC-SHA-256) with the recipient key."""
        data = {
            "address": contact.address,
            "name": contact.name,
            "locale": contact.locale,
            "line": contact.line,
        }
        return self._fernet.encrypt(json.dumps(data, ensure_ascii=False).encode()).decode()

    def open_contact(self, sealed: str) -> Contact:
        data = json.loads(self._fernet.decrypt(sealed.encode()))
        return Contact(data["address"], data["name"], data["locale"], data["line"])

    def earlier_recipients(
        self, incident_id: str, channel: str, before_version: int
    ) -> tuple[list[Contact], int]:
        """Everyone an earlier version of the incident reached (or may have) on ``channel``,
        once each, from the sealed copies; and how many rows had none (written before the
        addresses were kept) and so cannot be reached again."""
        rows = self.db.execute(
            "SELECT d.recipient_key, d.recipient_sealed FROM deliveries d"
            " JOIN versions v ON v.id = d.version_id"
            " WHERE v.incident_id = :incident_id AND d.channel = :channel"
            f" AND d.version_id < :before AND d.state IN ({HANDED_OVER_SQL}, 'uncertain')"
            " ORDER BY d.id",
            {"incident_id": incident_id, "channel": channel, "before": before_version},
        ).fetchall()
        seen: set[str] = set()
        contacts: list[Contact] = []
        lost: set[str] = set()
        for row in rows:
            key = str(row["recipient_key"])
            if key in seen:
                continue
            if row["recipient_sealed"] is None:
                lost.add(key)
                continue
            seen.add(key)
            contacts.append(self.open_contact(str(row["recipient_sealed"])))
        return contacts, len(lost - seen)

    @staticmethod
    def recipient_hint(address: str) -> str:
        if "@" in address:
            return "@" + address.rsplit("@", 1)[1]
        return "…" + address[-4:] if len(address) > 4 else address


def seal(key: RecipientKey, ledger_id: str, data: bytes) -> bytes:
    """XOR with a pad only the key can make (HMAC of the ledger's id): sealing and opening
    are the same step. A secret is at most 32 bytes, the pad's length."""
    pad = hmac.new(key.secret, b"broadcast ledger secret\0" + ledger_id.encode(), "sha256")
    return bytes(a ^ b for a, b in zip(data, pad.digest(), strict=False))


def key_check(key: RecipientKey, ledger_id: str) -> str:
    """Tells the right key from a wrong one without telling anything about the key."""
    check = hmac.new(key.secret, b"broadcast key check\0" + ledger_id.encode(), "sha256")
    return check.hexdigest()[:32]


def secret_check(key: RecipientKey, ledger_id: str, secret: bytes) -> str:
    """The canary of the sealed secret: only the key makes it, and only for that secret."""
    check = hmac.new(
        key.secret, b"broadcast secret check\0" + ledger_id.encode() + b"\0" + secret, "sha256"
    )
    return check.hexdigest()[:32]
