"""The action that keeps people safe: an incident that carries a hazard (water unsafe to drink,
a gas leak, an evacuation, heat, cold, people on powered medical equipment) must say the
standard protective action in ``actions`` or the headline, in every language it is written in.
Without it the check is an error: a message that tells people of a danger and not how to
protect themselves must not go out unless someone accepts it on purpose.

A hazard is declared (``hazard:``), or inferred: from strong words anywhere in the text (its
``signs``: "gas leak", « eau non potable ») or from the crisis a sector's incident usually is (a
critical power cut: people on powered medical equipment). What shows each hazard, the parts of
its protective action and the advice to give are data (``broadcast/sectors/hazards.yaml``,
read through ``broadcast.input.hazards``); a team adds its own phrasings of an action in
channels.yaml (``content_checks: safety_actions``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from broadcast.content.wording.texts import Says, Wording, plain_apostrophes
from broadcast.content.wording.vocabulary import whole_words
from broadcast.input.hazards import hazard_table
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident

_SEVERITIES = ("minor", "major", "critical")

# Where the action must be: what every channel carries (the SMS has no FAQ).
_ACTION_FIELDS = ("headline", "actions")


@cache
def _compiled(*sources: str) -> re.Pattern[str] | None:
    return re.compile(whole_words(*sources), re.IGNORECASE) if sources else None


def _search(sources: Iterable[str], text: str) -> re.Match[str] | None:
    pattern = _compiled(*sources)
    return pattern.search(text) if pattern is not None else None


def _all_text(wording: Wording) -> str:
    parts = [text for text in wording.fields.values() if text]
    parts += [f"{entry.q}\n{entry.a}" for entry in wording.faq]
    return plain_apostrophes("\n".join(parts))


# A sentence that supposes ("If your water looks cloudy, do not drink it", « En cas d'odeur de
# gaz… ») or asks tells people what to do should something happen: it does not say the danger
# is here, so it shows no hazard (a power cut's FAQ on gas heaters is not a gas leak).
_SUPPOSED = re.compile(
    r"^\W*(?:if|should|in case|in the event|unless|si|s'il|s'ils|en cas|au cas|dans le cas)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def _stated(text: str) -> str:
    """``text`` with the sentences that suppose or ask blanked out, the rest left as it is."""

    def kept(match: re.Match[str]) -> str:
        sentence = match.group()
        if _SUPPOSED.match(sentence) or sentence.rstrip().endswith("?"):
            return " "
        return sentence

    return _SENTENCE.sub(kept, text)


def hazards_of(
    incident: Incident, wordings: list[Wording], sector: str | None = None
) -> dict[str, tuple[str, str]]:
    """Each hazard the incident carries → (how we know: "declared", "signs" or "sector", the
    words that showed it). ``sector`` limits the sector rules to that sector's (all: None)."""
    table = hazard_table()
    found: dict[str, tuple[str, str]] = {name: ("declared", "") for name in incident.hazard}
    rank = _SEVERITIES.index(incident.severity)
    for wording in wordings:
        text = _stated(_all_text(wording))
        for name, hazard in table.items():
            if name in found:
                continue
            match = _search(hazard.get("signs", {}).get(wording.language, ()), text)
            if match:
                found[name] = ("signs", " ".join(match.group().split()))
                continue
            for rule_sector, rule in (hazard.get("sectors") or {}).items():
                if sector is not None and rule_sector != sector:
                    continue
                if rank < _SEVERITIES.index(rule.get("severity", "minor")):
                    continue
                match = _search(rule.get("signs", {}).get(wording.language, ()), text)
                if match:
                    found[name] = ("sector", " ".join(match.group().split()))
                    break
    return found


def missing_safety_actions(
    incident: Incident,
    says: Says,
    wording: Wording,
    hazards: Mapping[str, tuple[str, str]],
    extra: Mapping[str, list[str]] | None = None,
) -> Iterator[Problem]:
    """An error per hazard whose protective action ``wording`` does not give in its headline or
    actions, naming each missing part with the advice to write, in the text's language."""
    if incident.ended or not hazards:
        return
    table = hazard_table()
    language = wording.language
    where = plain_apostrophes("\n".join(wording.fields.get(name) or "" for name in _ACTION_FIELDS))
    for name, (how, words) in hazards.items():
        hazard: dict[str, Any] = table[name]
        missing = missing_parts(name, language, where, (extra or {}).get(name, ()))
        if not missing:
            continue  # given whole, or no phrasings in this language: nothing to judge by
        advice = " ".join(part["advice"][language] for part in missing)
        yield says(
            "safety_action",
            (*wording.prefix, "actions"),
            fallback=(*wording.prefix, "headline"),
            severity="error",
            hazard=hazard["label"].get(says.language, hazard["label"]["en"]),
            why=_why(how, words, says.language, incident.severity),
            missing=advice,
        )


def missing_parts(
    hazard: str, language: str, text: str, own: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """The parts of ``hazard``'s protective action that ``text`` (in ``language``) does not
    give: none when the team's own phrasing of the action is there (``own``, channels.yaml),
    or when the hazard has no phrasings in this language (nothing to judge by)."""
    parts = hazard_table()[hazard].get("actions") or []
    if not all(language in part for part in parts):
        return []
    if _own_phrasing(own, text):
        return []
    text = plain_apostrophes(text)
    return [part for part in parts if not _search(tuple(part[language]), text)]


def gives_action(hazard: str, language: str, text: str, own: Iterable[str] = ()) -> bool:
    """Whether ``text`` gives ``hazard``'s protective action: every part of it in
    ``language``, or the team's own phrasing of it. The one reading of "the action is given":
    the safety check asks it of the headline and actions, completeness counts it as telling
    people what to do (``completeness.instructs``)."""
    if _own_phrasing(own, text):
        return True
    parts = hazard_table()[hazard].get("actions") or []
    if not parts or not all(language in part for part in parts):
        return False
    text = plain_apostrophes(text)
    return all(_search(tuple(part[language]), text) for part in parts)


def _own_phrasing(own: Iterable[str], text: str) -> bool:
    phrasings = tuple(re.escape(" ".join(p.split())) for p in own if p.strip())
    return bool(phrasings) and _search(phrasings, plain_apostrophes(text)) is not None


def _why(how: str, words: str, language: str, severity: str) -> str:
    if language == "fr":
        if how == "declared":
            return "déclaré dans hazard"
        if how == "sector":
            return f"« {words} » dans un incident {severity}"
        return f"le texte dit « {words} »"
    if how == "declared":
        return "declared in hazard"
    if how == "sector":
        return f'"{words}" in a {severity} incident'
    return f'the text says "{words}"'
