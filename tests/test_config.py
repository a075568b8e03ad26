"""channels.yaml: channel types, ${VAR} references, secrets kept out of files."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcast.input.config import config_path, load_config, resolve_credentials
from broadcast.problems import InputError
from tests.conftest import REPO, write

SECRETS_ENV = {
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "token-never-printed",
}


def load_problems(path: Path, env: dict[str, str] | None = None) -> list:
    with pytest.raises(InputError) as caught:
        load_config(path, env or {})
    return caught.value.problems


def test_shipped_configuration_loads_without_any_secret() -> None:
    config = load_config(REPO / "channels.yaml", environ={})
    assert {name: c.type for name, c in config.channels.items()} == {
        "sms": "sms",
        "email": "email",
        "twitter": "twitter",
        "banner": "web_banner",
    }
    assert config.channels["sms"].template_names() == {"text": "sms.txt.j2"}
    assert config.defaults.timezone == "Europe/Paris"


def test_credentials_are_read_only_when_asked_and_named_when_missing() -> None:
    config = load_config(REPO / "channels.yaml", environ={})
    values, problems = resolve_credentials(config, "sms", SECRETS_ENV)
    assert problems == []
    assert values == {"account_sid": "AC" + "1" * 32, "auth_token": "token-never-printed"}
    _, problems = resolve_credentials(config, "twitter", {"X_CONSUMER_KEY": "k"})
    missing = {p.field: p for p in problems}
    assert set(missing) == {"consumer_secret", "access_token", "access_token_secret"}
    assert missing["consumer_secret"].channel == "twitter"
    assert "X_CONSUMER_SECRET" in missing["consumer_secret"].message
    assert (
        missing["consumer_secret"].line
        == REPO.joinpath("channels.yaml")
        .read_text()
        .split("\n")
        .index('    consumer_secret: "${X_CONSUMER_SECRET}"')
        + 1
    )


def test_literal_secret_is_refused_and_not_echoed(tmp_path: Path) -> None:
    text = (REPO / "channels.yaml").read_text().replace('"${SMTP_PASSWORD}"', "hunter2-secret")
    problems = load_problems(write(tmp_path / "channels.yaml", text))
    (problem,) = problems
    assert (problem.channel, problem.field) == ("email", "password")
    assert "environment" in problem.message
    assert "hunter2" not in problem.sentence()


def test_unknown_type_and_misspelt_field_get_hints(tmp_path: Path) -> None:
    text = (
        (REPO / "channels.yaml")
        .read_text()
        .replace("type: twitter", "type: twiter")
        .replace("max_segments: 3", "max_segment: 3")
    )
    problems = {p.channel: p for p in load_problems(write(tmp_path / "channels.yaml", text))}
    assert problems["twitter"].field == "type"
    assert "did you mean 'twitter'" in problems["twitter"].message
    assert problems["sms"].field == "max_segment"
    assert "did you mean 'max_segments'" in problems["sms"].message
    lines = text.splitlines()
    assert lines[problems["sms"].line - 1].strip().startswith("max_segment:")
    assert lines[problems["twitter"].line - 1].strip() == "type: twiter"


def test_plain_fields_read_the_environment_at_load(tmp_path: Path) -> None:
    text = """\
organisation: Org
channels:
  mail: {type: email, host: "${SMTP_HOST}", from: a@example.com, recipients: c.csv}
"""
    path = write(tmp_path / "channels.yaml", text)
    assert load_config(path, {"SMTP_HOST": "mail.example.net"}).channels["mail"].host == (
        "mail.example.net"
    )
    (problem,) = load_problems(path, {})
    assert (problem.channel, problem.field, problem.line) == ("mail", "host", 3)
    assert "SMTP_HOST" in problem.message


def test_several_channels_of_one_type(tmp_path: Path) -> None:
    text = """\
organisation: Org
channels:
  twitter_fr: {type: twitter, locale: fr, consumer_key: "${A}", consumer_secret: "${B}",
               access_token: "${C}", access_token_secret: "${D}"}
  twitter_en: {type: twitter, locale: en, consumer_key: "${E}", consumer_secret: "${F}",
               access_token: "${G}", access_token_secret: "${H}"}
"""
    config = load_config(write(tmp_path / "channels.yaml", text), {})
    assert [c.locale for c in config.channels.values()] == ["fr", "en"]


def test_config_path_precedence(tmp_path: Path) -> None:
    assert config_path(tmp_path / "x.yaml", {"BROADCAST_CONFIG": "y.yaml"}) == tmp_path / "x.yaml"
    assert config_path(None, {"BROADCAST_CONFIG": "y.yaml"}) == Path("y.yaml")
    assert config_path(None, {}) == Path("channels.yaml")


def test_bad_rate_and_no_channels(tmp_path: Path) -> None:
    text = "organisation: Org\nchannels: {}\n"
    (problem,) = load_problems(write(tmp_path / "a.yaml", text))
    assert problem.field == "channels"
    text = "organisation: Org\nchannels:\n  b: {type: web_banner, output_dir: out, rate: fast}\n"
    (problem,) = load_problems(write(tmp_path / "b.yaml", text))
    assert (problem.channel, problem.field) == ("b", "rate")
    assert "10/s" in problem.message


def test_whole_channel_checks_name_the_channel(tmp_path: Path) -> None:
    text = """\
organisation: Org
channels:
  mail: {type: email, host: h, from: a@example.com, recipients: c.csv, ssl: true,
         starttls: true}
  text:
    type: sms
    recipients: c.csv
    account_sid: "${SID}"
    auth_token: "${TOKEN}"
"""
    problems = {p.channel: p for p in load_problems(write(tmp_path / "channels.yaml", text))}
    assert "choose one of ssl" in problems["mail"].message
    assert problems["mail"].line == 3
    implicit = text.replace(",\n         starttls: true}", "}").split("  text:")[0]
    mail = load_config(write(tmp_path / "implicit.yaml", implicit), {}).channels["mail"]
    assert (mail.ssl, mail.use_starttls) == (True, False)
    assert "either 'from'" in problems["text"].message
    assert problems["text"].line == 5


def test_rates() -> None:
    config = load_config(REPO / "channels.yaml", environ={})
    sms = config.channels["sms"]
    assert sms.model_copy(update={"rate": "120/min"}).rate_per_second() == 2.0
    assert sms.model_copy(update={"rate": "unlimited"}).rate_per_second() is None
    assert sms.model_copy(update={"rate": "10/s"}).rate_per_second() == 10.0


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("from", "alertes@example.com, autre@example.com", "not one email address"),
        ("from", "Service client", "not one email address"),
        ("reply_to", "nobody", "not one email address"),
        ("list_unsubscribe", "<http://example.com/u>", "https:// or mailto:"),
    ],
)
def test_email_addresses_are_checked_when_the_file_is_read(
    tmp_path: Path, field: str, value: str, words: str
) -> None:
    text = f"""\
organisation: Org
channels:
  mail:
    type: email
    host: smtp.example.com
    from: alertes@example.com
    recipients: c.csv
    {field}: "{value}"
"""
    text = text.replace("    from: alertes@example.com\n", "") if field == "from" else text
    (problem,) = load_problems(write(tmp_path / "channels.yaml", text))
    assert (problem.channel, problem.field, problem.line) == (
        "mail",
        field,
        7 if field == "from" else 8,
    )
    assert words in problem.message


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "lol0: &lol0 [a, a, a, a, a, a, a, a, a]\n"
            + "".join(
                f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]\n" for i in range(1, 10)
            ),
            "more than 10,000 values",
        ),
        ("loop: &loop {again: *loop}\n", "repeat forever"),
        ("deep: " + "[" * 3000 + "]" * 3000 + "\n", "levels deep"),
    ],
)
def test_channels_yaml_is_read_within_the_same_bounds(
    tmp_path: Path, extra: str, expected: str
) -> None:
    shipped = (REPO / "channels.yaml").read_text(encoding="utf-8")
    path = write(tmp_path / "channels.yaml", shipped + extra)
    (problem,) = load_problems(path)
    assert problem.file == path
    assert expected in problem.message
    assert problem.line is not None and problem.line > shipped.count("\n")
    assert problem.field is not None and problem.field.split("[")[0].split(".")[0] in extra
