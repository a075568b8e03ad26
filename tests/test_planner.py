"""The delivery planner: time to reach everyone at each channel's rate, against the promise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from broadcast.channels import adapter_class, channel_types
from broadcast.cli import app
from broadcast.delivery.planner import duration
from tests.conftest import NOW

COUNT = 10_000


def big_list(project: Path, rate: str | None = None) -> None:
    (project / "examples" / "contacts.csv").write_text(
        "name,phone,locale\n" + "".join(f"N{i},+336{i:08d},fr\n" for i in range(COUNT)),
        encoding="utf-8",
    )
    if rate is not None:
        config = project / "channels.yaml"
        config.write_text(
            config.read_text(encoding="utf-8").replace(
                "    max_segments: 3", f"    max_segments: 3\n    rate: {rate}"
            ),
            encoding="utf-8",
        )


def run(project: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        app,
        [*args, "examples/panne-nord.yaml", "--config", str(project / "channels.yaml")],
        env={"BROADCAST_NOW": NOW.isoformat(), "COLUMNS": "120"},
        catch_exceptions=False,
    )


def sms_schedule(project: Path, *args: str) -> tuple[dict, list[dict]]:
    document = json.loads(run(project, *args, "--channel", "sms", "--json").stdout)
    (schedule,) = document["delivery_plan"]
    return schedule, [p for p in document["channels"][0]["problems"] if p["field"] == "rate"]


@pytest.mark.parametrize("command", [("preview",), ("send", "--dry-run")])
def test_a_long_code_too_slow_for_the_promise_is_advised_a_messaging_service(
    project: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.chdir(project)
    big_list(project)
    schedule, problems = sms_schedule(project, *command)
    # 10,000 recipients x 2 segments at Twilio's 1 part/s per long code, a promise in 2 h.
    assert (schedule["recipients"], schedule["parts"]) == (COUNT, 2 * COUNT)
    assert (schedule["rate_per_second"], schedule["seconds"]) == (1.0, 2.0 * COUNT)
    assert schedule["next_update_in_seconds"] == 2 * 3600
    assert "Messaging Service" in schedule["advice"] and "short code" in schedule["advice"]
    assert "5 h 33 min" in schedule["advice"]
    (warning,) = problems
    assert (warning["severity"], warning["channel"]) == ("warning", "sms")
    terminal = run(project, *command, "--channel", "sms").stdout
    assert "Delivery plan (next update promised in 2 h)" in terminal
    assert "5 h 33 min" in terminal and "10,000" in terminal


def test_a_rate_that_fits_the_promise_gets_no_advice(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    big_list(project, rate="10/s")
    schedule, problems = sms_schedule(project, "preview")
    assert (schedule["seconds"], schedule["advice"], problems) == (2000.0, None, [])


def test_each_reader_counts_their_language_s_segments(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    document = json.loads(run(project, "preview", "--channel", "sms", "--json").stdout)
    (channel,) = document["channels"]
    segments = (
        channel["segments"] * channel["recipients_by_language"]["fr"]
        + channel["variants"]["en"]["segments"] * channel["recipients_by_language"]["en"]
    )
    assert document["delivery_plan"][0]["parts"] == segments


def test_the_planner_s_rates_are_the_adapters() -> None:
    """One declaration: the rate the planner plans with (the channel's model, read without
    its SDK) is the one its adapter sends at."""
    for kind, model in channel_types().items():
        adapter = adapter_class(kind)
        assert adapter.default_rate == model.DEFAULT_RATE, kind
        assert adapter.default_concurrency == model.DEFAULT_CONCURRENCY, kind
        assert adapter.recipient_kind == model.CONTACT, kind
    assert channel_types()["sms"].DEFAULT_RATE == 1.0


def test_durations_read_as_people_say_them() -> None:
    assert [duration(s) for s in (12, 90, 3599, 7200, 20000, 200_000)] == [
        "12 s",
        "2 min",
        "1 h",
        "2 h",
        "5 h 33 min",
        "2 d 7 h",
    ]
