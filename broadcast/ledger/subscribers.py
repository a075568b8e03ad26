"""Residents who signed themselves up (``broadcast serve``'s sign-up page, or the SMS keyword
INSCRIRE / JOIN): one row per address (a phone number or an email address), pending until the
address is proved (a code by SMS, a link by email, or the SMS itself), then confirmed.

Sealed like every person the ledger keeps: the row is found by the address's keyed hash
(``recipient_key``, the same as a delivery's and an opt-out's), and what it holds (the address,
the language, the postcode, the consent's time and exact wording) is encrypted with the
recipient key (Fernet): the ledger alone reveals no one. A code or a link's secret is kept only
as a keyed hash, with its expiry and the wrong tries it has had.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from broadcast.ledger.recipient_keys import RecipientKeys
from broadcast.ledger.records import now_text

Kind = Literal["phone", "email"]
# How long a code or a link proves an address.
CODE_LIFETIME = timedelta(minutes=15)
# Wrong codes a code may meet; the last one kills it (a new sign-up makes another).
CODE_TRIES = 5


@dataclass(frozen=True)
class Subscriber:
    """One sign-up, opened."""

    id: int
    kind: Kind
    address: str
    language: str
    postcode: str
    consent_text: str  # the exact wording the person agreed to
    consent_at: str  # when (ISO, UTC)
    via: str  # "web" or "sms"
    created_at: str
    confirmed_at: str | None


@dataclass(frozen=True)
class SignUp:
    """What a sign-up did: the row, and the secret to send (a code, a link's nonce); no secret
    when the address was confirmed already (the person is told so, the asker is not)."""

    id: int
    address_key: str
    secret: str | None
    known: bool


class Subscribers(RecipientKeys):
    """The ``subscribers`` table."""

    def derived_key(self, label: str) -> bytes:
        """A key of its own for ``label`` (signed links, CSRF tokens), derived from the
        recipient secret: never stored, the same on every host sharing the ledger."""
        return hmac.new(self.secret, b"broadcast " + label.encode() + b"\0", "sha256").digest()

    def _secret_hash(self, address_key: str, secret: str) -> str:
        key = self.derived_key("subscriber codes")
        return hmac.new(key, f"{address_key}\0{secret}".encode(), hashlib.sha256).hexdigest()

    def _seal_subscriber(self, data: dict[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(data, ensure_ascii=False).encode()).decode()

    def _opened(self, row: object) -> Subscriber:
        data = json.loads(self._fernet.decrypt(str(row["sealed"]).encode()))  # type: ignore[index]
        return Subscriber(
            id=int(row["id"]),  # type: ignore[index]
            kind=row["kind"],  # type: ignore[index]
            address=data["address"],
            language=data["language"],
            postcode=data["postcode"],
            consent_text=data["consent_text"],
            consent_at=data["consent_at"],
            via=data["via"],
            created_at=row["created_at"],  # type: ignore[index]
            confirmed_at=row["confirmed_at"],  # type: ignore[index]
        )

    def sign_up(
        self,
        kind: Kind,
        address: str,
        language: str,
        postcode: str,
        consent_text: str,
        now: datetime,
        via: str = "web",
    ) -> SignUp:
        """A pending sign-up for ``address`` with a fresh secret (a 6-digit code for a phone,
        a link's nonce for an email), replacing any earlier pending one. A confirmed address
        is left as it is (a stranger cannot change someone's postcode by signing them up)."""
        key = self.recipient_key(address)
        secret = f"{secrets.randbelow(10**6):06d}" if kind == "phone" else secrets.token_urlsafe(18)
        sealed = self._seal_subscriber(
            {
                "address": address,
                "language": language,
                "postcode": postcode,
                "consent_text": consent_text,
                "consent_at": now_text(now),
                "via": via,
            }
        )
        with self.transaction() as db:
            row = db.execute(
                "SELECT id, confirmed_at FROM subscribers WHERE address_key = :key", {"key": key}
            ).fetchone()
            if row is not None and row["confirmed_at"] is not None:
                # No code, but tries counted as for one: a wrong code typed for a known
                # address is answered as for an unknown one (wrong, then dead at the fifth).
                db.execute(
                    "UPDATE subscribers SET code_expires_at = :expires, code_tries = 0"
                    " WHERE id = :id",
                    {"expires": now_text(now + CODE_LIFETIME), "id": row["id"]},
                )
                return SignUp(int(row["id"]), key, None, True)
            values = {
                "key": key,
                "kind": kind,
                "sealed": sealed,
                "hash": self._secret_hash(key, secret),
                "expires": now_text(now + CODE_LIFETIME),
                "now": now_text(now),
            }
            if row is None:
                db.execute(
                    "INSERT INTO subscribers (address_key, kind, sealed, code_hash,"
                    " code_expires_at, code_tries, created_at) VALUES (:key, :kind, :sealed,"
                    " :hash, :expires, 0, :now)",
                    values,
                )
            else:
                db.execute(
                    "UPDATE subscribers SET sealed = :sealed, code_hash = :hash,"
                    " code_expires_at = :expires, code_tries = 0 WHERE address_key = :key",
                    values,
                )
            found = db.execute(
                "SELECT id FROM subscribers WHERE address_key = :key", {"key": key}
            ).fetchone()
        return SignUp(int(found["id"]), key, secret, False)

    def confirm_subscriber(
        self, address_key: str, secret: str, now: datetime
    ) -> Literal["confirmed", "wrong", "dead"]:
        """Prove the address with its code (or link's nonce): ``confirmed``; ``wrong`` (one
        try used); ``dead`` when there is no live code (expired, used up, never made)."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT id, code_hash, code_expires_at, code_tries, confirmed_at FROM subscribers"
                " WHERE address_key = :key",
                {"key": address_key},
            ).fetchone()
            if (
                row is None
                or row["code_expires_at"] is None
                or row["code_expires_at"] < now_text(now)
                or int(row["code_tries"]) >= CODE_TRIES
                or (row["code_hash"] is None and row["confirmed_at"] is None)
            ):
                return "dead"
            if row["confirmed_at"] is None and hmac.compare_digest(
                self._secret_hash(address_key, secret), row["code_hash"]
            ):
                db.execute(
                    "UPDATE subscribers SET confirmed_at = :now, code_hash = NULL,"
                    " code_expires_at = NULL, code_tries = 0 WHERE id = :id",
                    {"now": now_text(now), "id": row["id"]},
                )
                # A consent proved now supersedes a STOP sent before (the number's opt-out).
                db.execute(
                    "DELETE FROM suppressions WHERE channel = '*' AND recipient_key = :key"
                    " AND error_code = 'opted-out'",
                    {"key": address_key},
                )
                return "confirmed"
            tries = int(row["code_tries"]) + 1
            db.execute(
                "UPDATE subscribers SET code_tries = :tries,"
                " code_hash = CASE WHEN :tries >= :most THEN NULL ELSE code_hash END"
                " WHERE id = :id",
                {"tries": tries, "most": CODE_TRIES, "id": row["id"]},
            )
            # (A confirmed row has no code: every try is wrong, as for an unknown address.)
        return "dead" if tries >= CODE_TRIES else "wrong"

    def subscribe_confirmed(
        self,
        kind: Kind,
        address: str,
        language: str,
        postcode: str,
        consent_text: str,
        now: datetime,
        via: str,
    ) -> int:
        """A sign-up the message itself proves (an SMS from the number): confirmed at once; a
        confirmed row is updated (the number asked again, with its own postcode)."""
        key = self.recipient_key(address)
        sealed = self._seal_subscriber(
            {
                "address": address,
                "language": language,
                "postcode": postcode,
                "consent_text": consent_text,
                "consent_at": now_text(now),
                "via": via,
            }
        )
        values = {"key": key, "kind": kind, "sealed": sealed, "now": now_text(now)}
        with self.transaction() as db:
            db.execute(
                "INSERT INTO subscribers (address_key, kind, sealed, code_tries, created_at,"
                " confirmed_at) VALUES (:key, :kind, :sealed, 0, :now, :now)"
                " ON CONFLICT (address_key) DO UPDATE SET sealed = excluded.sealed,"
                " confirmed_at = excluded.confirmed_at, code_hash = NULL,"
                " code_expires_at = NULL, code_tries = 0",
                values,
            )
            row = db.execute(
                "SELECT id FROM subscribers WHERE address_key = :key", {"key": key}
            ).fetchone()
        return int(row["id"])

    def subscriber_id(self, address_key: str) -> int | None:
        row = self.db.execute(
            "SELECT id FROM subscribers WHERE address_key = :key", {"key": address_key}
        ).fetchone()
        return None if row is None else int(row["id"])

    def subscriber(self, subscriber_id: int) -> Subscriber | None:
        row = self.db.execute(
            "SELECT * FROM subscribers WHERE id = :id", {"id": subscriber_id}
        ).fetchone()
        return None if row is None else self._opened(row)

    def subscriber_of(self, address: str) -> Subscriber | None:
        row = self.db.execute(
            "SELECT * FROM subscribers WHERE address_key = :key",
            {"key": self.recipient_key(address)},
        ).fetchone()
        return None if row is None else self._opened(row)

    def forget_subscriber(self, subscriber_id: int) -> bool:
        """The sign-up erased (unsubscribe, erasure): nothing of it is left; False if none."""
        with self.transaction() as db:
            cursor = db.execute("DELETE FROM subscribers WHERE id = :id", {"id": subscriber_id})
        return cursor.rowcount > 0

    def forget_address(self, address: str) -> bool:
        """The sign-up of ``address`` erased (STOP from the number); False if none."""
        with self.transaction() as db:
            cursor = db.execute(
                "DELETE FROM subscribers WHERE address_key = :key",
                {"key": self.recipient_key(address)},
            )
        return cursor.rowcount > 0

    def confirmed_subscribers(self, kind: Kind) -> Iterator[Subscriber]:
        """The confirmed subscribers with an address of ``kind``, oldest first, read in pages
        (a large list never held whole)."""
        last = 0
        while True:
            rows = self.db.execute(
                "SELECT * FROM subscribers WHERE kind = :kind AND confirmed_at IS NOT NULL"
                " AND id > :last ORDER BY id LIMIT 500",
                {"kind": kind, "last": last},
            ).fetchall()
            if not rows:
                return
            for row in rows:
                last = int(row["id"])
                yield self._opened(row)
