"""Several languages: each recipient in theirs, channels pinned to one, visible fallbacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcast.delivery.preflight import prepare
from broadcast.input.incident import load_incident
from broadcast.problems import InputError
from tests.conftest import NOW, write


def plan_for(project: Path, **kwargs):  # type: ignore[no-untyped-def]
    return prepare(
        project / "examples" / "panne-nord.yaml", project / "channels.yaml", now=NOW, **kwargs
    )


def test_each_recipient_gets_their_language(project: Path) -> None:
    plan = plan_for(project)
    sms = next(c for c in plan.channels if c.name == "sms")
    assert list(sms.variants) == ["fr", "en"]
    assert dict(sms.recipients.languages) == {"fr": 3, "en": 1}
    assert sms.variants["en"]["text"].startswith("Énergie Nord: Power cut in Lille")
    assert "Coupure de courant" in sms.variants["fr"]["text"]
    assert sms.parts_for("en_GB") is sms.variants["en"]
    assert sms.parts_for(None) is sms.variants["fr"]
    email = next(c for c in plan.channels if c.name == "email")
    assert email.variants["en"]["subject"].startswith("Power cut in the North area")
    assert sms.problems == [] and email.problems == []


def test_a_language_without_translation_falls_back_visibly(project: Path) -> None:
    contacts = project / "examples" / "contacts.csv"
    contacts.write_text(contacts.read_text() + "Hans Weber,+33 6 12 34 56 81,,de\n")
    plan = plan_for(project, only=["sms"])
    (sms,) = plan.channels
    assert sms.fallbacks == {"de": "fr"}
    assert "de" not in sms.variants
    (problem,) = sms.problems
    assert problem.severity == "warning"
    assert "1 recipient asking for 'de' gets the fr message" in problem.message
    assert sms.parts_for("de") is sms.variants["fr"]


def test_a_channel_pinned_to_a_language(project: Path) -> None:
    config = project / "channels.yaml"
    config.write_text(
        config.read_text().replace(
            "  twitter:\n    type: twitter\n", "  twitter:\n    type: twitter\n    locale: en\n"
        )
    )
    plan = plan_for(project, only=["twitter"])
    (twitter,) = plan.channels
    # A bare "en" writes times the way of a full locale: en_GB, 24-hour, never "11:40 AM".
    assert twitter.locale == "en_GB"
    assert twitter.parts["text"].startswith("Power cut in Lille and Roubaix")
    assert "More news at 11:40." in twitter.parts["text"]
    config.write_text(config.read_text().replace("    locale: en\n", "    locale: de\n"))
    (twitter,) = plan_for(project, only=["twitter"]).channels
    assert twitter.parts["text"].startswith("Coupure de courant")
    assert "pinned to 'de'" in twitter.problems[0].message


def test_a_translation_must_carry_every_text(tmp_path: Path, project: Path) -> None:
    text = (project / "examples" / "panne-nord.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    cut = [line for line in lines if not line.startswith("    summary:")]
    # Drop the two continuation lines of the English summary too.
    start = next(i for i, line in enumerate(lines) if line.startswith("    summary:"))
    cut = lines[:start] + lines[start + 3 :]
    path = write(tmp_path / "i.yaml", "\n".join(cut))
    with pytest.raises(InputError) as caught:
        load_incident(path)
    (problem,) = caught.value.problems
    assert problem.field == "translations.en"
    assert "n'a pas summary" in problem.message  # the file is French: so is its error
    assert cut[problem.line - 1].strip() == "en:"


def test_readers_get_dates_and_times_their_way(project: Path) -> None:
    contacts = project / "examples" / "contacts.csv"
    assert contacts.read_text().endswith(",en_GB\n")  # the shipped reader in Britain
    (sms,) = plan_for(project, only=["sms"]).channels
    # 24-hour clock for a reader in Britain.
    assert "More news at 11:40." in sms.variants["en"]["text"]
    contacts.write_text(contacts.read_text().replace(",en_GB\n", ",en_US\n"))
    (sms,) = plan_for(project, only=["sms"]).channels
    assert "More news at 11:40 AM." in sms.variants["en"]["text"]
    # "en" alone is not a full locale: it gets en_GB (DEFAULT_FULL_LOCALE), never a mix.
    contacts.write_text(contacts.read_text().replace(",en_US\n", ",en\n"))
    (sms,) = plan_for(project, only=["sms"]).channels
    assert "More news at 11:40." in sms.variants["en"]["text"]
