"""Operating it for real: a list the channel cannot mostly use, another folder's ledger, an
incident moved or held at another path, a tick folder with other YAML in it, a missing secret.

Real CLI runs against the local peers (``tests.world``); a real PostgreSQL for two hosts.
"""

from __future__ import annotations

from tests.world import PHONES, World


def _words(output: str) -> str:
    assert "Traceback" not in output, output
    return " ".join(output.split())


# -- 15. a channel that would skip most of its list is not ready --------------------------


def _without_region(world: World) -> None:
    config = world.folder / "channels.yaml"
    text = config.read_text(encoding="utf-8")
    assert "    default_region: FR\n" in text
    config.write_text(text.replace("    default_region: FR\n", ""), encoding="utf-8")


def test_a_list_of_national_numbers_without_a_region_is_not_ready(world: World) -> None:
    _without_region(world)  # 4 of the 6 numbers are national (06 ...): 2 could be reached
    result = world.run("validate", "incident.yaml")
    said = _words(result.output)
    assert result.exit_code == 2, said
    assert "ready" not in said.replace("not ready", "")
    assert "4 of the 6 phones in contacts.csv cannot be used" in said, said
    assert "no default_region" in said and "default_region: FR" in said
    code, doc = world.run_json("send", "incident.yaml", "--yes")
    assert code == 2
    sms = next(c for c in doc["channels"] if c["channel"] == "sms")
    errors = [p for p in sms["problems"] if p["severity"] == "error"]
    assert [p["field"] for p in errors] == ["default_region"], errors
    assert world.twilio.requests() == [] and world.smtp.received == []


def test_a_few_bad_rows_still_send_and_the_count_skipped_is_shown(world: World) -> None:
    preview = world.run("preview", "incident.yaml", "--channel", "sms", env={"COLUMNS": "200"})
    said = _words(preview.output)
    assert preview.exit_code == 0, said
    assert "4, 1 skipped" in said
    code, doc = world.run_json("send", "incident.yaml", "--yes", "--channel", "sms")
    assert code == 0, doc
    assert sorted(m.to for m in world.twilio.messages()) == sorted(PHONES)
    assert doc["channels"][0]["recipients_skipped"] == 1
