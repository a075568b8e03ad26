"""Completeness of a warning (what, where, when, what to do, who speaks, when next), on the
fields and on what each channel really carries once rendered.

Every shipped incident, through every shipped template of every channel type, update and
reminder, carries what its channels must carry (``CARRIES``): no finding. A team's template
that drops the next update, or an SMS that lost the instruction of a critical incident, is
found on that channel's text, naming the channel, the part and the template; the second is an
error that stops a real send (exit 2, nothing at the peer) until fixed or overridden.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from broadcast.channels import channel_types
from broadcast.content.wording.messages import level_of
from broadcast.delivery.preflight import prepare
from broadcast.input.incident import load_incident
from tests.conftest import NOW, write
from tests.test_bad_incidents import SHIPPED
from tests.world import SECRETS, World, broadcast

CONTACTS = """\
name,phone,email,locale
Camille Martin,06 12 34 56 78,camille.martin@example.com,fr
Emma Wilson,+44 7400 123456,emma.wilson@example.co.uk,en
"""

EVERY_CHANNEL = """\
organisation: {organisation}
defaults: {{locale: fr, timezone: Europe/Paris}}
channels:
  sms:
    type: sms
    from: "+15005550006"
    recipients: contacts.csv
    default_region: FR
    account_sid: "${{TWILIO_ACCOUNT_SID}}"
    auth_token: "${{TWILIO_AUTH_TOKEN}}"
  voice:
    type: voice
    from: "+15005550006"
    recipients: contacts.csv
    default_region: FR
    account_sid: "${{TWILIO_ACCOUNT_SID}}"
    auth_token: "${{TWILIO_AUTH_TOKEN}}"
  email:
    type: email
    host: 127.0.0.1
    port: 2525
    from: "Alerts <alerts@example.com>"
    recipients: contacts.csv
  twitter:
    type: twitter
    consumer_key: "${{X_CONSUMER_KEY}}"
    consumer_secret: "${{X_CONSUMER_SECRET}}"
    access_token: "${{X_ACCESS_TOKEN}}"
    access_token_secret: "${{X_ACCESS_TOKEN_SECRET}}"
  facebook:
    type: facebook
    page_id: "1234567890"
    access_token: "${{FB_PAGE_TOKEN}}"
  teams:
    type: apprise
    urls: ["${{JSON_HOOK}}"]
  banner:
    type: web_banner
    output_dir: public/status
  alerts:
    type: cap
    output_dir: public/cap
    sender: alerts@example.com
"""
ENVIRON = {**SECRETS, "FB_PAGE_TOKEN": "token", "JSON_HOOK": "json://127.0.0.1:9/hook"}


def every_channel(folder: Path, organisation: str = "Énergie Nord") -> Path:
    write(folder / "contacts.csv", CONTACTS)
    return write(folder / "channels.yaml", EVERY_CHANNEL.format(organisation=organisation))


def completeness(problems: list) -> list:
    return [p for p in problems if (p.check or "").startswith("complete")]


def test_every_channel_type_declares_what_it_carries_or_nothing() -> None:
    """``CARRIES`` names parts the channel renders and elements the check knows."""
    from broadcast.channels import channel_model
    from broadcast.content.wording.completeness import ELEMENTS

    judged = 0
    for kind in channel_types():
        model = channel_model(kind)
        for part, elements in model.CARRIES.items():
            assert part in model.TEMPLATES, (kind, part)
            assert set(elements) <= set(ELEMENTS), (kind, elements)
            judged += 1
    assert judged >= 8


@pytest.mark.parametrize("reminder", [False, True], ids=["update", "reminder"])
@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_incident_is_complete_through_every_shipped_template(
    tmp_path: Path, path: Path, reminder: bool
) -> None:
    config = every_channel(tmp_path)
    incident, _ = load_incident(path)
    plan = prepare(
        path,
        config,
        now=incident.started_at + timedelta(minutes=45),
        reminder=reminder,
        environ=ENVIRON,
    )
    assert plan.incident is not None, [p.sentence() for p in plan.all_problems]
    # Every type rendered (the check had texts to read), in both languages where read.
    assert {c.type for c in plan.channels} == set(channel_types()) - {"pager"}
    assert [p.sentence() for p in completeness(plan.all_problems)] == []


def test_a_team_sms_template_that_drops_the_next_update_is_found_on_the_sms(
    world: World,
) -> None:
    template = write(
        world.folder / "templates" / "sms.txt.j2", "{{ organisation }} : {{ headline }}\n"
    )
    code, out, err = broadcast(world, "preview", "incident.yaml", "--json", "--channel", "sms")
    assert code == 0, err  # a warning: shown, not stopping
    (sms,) = json.loads(out)["channels"]
    found = [p for p in sms["problems"] if p["check"] == "complete_text"]
    assert len(found) == 2  # the French text and the English one
    first = found[0]
    assert (first["severity"], first["channel"], first["field"]) == ("warning", "sms", "text")
    assert Path(first["file"]).resolve() == template.resolve()
    assert "quand viendront les prochaines nouvelles" in first["message"]  # the file's language
    assert "sms.txt.j2" in first["message"]
    # The shipped template carries it: nothing found.
    template.unlink()
    code, out, _ = broadcast(world, "preview", "incident.yaml", "--json", "--channel", "sms")
    (sms,) = json.loads(out)["channels"]
    assert [p for p in sms["problems"] if (p["check"] or "").startswith("complete")] == []


def test_an_sms_that_lost_the_instruction_of_a_critical_incident_stops_the_send(
    world: World,
) -> None:
    """Critical: the instruction is in the offline line, which the shipped SMS carries; a
    team's template without it leaves people not knowing what to do. An error: nothing is
    sent until the template is fixed or the sender answers for it."""
    path = world.folder / "incident.yaml"
    text = path.read_text(encoding="utf-8").replace("severity: major", "severity: critical")
    text = text.replace(
        'offline: "Sans internet : 0 800 000 000, gratuit."',
        'offline: "Sans internet, appelez le 0 800 000 000 (gratuit)."',
    )
    text = text.replace(
        "sign_off: Le service client",
        "signed_by: Claire Martin, directrice\nsign_off: Le service client",
    )
    text = text.replace(
        "    sign_off: Énergie Nord customer service",
        "    signed_by: Claire Martin, Director\n    sign_off: Énergie Nord customer service",
    )
    path.write_text(text, encoding="utf-8")
    write(
        world.folder / "templates" / "sms.txt.j2",
        '{% import "fr/_phrases.j2" as p with context %}'
        "{{ organisation }} : {{ headline }} {{ p.next_update_short() }}\n",
    )
    code, out, err = broadcast(
        world, "send", "incident.yaml", "--yes", "--json", "--channel", "sms"
    )
    assert code == 2, err
    document = json.loads(out)
    (sms,) = document["channels"]
    found = [p for p in sms["problems"] if p["check"] == "complete_text_action"]
    assert found and all(
        p["severity"] == level_of("complete_text_action") == "error" for p in found
    )
    assert world.twilio.requests() == []
    # Said with how to go on, naming the check.
    assert any(
        "--accept-wording" in p["message"] and "complete_text_action" in p["message"]
        for p in document["problems"]
    )


def test_an_sms_fitted_to_its_segments_that_dropped_the_next_update_is_found(
    world: World,
) -> None:
    """The SMS as fitted, not as written: a team template whose next update may be dropped
    to fit max_segments, on a text that needs the room, loses it; the check reads the SMS
    people get."""
    write(
        world.folder / "templates" / "sms.txt.j2",
        '{% import "fr/_phrases.j2" as p with context %}'
        "{{ organisation }} : {{ headline }} {{ summary }} {{ affected }} {{ title }}"
        "{% filter droppable(1) %} {{ p.next_update_short() }}{% endfilter %}\n",
    )
    config = world.folder / "channels.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "    default_region: FR\n", "    default_region: FR\n    max_segments: 2\n", 1
        ),
        encoding="utf-8",
    )
    code, out, err = broadcast(world, "preview", "incident.yaml", "--json", "--channel", "sms")
    assert code == 0, err  # a warning: shown, not stopping
    (sms,) = json.loads(out)["channels"]
    assert "Point à" not in sms["text"], sms["text"]  # dropped to fit
    found = [p for p in sms["problems"] if p["check"] == "complete_text"]
    assert found and "quand viendront les prochaines nouvelles" in found[0]["message"]
    # With the room, the same template keeps it, and nothing is found.
    config.write_text(
        config.read_text(encoding="utf-8").replace("max_segments: 2", "max_segments: 6"),
        encoding="utf-8",
    )
    code, out, _ = broadcast(world, "preview", "incident.yaml", "--json", "--channel", "sms")
    (sms,) = json.loads(out)["channels"]
    assert code == 0 and "Point à 11h40" in sms["text"]
    assert [p for p in sms["problems"] if p["check"] == "complete_text"] == []


# -- what tells people what to do: imperatives and the hazards' protective actions ------------

EAU = """\
id: eau-critique
status: identified
severity: critical
locale: fr_FR
timezone: Europe/Paris
title: Eau du robinet impropre à la consommation à Ardres
headline: L'eau du robinet est impropre à la consommation à Ardres. Point à 18h.
started_at: 2026-12-05 08:00
affected: Les 4 500 foyers d'Ardres
summary: Des analyses de ce matin ont trouvé des bactéries dans le réseau.
actions: >
  Des bouteilles d'eau sont distribuées à la mairie d'Ardres de 9h à 19h. Nos équipes purgent
  les canalisations.
next_update: 2026-12-05 18:00
signed_by: Marie Lefort, maire d'Ardres
offline: Un numéro gratuit répond jour et nuit, le 0 800 000 000.
"""

GAS = """\
id: gas-mill-lane
status: identified
severity: critical
locale: en_GB
timezone: Europe/London
title: Gas leak on Mill Lane
headline: Gas leak on Mill Lane. Residents are being moved to the Corn Exchange.
started_at: 2026-12-05 08:00
affected: About 60 homes on Mill Lane, Ely
summary: A gas main was damaged by roadworks this morning.
actions: The Corn Exchange has become a rest point. Our engineers are repairing the main.
next_update: 2026-12-05 10:00
signed_by: Sam Hale, duty manager
offline: A free line answers day and night, 0800 000 0000.
"""


def _kinds(tmp_path: Path, text: str, **settings: object) -> set[str | None]:
    from tests.test_facts_wording import checks

    return {check for check, _, _ in checks(tmp_path, text, **settings)}


def test_a_protective_action_said_without_an_imperative_tells_people_what_to_do(
    tmp_path: Path,
) -> None:
    """One reading of "what people must do": bottled water handed out at the town hall is the
    action for water unsafe to drink (hazards.yaml), so completeness does not say the critical
    notice never tells people what to do while the safety check is content with it."""
    kinds = _kinds(tmp_path, EAU)
    assert "safety_action" not in kinds and "complete_action" not in kinds, kinds
    # Without it, both say so.
    bare = EAU.replace(
        "Des bouteilles d'eau sont distribuées à la mairie d'Ardres de 9h à 19h. ", ""
    )
    kinds = _kinds(tmp_path, bare)
    assert {"safety_action", "complete_action"} <= kinds, kinds


def test_a_teams_phrasing_of_an_action_in_channels_yaml_is_an_instruction_too(
    tmp_path: Path,
) -> None:
    """A team that extends a hazard's action in channels.yaml (``content_checks:
    safety_actions``) extends what completeness counts as telling people what to do."""
    kinds = _kinds(tmp_path, GAS)
    assert {"safety_action", "complete_action"} <= kinds, kinds
    team = {"gas_leak": ["moved to the Corn Exchange"]}
    kinds = _kinds(tmp_path, GAS, safety_actions=team)
    assert "safety_action" not in kinds and "complete_action" not in kinds, kinds


def test_a_rendered_text_must_keep_the_protective_action_the_fields_give(
    tmp_path: Path,
) -> None:
    """On a channel's rendered text, the same reading: the fields tell people what to do by the
    hazard's action, so an SMS that drops it lacks "what to do"; one that keeps it does not."""
    from broadcast.content.wording.completeness import missing_in_text

    headline = "L'eau du robinet est impropre à la consommation à Ardres. Point à 18h."
    said = "Eau impropre à la consommation, bouteilles d'eau à la mairie d'Ardres. Point à 18h."
    incident, _ = load_incident(write(tmp_path / "incident.yaml", EAU.replace(headline, said)))
    hazards = ("water_unsafe",)
    dropped = "Eau du robinet impropre à la consommation à Ardres. Point à 18h."
    kept = dropped + " Bouteilles d'eau à la mairie de 9h à 19h."
    assert missing_in_text(dropped, ("do",), incident, "Eaux d'Ardres", NOW, hazards=hazards) == [
        "do"
    ]
    assert missing_in_text(kept, ("do",), incident, "Eaux d'Ardres", NOW, hazards=hazards) == []
    # The team's own phrasing counts on the rendered text as on the fields.
    team = {"water_unsafe": ["la mairie distribue"]}
    own = "Eau impropre à la consommation : la mairie distribue de l'eau."
    assert missing_in_text(own, ("do",), incident, "Eaux", NOW, hazards=hazards, own=team) == []
