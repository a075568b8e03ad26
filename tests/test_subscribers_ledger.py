"""The ledger's subscribers on both engines: sealed (no address, postcode or consent in the
rows), codes that expire and die after 5 wrong tries, a confirmed row a stranger cannot change,
and the subscribers as a channel's targets (once each after the CSV's, within an area)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from broadcast.channels.base import Target
from broadcast.delivery.subscribers import with_subscribers
from tests.test_ledger import T0, LedgerMaker
from tests.test_ledger import open_ledger as open_ledger  # a fixture

pytestmark = pytest.mark.both_engines

PHONE = "+33611223344"
OTHER = "+33611223355"


def test_a_subscriber_is_sealed_and_confirmed_by_its_code_only(
    open_ledger: LedgerMaker, tmp_path: Path
) -> None:
    ledger = open_ledger(tmp_path)
    try:
        signed = ledger.sign_up("phone", PHONE, "fr", "59000", "J'accepte les alertes", T0)
        assert signed.secret is not None and len(signed.secret) == 6 and not signed.known
        rows = [dict(r) for r in ledger.db.execute("SELECT * FROM subscribers").fetchall()]
        said = str(rows)
        for secret in (PHONE, "59000", "accepte", signed.secret):
            assert secret not in said
        wrong = f"{(int(signed.secret) + 1) % 10**6:06d}"
        assert ledger.confirm_subscriber(signed.address_key, wrong, T0) == "wrong"
        assert list(ledger.confirmed_subscribers("phone")) == []
        ledger.opt_out(PHONE)  # a STOP before: the proved consent supersedes it
        assert ledger.confirm_subscriber(signed.address_key, signed.secret, T0) == "confirmed"
        assert not ledger.is_opted_out(PHONE)
        [held] = ledger.confirmed_subscribers("phone")
        assert (held.address, held.postcode, held.consent_text) == (
            PHONE,
            "59000",
            "J'accepte les alertes",
        )
        # Signed up again by anyone: the confirmed row is not changed, and no code is made.
        again = ledger.sign_up("phone", PHONE, "en", "75001", "other words", T0)
        assert again.known and again.secret is None
        assert ledger.subscriber_of(PHONE).postcode == "59000"  # type: ignore[union-attr]
        # Codes typed for it are wrong, then dead at the fifth, as for an unknown address.
        said = [ledger.confirm_subscriber(again.address_key, "123456", T0) for _ in range(5)]
        assert said == ["wrong"] * 4 + ["dead"]
        assert ledger.subscriber_of(PHONE).confirmed_at is not None  # type: ignore[union-attr]
    finally:
        ledger.close()


def test_a_code_expires_and_dies_after_five_wrong_tries(
    open_ledger: LedgerMaker, tmp_path: Path
) -> None:
    ledger = open_ledger(tmp_path)
    try:
        late = ledger.sign_up("phone", PHONE, "fr", "59000", "ok", T0)
        after = T0 + timedelta(minutes=16)
        assert ledger.confirm_subscriber(late.address_key, late.secret or "", after) == "dead"
        fresh = ledger.sign_up("phone", PHONE, "fr", "59000", "ok", after)
        wrong = f"{(int(fresh.secret or 0) + 1) % 10**6:06d}"
        said = [ledger.confirm_subscriber(fresh.address_key, wrong, after) for _ in range(5)]
        assert said == ["wrong"] * 4 + ["dead"]
        assert ledger.confirm_subscriber(fresh.address_key, fresh.secret or "", after) == "dead"
        assert list(ledger.confirmed_subscribers("phone")) == []
    finally:
        ledger.close()


def test_subscribers_follow_the_csv_once_each_within_the_area(
    open_ledger: LedgerMaker, tmp_path: Path
) -> None:
    ledger = open_ledger(tmp_path)
    try:
        for number, postcode in ((PHONE, "59000"), (OTHER, "75001"), ("+33611223366", "59000")):
            ledger.subscribe_confirmed("phone", number, "en", postcode, "JOIN", T0, "sms")
        ledger.sign_up("phone", "+33611223377", "fr", "59000", "ok", T0)  # pending: never sent
        csv = [Target("+33611223366", "Camille", 2, "fr")]
        sent = list(with_subscribers(iter(csv), ledger, "phone"))
        assert [t.address for t in sent] == ["+33611223366", PHONE, OTHER]
        assert sent[1].locale == "en" and sent[1].line is None
        inside = list(with_subscribers(None, ledger, "phone", lambda code: code == "59000"))
        assert [t.address for t in inside] == [PHONE, "+33611223366"]
        assert list(with_subscribers(None, ledger, "email")) == []
        assert ledger.forget_address(PHONE) and not ledger.forget_address(PHONE)
        assert [t.address for t in with_subscribers(None, ledger, "phone")] == [
            OTHER,
            "+33611223366",
        ]
    finally:
        ledger.close()
