"""The models' own checking (broadcast.input.schema), which replaced pydantic's.

What must not move with it: the content hash a ledger keeps of each version (an unchanged file
must not be sent again after an upgrade), and the problems people read for a bad file.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, ClassVar, Literal

import pytest

from broadcast.delivery.sending import content_hash
from broadcast.input.config import EmailChannel, SmsChannel
from broadcast.input.incident import Incident, load_incident
from broadcast.input.schema import BaseModel, ConfigDict, Field, ValidationError, field_validator

REPO = Path(__file__).resolve().parent.parent

# Written by the pydantic models of the release before (35e3d7f) for the shipped examples, with
# defaults {locale: fr, timezone: Europe/Paris}: ledgers hold these. Another value here means
# every running incident would be sent again as a new version after the upgrade.
HASHES_BEFORE = {
    ("panne-nord.yaml", False): "971eec2c4627874a20b41ce16ef25ad7",
    ("panne-nord.yaml", True): "1339089a29e189e5f918710912775609",
    ("storm-en.yaml", False): "285cf153fb7617171cd038050aea3e1c",
    ("storm-en.yaml", True): "23372def153088f46aa646b692088db0",
}


# The example as those ledgers hold it: its words changed since (issue #23 point 10), not the
# way a file is hashed.
HASHED_FILES = {"panne-nord.yaml": REPO / "tests" / "fixtures" / "panne-nord-before-23.yaml"}


@pytest.mark.parametrize(("name", "exercise"), HASHES_BEFORE)
def test_the_content_hash_is_the_one_ledgers_already_hold(name: str, exercise: bool) -> None:
    incident, _ = load_incident(
        HASHED_FILES.get(name, REPO / "examples" / name),
        {"locale": "fr", "timezone": "Europe/Paris"},
        exercise,
    )
    assert content_hash(incident) == HASHES_BEFORE[(name, exercise)]


def test_durations_and_dates_are_written_as_pydantic_wrote_them() -> None:
    incident, _ = load_incident(REPO / "examples" / "panne-nord.yaml")
    dumped = incident.model_dump(mode="json")
    assert dumped["started_at"] == "2026-11-22T08:10:00+01:00"
    for duration, text in [
        (timedelta(hours=2), "PT2H"),
        (timedelta(hours=1, minutes=30), "PT1H30M"),
        (timedelta(days=1), "P1D"),
        (timedelta(minutes=90, seconds=5), "PT1H30M5S"),
    ]:
        again = incident.model_copy(update={"next_update": duration})
        assert again.model_dump(mode="json")["next_update"] == text


class _Sample(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    name: str = Field(min_length=1, pattern=r"^[a-z]+$")
    count: int = Field(default=3, ge=1, le=10)
    kind: Literal["a", "b"] = "a"
    on: bool = False
    tags: list[str] = Field(default_factory=list, max_length=2)
    codes: dict[Annotated[str, Field(pattern=r"^[A-Z]+$")], str] = Field(default_factory=dict)
    after: str | None = None

    @field_validator("after")
    @classmethod
    def _no_x(cls, value: str | None) -> str | None:
        if value is not None and "x" in value:
            raise ValueError("no x here")
        return value


def test_text_from_yaml_becomes_numbers_and_truth_values_and_is_stripped() -> None:
    sample = _Sample.model_validate({"name": " abc ", "count": "7", "on": "yes"})
    assert (sample.name, sample.count, sample.on, sample.kind) == ("abc", 7, True, "a")
    with pytest.raises(TypeError):
        sample.name = "other"  # type: ignore[misc]
    assert sample == _Sample.model_validate({"name": "abc", "count": 7, "on": True})


def test_every_problem_is_listed_with_its_location_and_kind() -> None:
    with pytest.raises(ValidationError) as caught:
        _Sample.model_validate(
            {
                "name": "",
                "count": "11",
                "kind": "c",
                "on": "maybe",
                "tags": ["x", "y", "z"],
                "codes": {"ok": "1"},
                "after": "xx",
                "colour": "red",
            }
        )
    found = {(e["loc"], e["type"]) for e in caught.value.errors()}
    assert found == {
        (("name",), "string_too_short"),
        (("count",), "less_than_equal"),
        (("kind",), "literal_error"),
        (("on",), "bool_parsing"),
        (("tags",), "too_long"),
        (("codes", "ok", "[key]"), "string_pattern_mismatch"),
        (("after",), "value_error"),
        (("colour",), "extra_forbidden"),
    }
    literal = next(e for e in caught.value.errors() if e["type"] == "literal_error")
    assert literal["ctx"]["expected"] == "'a' or 'b'"
    value = next(e for e in caught.value.errors() if e["type"] == "value_error")
    assert str(value["ctx"]["error"]) == "no x here"


def test_a_missing_field_and_a_wrong_shape_are_named() -> None:
    with pytest.raises(ValidationError) as caught:
        _Sample.model_validate({"count": ["3"], "tags": "one"})
    found = {(e["loc"], e["type"]) for e in caught.value.errors()}
    assert found == {(("name",), "missing"), (("count",), "int_type"), (("tags",), "list_type")}


def test_an_alias_and_its_field_name_are_both_read() -> None:
    base = {
        "type": "email",
        "host": "127.0.0.1",
        "recipients": "contacts.csv",
    }
    by_alias = EmailChannel.model_validate({**base, "from": "Alertes <a@example.com>"})
    by_name = EmailChannel.model_validate({**base, "from_": "Alertes <a@example.com>"})
    assert by_alias.from_ == by_name.from_ == "Alertes <a@example.com>"
    assert by_alias.model_dump(by_alias=True, exclude_none=True)["from"] == by_alias.from_


def test_a_model_validator_after_the_fields_sees_them_checked() -> None:
    fields = {"type": "sms", "recipients": "c.csv", "account_sid": "x", "auth_token": "y"}
    with pytest.raises(ValidationError) as caught:
        SmsChannel.model_validate(fields)
    (problem,) = caught.value.errors()
    assert problem["loc"] == () and "either 'from'" in str(problem["ctx"]["error"])
    sms = SmsChannel.model_validate({**fields, "from": "+15005550006", "max_segments": "2"})
    assert sms.max_segments == 2 and sms.rate_per_second() is None


def test_an_incident_with_a_bad_date_says_so_once() -> None:
    incident, _ = load_incident(REPO / "examples" / "panne-nord.yaml")
    data = incident.model_dump()
    data["eta"] = "2026-13-45 14:00"
    with pytest.raises(ValidationError) as caught:
        Incident.model_validate(data)
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [
        (("eta",), "datetime_parsing")
    ]


def test_a_channel_without_a_type_is_told_every_type(tmp_path: Path) -> None:
    from broadcast.channels import channel_types
    from broadcast.input.config import load_config
    from broadcast.problems import InputError

    (tmp_path / "channels.yaml").write_text("organisation: Nord\nchannels:\n  tw: {}\n")
    with pytest.raises(InputError) as caught:
        load_config(tmp_path / "channels.yaml", {})
    (problem,) = caught.value.problems
    assert problem.line == 3 and problem.channel == "tw"
    assert problem.message.startswith("this channel has no 'type'; give one of ")
    assert all(kind in problem.message for kind in channel_types())


# -- the rules pydantic 2 keeps on the same declarations (issue 24, point 4) --------------------


class _Either(BaseModel):
    value: int | str
    maybe: float | None = None


def test_a_union_keeps_a_value_that_already_is_one_of_its_members() -> None:
    # pydantic 2's smart union: "5" is text already, so int | str keeps the text; 5 stays 5.
    assert _Either.model_validate({"value": "5"}).value == "5"
    assert _Either.model_validate({"value": 5}).value == 5
    # Else the first member, left to right, that accepts it.
    assert _Either.model_validate({"value": 5.0, "maybe": "1.5"}).model_dump() == {
        "value": 5,
        "maybe": 1.5,
    }


class _Timed(BaseModel):
    duration: timedelta
    at: datetime
    clock: time | None = None


@pytest.mark.parametrize(
    "duration",
    [
        timedelta(hours=2),
        timedelta(hours=1, minutes=30),
        timedelta(days=1),
        timedelta(days=3, seconds=61, microseconds=500),
        timedelta(microseconds=1),
        timedelta(0),
        -timedelta(hours=2),
        timedelta(days=-1, seconds=5),
    ],
)
def test_what_a_model_writes_it_reads_back(duration: timedelta) -> None:
    model = _Timed.model_validate(
        {"duration": duration, "at": "2026-11-22T14:00:00+01:00", "clock": time(18, 30)}
    )
    written = model.model_dump(mode="json")
    assert _Timed.model_validate(written) == model
    assert _Timed.model_validate(written).duration == duration


def test_every_shipped_file_reads_back_what_it_writes() -> None:
    from broadcast.input.config import Config, load_config

    for path in sorted(REPO.glob("broadcast/sectors/*/*.yaml")) + sorted(
        REPO.glob("examples/*.yaml")
    ):
        if path.name == "channels.yaml":
            config = load_config(path, {})
            written = config.model_dump(mode="json", by_alias=True)
            assert Config.model_validate(written).model_dump() == config.model_dump(), path
        else:
            incident, _ = load_incident(path)
            written = incident.model_dump(mode="json")
            assert Incident.model_validate(written) == incident, path


@pytest.mark.parametrize(
    ("given", "kind"),
    [
        (1.7e12, None),  # milliseconds since 1970, as pydantic reads it: 2023-11-14
        ("1700000000", None),
        (1e20, "datetime_parsing"),  # past the year 9999: was a bare ValueError
        (float("nan"), "datetime_parsing"),
        (-1e19, "datetime_parsing"),
    ],
)
def test_a_number_as_a_date_is_a_date_or_a_located_problem(given: float, kind: str | None) -> None:
    data = {"duration": "PT1H", "at": given}
    if kind is None:
        assert _Timed.model_validate(data).at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
        return
    with pytest.raises(ValidationError) as caught:
        _Timed.model_validate(data)
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [(("at",), kind)]


class _Fragile(BaseModel):
    count: int = 0
    words: list[str] = Field(default_factory=list)

    @field_validator("count")
    @classmethod
    def _divide(cls, value: int) -> int:
        return 100 // value  # ZeroDivisionError for 0: a check with a bug

    @field_validator("words")
    @classmethod
    def _third(cls, value: list[str]) -> list[str]:
        assert len(value) < 3, "three words at most"
        return value


def test_any_exception_inside_a_check_is_a_problem_at_its_field() -> None:
    with pytest.raises(ValidationError) as caught:
        _Fragile.model_validate({"count": 0, "words": ["a", "b", "c"]})
    found = [(e["loc"], e["type"]) for e in caught.value.errors()]
    assert found == [(("count",), "value_error"), (("words",), "value_error")]
    assert "three words at most" in caught.value.errors()[1]["msg"]


class _Counted(BaseModel):
    name: str = ""
    seen: ClassVar[list[str]] = []

    @field_validator("name")
    @classmethod
    def _mark(cls, value: str) -> str:
        cls.seen.append("base")
        return value + "-base"


class _Redefined(_Counted):
    @field_validator("name")
    @classmethod
    def _mark(cls, value: str) -> str:
        cls.seen.append("sub")
        return value + "-sub"


class _Plain(_Counted):
    def _mark(self) -> None:  # type: ignore[override]  # a method: no longer a validator
        pass


def test_a_redefined_validator_replaces_its_base_s() -> None:
    _Counted.seen.clear()
    assert _Redefined.model_validate({"name": "x"}).name == "x-sub"
    assert _Counted.seen == ["sub"]
    assert _Plain.model_validate({"name": "x"}).name == "x"
    assert _Counted.model_validate({"name": "x"}).name == "x-base"


@pytest.mark.parametrize(
    ("annotation", "field", "words"),
    [
        ("set[str]", "None", "is not a type input.schema can check"),
        ("list[complex]", "None", "is not a type input.schema can check"),
        ("dict[str, bytes]", "None", "is not a type input.schema can check"),
        ("int", "Field(default=1, pattern='x')", "pattern cannot bound a value of int"),
        ("timedelta | None", "Field(default=None, ge=1)", "ge cannot bound a value of timedelta"),
        ("Undeclared", "None", "names 'Undeclared', which is not defined before the class"),
        ("_Either | _Timed", "Field(discriminator='type')", "has no 'type' field of Literal"),
    ],
)
def test_a_type_it_cannot_check_is_refused_when_the_class_is_defined(
    annotation: str, field: str, words: str
) -> None:
    source = f"class Wrong(BaseModel):\n    broken: {annotation} = {field}\n"
    with pytest.raises(TypeError) as caught:
        exec(source, {**globals(), "__name__": __name__})
    assert str(caught.value).startswith("Wrong.broken: ") and words in str(caught.value)


def test_a_validator_of_no_field_is_refused_when_the_class_is_defined() -> None:
    with pytest.raises(TypeError, match="a validator names nmae, not a field"):

        class Wrong(BaseModel):
            name: str

            @field_validator("nmae")
            @classmethod
            def _check(cls, value: str) -> str:
                return value


def test_a_date_past_the_year_9999_is_told_at_its_line(tmp_path: Path) -> None:
    from broadcast.problems import InputError

    text = (REPO / "examples" / "panne-nord.yaml").read_text(encoding="utf-8")
    assert "\nstarted_at:" in text
    lines = [
        "started_at: 1.0e+20" if line.startswith("started_at:") else line
        for line in text.splitlines()
    ]
    (tmp_path / "far.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_incident(tmp_path / "far.yaml")
    (problem,) = caught.value.problems
    assert problem.field == "started_at"
    assert problem.line == 1 + next(i for i, line in enumerate(lines) if "1.0e+20" in line)
    # The example is French, so is the message (input.error_words).
    assert problem.message.startswith("« 1e+20 » n'est pas une date et une heure")
