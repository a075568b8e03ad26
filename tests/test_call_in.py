"""The call-in line's answer built from a real ledger (the fast tier; tests/test_serve_voice.py
calls a real ``broadcast serve``): the menu follows the incident's order of languages, each
prompt in its own language; a drill, an ended incident and an incident without recorded words
are never said; a version sent without a voice channel is said from its SMS text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from broadcast.delivery.call_in import answer
from broadcast.ledger.sqlite import Ledger
from tests.conftest import write

KINDS = {"sms": "sms", "appel": "voice"}
T0 = datetime(2026, 11, 22, 8, 40, tzinfo=UTC)


def said(twiml: str) -> list[tuple[str | None, str]]:
    root = ET.fromstring(twiml)
    return [(say.get("language"), say.text or "") for say in root.iter("Say")]


def record(
    ledger: Ledger,
    incident: str,
    texts: dict[str, str],
    *,
    channel: str = "appel",
    status: str = "investigating",
    source: Path | None = None,
    exercise: bool = False,
) -> None:
    first = next(iter(texts))
    renders = [(channel, lang, "text", text) for lang, text in texts.items()]
    renders.append((channel, first, "_facts", "{}"))
    ledger.add_version(
        incident,
        f"{incident}-{status}-{len(texts)}",
        "update",
        status,
        T0,
        None,
        [channel],
        renders,
        source_path=str(source) if source else None,
        exercise=exercise,
    )


def test_the_menu_follows_the_incidents_order_and_each_prompt_its_own_language(
    tmp_path: Path,
) -> None:
    source = write(
        tmp_path / "incident.yaml",
        "id: a\ntranslations:\n  de:\n    headline: x\n  en:\n    headline: y\n",
    )
    ledger = Ledger(tmp_path / "state")
    try:
        # Recorded in another order than the file's: the file's order counts.
        record(
            ledger,
            "a",
            {"fr": "Coupure.", "en": "Power cut.", "de": "Stromausfall."},
            source=source,
        )
        twiml = answer(ledger, KINDS, "Énergie Nord", "+33799999999", None, "fr")
        gather = ET.fromstring(twiml).find("Gather")
        assert gather is not None
        assert [(s.get("language"), s.text) for s in gather.iter("Say")] == [
            ("fr-FR", "Pour le français, appuyez sur 1."),
            ("de-DE", "Für Deutsch drücken Sie die 2."),
            ("en-GB", "For English, press 3."),
        ]
        assert ("de-DE", "Stromausfall.") in said(answer(ledger, KINDS, "É", None, "2", "fr"))
        assert ("en-GB", "Power cut.") in said(answer(ledger, KINDS, "É", None, "3", "fr"))
    finally:
        ledger.close()


def test_what_is_never_said(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "state")
    try:
        record(ledger, "drill", {"fr": "Exercice."}, exercise=True)
        record(ledger, "over", {"fr": "Panne."})
        record(ledger, "over", {"fr": "Fini."}, status="resolved")
        record(ledger, "quiet", {"fr": "   "})
        assert said(answer(ledger, KINDS, "Énergie Nord", None, None, "fr")) == [
            ("fr-FR", "Bonjour, ici Énergie Nord. Aucun incident n'est en cours. Au revoir.")
        ]
        # Sent by SMS only: said from its SMS text.
        record(ledger, "sms-only", {"fr": "Coupure rue Nationale."}, channel="sms")
        spoken = said(answer(ledger, KINDS, "Énergie Nord", None, None, "fr"))
        assert ("fr-FR", "Coupure rue Nationale.") in spoken
        assert not any("Exercice" in text or "Panne" in text for _, text in spoken)
    finally:
        ledger.close()


def test_a_language_without_its_own_words_is_offered_by_its_own_name(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "state")
    try:
        record(ledger, "a", {"fr": "Coupure.", "pl": "Awaria."})
        gather = ET.fromstring(answer(ledger, KINDS, "É", None, None, "fr")).find("Gather")
        assert gather is not None
        assert [(s.get("language"), s.text) for s in gather.iter("Say")][1] == (
            "pl",
            "Polski: 2.",
        )
    finally:
        ledger.close()
