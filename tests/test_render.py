"""Rendering: sandboxed, strict about undefined names, escaping markup, dates in the locale."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from broadcast.content.render import Renderer, RenderFailure
from broadcast.content.text_cleaning import tidy_text
from broadcast.input.incident import Incident, load_incident
from tests.conftest import write
from tests.test_incident import VALID


@pytest.fixture
def incident(tmp_path: Path) -> Incident:
    return load_incident(write(tmp_path / "incident.yaml", VALID))[0]


def renderer(incident: Incident, now: datetime, overrides: Path, locale: str | None = None):
    return Renderer(incident, now, "Énergie Nord", override_dir=overrides, locale=locale)


def test_dates_in_the_incident_locale_and_timezone(
    incident: Incident, now: datetime, tmp_path: Path
) -> None:
    write(
        tmp_path / "t" / "dates.txt.j2",
        "{{ eta | datetime }}|{{ eta | when }}|{{ started_at | time }}|{{ next_update_at | when }}",
    )
    fr = renderer(incident, now, tmp_path / "t")
    assert fr.render("dates.txt.j2", fr.context("x", "sms")) == (
        "22 novembre 2026 à 14h|14h|8h10|11h40"
    )
    en = renderer(incident, now, tmp_path / "t", locale="en")
    # Plain spaces, not CLDR's U+202F before AM/PM: one such character would make an SMS UCS-2.
    assert en.render("dates.txt.j2", en.context("x", "sms")) == (
        "November 22, 2026 at 2:00 PM|2:00 PM|8:10 AM|11:40 AM"
    )


def test_another_day_carries_the_date(incident: Incident, tmp_path: Path) -> None:
    write(tmp_path / "t" / "when.txt.j2", "{{ eta | when }}")
    late = datetime.fromisoformat("2026-11-21T20:00:00+01:00")
    r = renderer(incident, late, tmp_path / "t")
    assert r.render("when.txt.j2", r.context("x", "sms")) == "22/11 à 14h"


def test_language_folder_wins_over_plain_name(
    incident: Incident, now: datetime, tmp_path: Path
) -> None:
    write(tmp_path / "t" / "fr" / "x.txt.j2", "français")
    write(tmp_path / "t" / "x.txt.j2", "any")
    assert renderer(incident, now, tmp_path / "t").render("x.txt.j2", {}) == "français"
    assert renderer(incident, now, tmp_path / "t", locale="de").render("x.txt.j2", {}) == "any"


def test_undefined_variable_is_located_in_the_template(
    incident: Incident, now: datetime, tmp_path: Path
) -> None:
    path = write(tmp_path / "t" / "bad.txt.j2", "Bonjour\n{{ headline }}\n{{ hedline }}\n")
    r = renderer(incident, now, tmp_path / "t")
    failure = r.render("bad.txt.j2", r.context("x", "sms"))
    assert isinstance(failure, RenderFailure)
    assert failure.line == 3
    assert failure.file == path
    assert "hedline" in failure.message


def test_syntax_error_is_located(incident: Incident, now: datetime, tmp_path: Path) -> None:
    write(tmp_path / "t" / "bad.txt.j2", "ok\n{% if headline %}\nno end\n")
    failure = renderer(incident, now, tmp_path / "t").render("bad.txt.j2", {"headline": "h"})
    assert isinstance(failure, RenderFailure)
    assert failure.line == 3
    assert "syntax" in failure.message


def test_sandbox_refuses_unsafe_attribute_access(
    incident: Incident, now: datetime, tmp_path: Path
) -> None:
    write(tmp_path / "t" / "evil.txt.j2", "{{ headline.__class__.__mro__ }}")
    r = renderer(incident, now, tmp_path / "t")
    failure = r.render("evil.txt.j2", r.context("x", "sms"))
    assert isinstance(failure, RenderFailure)


def test_html_and_xml_escape_incident_text(
    incident: Incident, now: datetime, tmp_path: Path
) -> None:
    for name in ("page.html.j2", "feed.xml.j2"):
        write(tmp_path / "t" / name, "<p>{{ headline }}</p>")
    write(tmp_path / "t" / "plain.txt.j2", "{{ headline }}")
    hostile = incident.model_copy(update={"headline": "<script>alert(1)</script> & co"})
    r = renderer(hostile, now, tmp_path / "t")
    context = r.context("x", "email")
    for name in ("page.html.j2", "feed.xml.j2"):
        assert r.render(name, context) == "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</p>"
    assert r.render("plain.txt.j2", context) == "<script>alert(1)</script> & co"


def test_text_macro_called_from_html_is_escaped_too(
    incident: Incident, now: datetime, tmp_path: Path
) -> None:
    """A macro from a text partial must not smuggle incident text into HTML unescaped."""
    write(tmp_path / "t" / "_bits.j2", "{% macro say() %}{{ headline }}{% endmacro %}")
    write(
        tmp_path / "t" / "page.html.j2",
        '{% import "_bits.j2" as bits with context %}<p>{{ bits.say() }}</p>',
    )
    write(
        tmp_path / "t" / "note.txt.j2",
        '{% import "_bits.j2" as bits with context %}{{ bits.say() }}',
    )
    hostile = incident.model_copy(update={"headline": "<img src=x onerror=alert(1)>"})
    r = renderer(hostile, now, tmp_path / "t")
    context = r.context("x", "web_banner")
    assert r.render("page.html.j2", context) == "<p>&lt;img src=x onerror=alert(1)&gt;</p>"
    assert r.render("note.txt.j2", context) == "<img src=x onerror=alert(1)>"


def test_missing_template_says_where_it_looked(incident: Incident, now: datetime, tmp_path: Path):
    failure = renderer(incident, now, tmp_path / "t").render("nope.txt.j2", {})
    assert isinstance(failure, RenderFailure)
    assert "fr/nope.txt.j2" in failure.message


def test_tidy_text() -> None:
    assert tidy_text("\n  a  \n\n\n\nb \n\n c") == "a\n\nb\n\n c"


def test_markdown_output_cannot_carry_html_or_headings(
    incident: Incident, now: datetime, tmp_path: Path
) -> None:
    write(tmp_path / "t" / "script.md.j2", "## FAQ\n{{ headline | md }}")
    hostile = incident.model_copy(update={"headline": "# Big\n<img src=x onerror=alert(1)> & co"})
    r = renderer(hostile, now, tmp_path / "t")
    assert r.render("script.md.j2", r.context("x", "web_banner")) == (
        "## FAQ\n\\# Big\n&lt;img src=x onerror=alert(1)&gt; &amp; co"
    )


def test_a_users_template_for_every_language_wins_over_the_shipped_one(
    incident: Incident, now: datetime, tmp_path: Path
) -> None:
    """templates/sms.txt.j2 next to channels.yaml overrides the shipped fr/sms.txt.j2."""
    write(tmp_path / "t" / "sms.txt.j2", "OVERRIDE {{ headline }}")
    r = renderer(incident, now, tmp_path / "t")
    assert r.render("sms.txt.j2", r.context("sms", "sms")).startswith("OVERRIDE Coupure")
    # A file for the language in the user's folder wins over their file for every language.
    write(tmp_path / "t" / "fr" / "sms.txt.j2", "FR {{ headline }}")
    assert r.render("sms.txt.j2", r.context("sms", "sms")).startswith("FR Coupure")


def test_fitting_an_sms_says_what_it_dropped_in_the_drop_order() -> None:
    from broadcast.content.fitting import droppable as _droppable
    from broadcast.content.fitting import fit_pieces

    text = (
        "Energie Nord : "
        + "x" * 120  # 135 characters never dropped
        + _droppable(" Merci de votre patience.", 1)  # 25
        + _droppable(" Votre avis : https://example.com/avis", 4)  # 38
        + _droppable(" Toutes nos excuses.", 3)  # 20
    )
    whole = fit_pieces(text, None)
    assert whole.dropped == () and "Merci" in whole.text and "avis" in whole.text
    one = fit_pieces(text, 1)
    # Thanks, the apology, then the feedback link had to go; the apology then fitted again.
    assert one.dropped == ("thanks", "the feedback link")
    assert "excuses" in one.text and "Merci" not in one.text and "avis" not in one.text
    assert len(one.text) == 155
