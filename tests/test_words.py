"""The words on the less-travelled paths (issue #23): the call, the SMS's fitting, one fact
once, French typography, the shipped wording and the shipped example.

Each test renders through the library's own templates and filters, as a send would.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from broadcast.content.render import Renderer, RenderFailure
from broadcast.input.incident import Incident, load_incident

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "panne-nord.yaml"
NOW = datetime.fromisoformat("2026-11-22T09:40:00+01:00")


def example(**changes: Any) -> Incident:
    incident, _ = load_incident(EXAMPLE, {"timezone": "Europe/Paris"})
    return incident.model_copy(update=changes)


def render(
    incident: Incident,
    template: str,
    channel_type: str,
    locale: str = "fr",
    **context: Any,
) -> tuple[str, tuple[str, ...]]:
    worded, _ = incident.in_language(locale.split("_")[0])
    renderer = Renderer(worded, NOW, "Énergie Nord", locale=locale)
    values = renderer.context(channel_type, channel_type)
    values.update(context)
    fitted = renderer.render_fitted(template, values)
    assert not isinstance(fitted, RenderFailure), fitted
    return fitted.text, fitted.dropped


# -- The call (point 3) -------------------------------------------------------------------------


def test_a_spoken_french_time_keeps_the_space_after_it() -> None:
    renderer = Renderer(example(), NOW, "Énergie Nord", locale="fr")
    spoken = renderer.text_env.filters["spoken"]
    assert spoken("Quittez avant 18h les rues du Port.") == (
        "Quittez avant 18 heures les rues du Port."
    )
    assert spoken("Ouvert de 9h à 19h, et 8h10 ou 18 h 30.") == (
        "Ouvert de 9 heures à 19 heures, et 8 heures 10 ou 18 heures 30."
    )


@pytest.mark.parametrize("locale", ["fr", "en_GB"])
def test_a_call_says_the_incident_s_apology_once(locale: str) -> None:
    text, _ = render(example(), "voice.txt.j2", "voice", locale)
    apology = example().in_language(locale[:2])[0].apology
    assert apology is not None
    assert text.count(apology) == 1, text


def test_the_correction_call_says_the_earlier_message_was_withdrawn_not_this_call() -> None:
    cancelled = example(
        status="cancelled",
        ended_at=NOW - timedelta(minutes=5),
        correction="Il n'y a pas de coupure à Douai.",
    )
    text, _ = render(cancelled, "correction_voice.txt.j2", "voice")
    assert "annulé depuis" not in text and "Ce message est annulé" not in text
    assert "Nous avons retiré notre message précédent à 9 heures 35." in text, text
    english = cancelled.model_copy(
        update={"locale": "en", "correction": "There is no power cut in Douai."}
    )
    text, _ = render(english, "correction_voice.txt.j2", "voice", "en_GB")
    assert "We withdrew our earlier message at 09:35." in text, text
    assert "This message is cancelled" not in text


def test_the_resolved_call_says_things_are_back_since_the_end() -> None:
    resolved = example(
        status="resolved", ended_at=NOW - timedelta(minutes=5), headline="Le courant est revenu."
    )
    text, _ = render(resolved, "voice.txt.j2", "voice")
    assert "Tout est rentré dans l'ordre depuis 9 heures 35." in text, text
    assert "C'est terminé depuis" not in text
    text, _ = render(resolved, "voice.txt.j2", "voice", "en_GB")
    assert "Everything has been back to normal since 09:35." in text, text


def test_a_call_promising_news_tomorrow_says_it_without_a_stray_preposition() -> None:
    later = example(next_update=datetime.fromisoformat("2026-11-23T08:00:00+01:00"))
    text, _ = render(later, "voice.txt.j2", "voice")
    assert "Nous vous redonnerons des nouvelles demain à 8 heures." in text, text
    text, _ = render(later, "voice.txt.j2", "voice", "en_GB")
    assert "We will call or write again tomorrow at 08:00." in text, text
