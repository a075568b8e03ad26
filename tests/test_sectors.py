"""``broadcast init --sector``: a ready set per sector, each incident ready to send as shipped.

Every sector's incidents go through the real preflight with the channels.yaml and contacts
written beside them, at a moment shortly after the incident started: nothing may be wrong,
not even a warning, in either language, for an update or a reminder.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from broadcast.content.measure import GSM7, sms_measure, tweet_weighted_length
from broadcast.content.render import SHIPPED_TEMPLATES
from broadcast.content.wording.checks import check_content
from broadcast.delivery.preflight import TWEET_LIMIT, prepare
from broadcast.input.incident import load_incident
from broadcast.problems import InputError
from broadcast.starter import SECTORS, SECTORS_ROOT, STARTER_FILES, STARTER_ROOT, write_starter

LANGUAGES = ("fr", "en")
# The fields every sector incident fills in (eta and compensation only where they fit).
REQUIRED = (
    "id",
    "status",
    "severity",
    "locale",
    "timezone",
    "title",
    "headline",
    "started_at",
    "affected",
    "summary",
    "actions",
    "next_update",
    "apology",
    "link",
    "faq",
)
_MACRO = re.compile(r"\{%-?\s*macro\s+(\w+)\(")


def _written(tmp_path: Path, sector: str) -> Path:
    write_starter(tmp_path, sector=sector)
    return tmp_path


def _incident_file(directory: Path, sector: str, language: str) -> Path:
    return directory / "examples" / f"{sector}-{language}.yaml"


def _soon_after_start(path: Path) -> object:
    """A moment 45 minutes into the incident: nothing it announces is in the past yet."""
    incident, _ = load_incident(path)
    return incident.started_at + timedelta(minutes=45)


def test_every_sector_has_its_folder() -> None:
    folders = {path.name for path in SECTORS_ROOT.iterdir() if path.is_dir()}
    assert folders >= set(SECTORS)
    for sector in SECTORS:
        for name in ("channels.yaml", f"{sector}-fr.yaml", f"{sector}-en.yaml"):
            assert (SECTORS_ROOT / sector / name).is_file(), (sector, name)


@pytest.mark.parametrize("sector", SECTORS)
def test_init_with_a_sector_writes_its_ready_set(tmp_path: Path, sector: str) -> None:
    written = write_starter(tmp_path, sector=sector)

    relative = {path.relative_to(tmp_path).as_posix() for path in written}
    assert written[0] == tmp_path / "channels.yaml"
    assert {
        "channels.yaml",
        "examples/contacts.csv",
        f"examples/{sector}-fr.yaml",
        f"examples/{sector}-en.yaml",
        "templates/fr/sms.txt.j2",
        "templates/en/sms.txt.j2",
    } <= relative
    assert "examples/panne-nord.yaml" not in relative
    # Every shipped template is there to edit, as without a sector.
    for template in SHIPPED_TEMPLATES.rglob("*.j2"):
        assert (tmp_path / "templates" / template.relative_to(SHIPPED_TEMPLATES)).is_file()
    shipped_contacts = (STARTER_ROOT / "examples" / "contacts.csv").read_bytes()
    assert (tmp_path / "examples" / "contacts.csv").read_bytes() == shipped_contacts
    organisation = yaml.safe_load((tmp_path / "channels.yaml").read_text(encoding="utf-8"))
    assert organisation["organisation"] != "Énergie Nord"


@pytest.mark.parametrize("sector", SECTORS)
def test_sector_channels_keep_the_shipped_layout(sector: str) -> None:
    shipped = yaml.safe_load((STARTER_ROOT / "channels.yaml").read_text(encoding="utf-8"))
    ours = yaml.safe_load((SECTORS_ROOT / sector / "channels.yaml").read_text(encoding="utf-8"))
    assert ours["defaults"] == shipped["defaults"]
    assert list(ours["channels"]) == list(shipped["channels"])
    for name, channel in shipped["channels"].items():
        assert set(ours["channels"][name]) == set(channel), name
        assert ours["channels"][name]["type"] == channel["type"]
        for key, value in channel.items():
            if isinstance(value, str) and value.startswith("${"):
                assert ours["channels"][name][key] == value, (name, key)
    assert ours["channels"]["sms"]["recipients"] == "examples/contacts.csv"
    assert ours["channels"]["banner"]["output_dir"] == shipped["channels"]["banner"]["output_dir"]


@pytest.mark.slow
@pytest.mark.parametrize("reminder", [False, True], ids=["update", "reminder"])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("sector", SECTORS)
def test_sector_incident_is_ready_to_send(
    tmp_path: Path, sector: str, language: str, reminder: bool
) -> None:
    directory = _written(tmp_path, sector)
    path = _incident_file(directory, sector, language)

    plan = prepare(
        path, directory / "channels.yaml", now=_soon_after_start(path), reminder=reminder
    )

    assert [p.sentence() for p in plan.all_problems] == []
    assert plan.config is not None
    assert {c.name for c in plan.channels} == set(plan.config.channels)
    for channel in plan.channels:
        expected = set(plan.config.channels[channel.name].template_names(reminder))
        # Contacts ask for French and English: the channels with recipients speak both.
        if channel.recipients is not None:
            assert set(channel.variants) == {"fr", "en"}, channel.name
        for parts in channel.variants.values():
            assert set(parts) == expected, channel.name
            assert all(text.strip() for text in parts.values()), channel.name
        if channel.type == "sms":
            for measure in (channel.measures, *channel.variant_measures.values()):
                assert measure["segments"] <= 3
                assert measure["encoding"] == GSM7, measure["non_gsm"]
        if channel.type == "twitter" and not reminder:
            assert len(channel.measures["thread"]) == 1, channel.measures["weighted_length"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("sector", SECTORS)
def test_sector_headline_fits_one_post_and_one_alphabet(sector: str, language: str) -> None:
    incident, _ = load_incident(SECTORS_ROOT / sector / f"{sector}-{language}.yaml")
    for headline in (incident.headline, *(t.headline for t in incident.translations.values())):
        assert headline is not None
        assert tweet_weighted_length(headline) <= TWEET_LIMIT
        # é, è, à are GSM-7; ê, ç, ô or a curly apostrophe would double the SMS.
        assert sms_measure(headline).encoding == GSM7, sms_measure(headline).non_gsm


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("sector", SECTORS)
def test_sector_wording_is_plain(sector: str, language: str) -> None:
    """Short sentences (under 25 words), no jargon, no shouting, an apology, a clear headline."""
    incident, doc = load_incident(SECTORS_ROOT / sector / f"{sector}-{language}.yaml")
    problems = check_content(incident, doc, max_sentence_words=24)
    assert [p.sentence() for p in problems] == []
    assert "!" not in doc.path.read_text(encoding="utf-8")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("sector", SECTORS)
def test_sector_incident_is_complete_and_explained(sector: str, language: str) -> None:
    path = SECTORS_ROOT / sector / f"{sector}-{language}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    incident, _ = load_incident(path)

    assert [field for field in REQUIRED if not data.get(field)] == []
    assert incident.language == language
    assert 3 <= len(incident.faq) <= 5
    other = "en" if language == "fr" else "fr"
    assert set(incident.translations) == {other}
    assert len(incident.translations[other].faq or ()) == len(incident.faq)
    # Like examples/panne-nord.yaml, every field is explained to the person who edits it.
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^[a-z_]+:", line):
            above = number - 1
            while above >= 0 and re.match(r"^[a-z_]+:", lines[above]):
                above -= 1  # locale and timezone share one comment
            assert above >= 0 and lines[above].startswith("#"), f"{path.name}: {line}"


@pytest.mark.parametrize("sector", SECTORS)
def test_sector_templates_keep_every_shipped_macro(tmp_path: Path, sector: str) -> None:
    """A sector's own _phrases.j2 replaces the shipped one: the templates still need them all."""
    own = SECTORS_ROOT / sector / "templates"
    directory = _written(tmp_path, sector)
    for template in own.rglob("*.j2") if own.is_dir() else ():
        relative = template.relative_to(own)
        assert (directory / "templates" / relative).read_bytes() == template.read_bytes()
        shipped = SHIPPED_TEMPLATES / relative
        if shipped.is_file():
            assert set(_MACRO.findall(template.read_text(encoding="utf-8"))) == set(
                _MACRO.findall(shipped.read_text(encoding="utf-8"))
            ), relative


@pytest.mark.parametrize(
    ("name", "hint"),
    [("banque", "did you mean 'bank'?"), ("transports", "did you mean 'transport'?"), ("x", "")],
)
def test_unknown_sector_lists_the_sectors(tmp_path: Path, name: str, hint: str) -> None:
    with pytest.raises(InputError) as caught:
        write_starter(tmp_path, sector=name)

    (problem,) = caught.value.problems
    assert f"no sector '{name}'" in problem.message
    assert hint in problem.message
    assert ("did you mean" in problem.message) == bool(hint)
    assert ", ".join(SECTORS) in problem.message
    assert problem.field == "--sector"
    assert not any(tmp_path.iterdir())


def test_sector_name_ignores_case(tmp_path: Path) -> None:
    written = write_starter(tmp_path, sector=" Bank ")
    assert tmp_path / "examples" / "bank-fr.yaml" in written


def test_existing_files_are_kept_without_force(tmp_path: Path) -> None:
    write_starter(tmp_path, sector="utility")
    channels = tmp_path / "channels.yaml"
    channels.write_text("organisation: Mine\n", encoding="utf-8")

    with pytest.raises(InputError) as caught:
        write_starter(tmp_path, sector="telecom")

    assert "already there" in caught.value.problems[0].message
    assert channels.read_text(encoding="utf-8") == "organisation: Mine\n"
    assert not (tmp_path / "examples" / "telecom-fr.yaml").exists()

    write_starter(tmp_path, sector="telecom", force=True)
    assert "Telvio" in channels.read_text(encoding="utf-8")


def test_without_a_sector_the_generic_starter_is_written(tmp_path: Path) -> None:
    written = write_starter(tmp_path)

    relative = {path.relative_to(tmp_path).as_posix() for path in written}
    assert set(STARTER_FILES) <= relative
    assert not any(name.startswith(f"examples/{s}-") for name in relative for s in SECTORS)
    assert (tmp_path / "templates" / "fr" / "_phrases.j2").read_bytes() == (
        SHIPPED_TEMPLATES / "fr" / "_phrases.j2"
    ).read_bytes()
