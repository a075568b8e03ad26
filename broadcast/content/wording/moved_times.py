"""Wording check on promised times moved without a word: a later version whose ``eta`` is not
the last version's (later, earlier, or withdrawn), or whose next update comes after the moment
the last version promised it, while its texts never say that the time moved, nor why.

People plan around a time they were given (a carer who comes back at 14:00, a shop that waits to
reopen); the next message giving 18:00 as if it had always been 18:00 reads as if the first
time never existed, and the organisation as one that does not keep its word. The last version
sent is the ledger's ``wording_snapshot``: ``eta`` and ``next_update`` are kept with it (a
snapshot from before they were kept has neither, and is not compared).

"Says that it moved and why": a sentence that says it moved ("later than we said", « au lieu
de 14h », "now expected", « repoussé ») with a reason in it or in the sentence after
("because", "as", « car », « en raison de », a colon).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from broadcast.content.wording.messages import EXAMPLES, LEVEL
from broadcast.content.wording.public_texts import public_texts, sentences
from broadcast.content.wording.texts import Says, Wording
from broadcast.input.incident_times import today_at
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident

# A time moved by less than this is the same time said again.
_SAME = timedelta(minutes=5)


class _Deferred:
    """A pattern compiled at its first search: these run only on a later version whose time
    moved, and compiling them when the module loads cost every first preview about 8 ms."""

    __slots__ = ("_compiled", "_flags", "_source")

    def __init__(self, source: str, flags: int = 0) -> None:
        self._source, self._flags = source, flags
        self._compiled: re.Pattern[str] | None = None

    def search(self, text: str) -> re.Match[str] | None:
        if self._compiled is None:
            self._compiled = re.compile(self._source, self._flags)
        return self._compiled.search(text)


_MOVED = {
    "en": _Deferred(
        r"(?<!\w)(?:later than|earlier than|sooner than|postpon\w*|pushed back|put back|"
        r"(?:is|are|has been|have been) delayed|delayed (?:by|until|again|further)|further delay|"
        r"moved (?:to|back|forward)|instead of|rather than|no longer|not at|not by|now expected|"
        r"now (?:due|planned)|"
        r"revised|longer than|more time|(?:was|were|had been) (?:expected|planned|announced|due|"
        r"promised)|as (?:we )?(?:said|announced|planned|promised)|than (?:we )?(?:said|"
        r"announced|planned|expected|hoped|thought|promised)|new (?:time|estimate)|updated "
        r"(?:time|estimate)|takes? longer|taking longer|running late|brought forward|"
        r"(?:change|changed|changing) (?:our|the) (?:time|estimate))(?!\w)",
        re.IGNORECASE,
    ),
    "fr": _Deferred(
        r"(?<!\w)(?:plus tard que|plus tôt que|(?:pris|prend|prendra) du retard|repouss\w*|"
        r"reporté\w*|décalé\w*|au lieu "
        r"de|au lieu d'|plutôt que|n'est plus|ne sera plus|et non (?:plus )?|désormais|révis\w*|"
        r"plus longtemps|plus longue? que|prend plus de temps|prendra plus de temps|"
        r"(?:était|étaient) (?:prévu|annoncé|promis)\w*|comme annoncé|que prévu|qu'annoncé|"
        r"que nous l'avions dit|nouvelle heure|nouvelle estimation)(?!\w)",
        re.IGNORECASE,
    ),
}
_REASON = {
    "en": _Deferred(
        r"(?<!\w)(?:because|due to|owing to|caused by|the reason|so that|so we|"
        r"(?:as|since|after) (?:the|we|our|a|an|it|they|there|this|that|finding|discovering))"
        r"(?!\w)",
        re.IGNORECASE,
    ),
    "fr": _Deferred(
        r"(?<!\w)(?:car|parce qu\w*|en raison d\w*|à cause d\w*|du fait d\w*|suite à|puisque|"
        r"la raison|afin d\w*|pour (?:que|pouvoir|laisser|attendre|remplacer|réparer|vérifier)|"
        r"après (?:la|le|les|l'|avoir|que))(?!\w)",
        re.IGNORECASE,
    ),
}

# A colon after the move, then words (not a time: "18:00").
_EXPLAINED = re.compile(r"\s?:\s+\w")

_NONE = {"en": "none", "fr": "aucune"}


def promise_snapshot(incident: Incident) -> dict[str, Any]:
    """``eta`` and ``next_update`` as the next version compares them (JSON)."""
    promise = incident.next_update
    kept: dict[str, Any] = {"eta": incident.eta.isoformat() if incident.eta else None}
    if isinstance(promise, timedelta):
        kept["next_update"] = {"every": promise.total_seconds()}
    elif isinstance(promise, datetime):
        kept["next_update"] = {"at": promise.isoformat()}
    elif isinstance(promise, time):
        kept["next_update"] = {"clock": promise.isoformat()}
    else:
        kept["next_update"] = None
    return kept


def moved_times(
    incident: Incident,
    says: Says,
    texts: list[Wording],
    previous: dict[str, Any],
    now: datetime | None,
) -> Iterator[Problem]:
    """An eta or next update moved since the last version sent, in a language whose text does
    not say so and why: an error, once per language and per time."""
    if incident.ended:
        return
    moves = []
    eta = _eta_move(incident, previous)
    if eta is not None:
        moves.append(("moved_eta", ("eta",), eta))
    update = _update_move(incident, previous, now)
    if update is not None:
        moves.append(("moved_update", ("next_update",), update))
    for key, location, (before, after) in moves:
        for wording in texts:
            if _says_it_moved(wording):
                continue
            examples = EXAMPLES.get(wording.language, EXAMPLES["en"])
            yield says(
                key,
                location if not wording.prefix else (*wording.prefix, "headline"),
                fallback=("headline",),
                severity=LEVEL[key],
                before=_said(before, incident, says.language),
                after=_said(after, incident, says.language),
                example=examples[key],
            )


def _eta_move(
    incident: Incident, previous: dict[str, Any]
) -> tuple[datetime, datetime | None] | None:
    if "eta" not in previous or not previous["eta"]:
        return None  # a snapshot from before etas were kept, or no eta given before
    before = datetime.fromisoformat(previous["eta"])
    after = incident.eta
    if after is not None and abs(after - before) <= _SAME:
        return None
    return before, after


def _update_move(
    incident: Incident, previous: dict[str, Any], now: datetime | None
) -> tuple[datetime, datetime] | None:
    kept = previous.get("next_update")
    if not kept or now is None:
        return None
    if "at" in kept:
        promised = datetime.fromisoformat(kept["at"])
    elif "clock" in kept:
        promised = today_at(now, time.fromisoformat(kept["clock"]), incident.zone)
    else:
        return None  # a rhythm ("every 2 hours"): this version is the update it promised
    after = incident.next_update_at(now)
    # Sent at or after the promised moment, this version is that update; before it, a later
    # promise moves the one people are waiting for.
    if after is None or now >= promised - _SAME or after <= promised + _SAME:
        return None
    return promised, after


def _says_it_moved(wording: Wording) -> bool:
    moved = _MOVED.get(wording.language)
    reason = _REASON.get(wording.language)
    if moved is None or reason is None:
        return True  # a language without the words: nothing to judge
    for _, _, text in public_texts(wording):
        said = sentences(text)
        for index, sentence in enumerate(said):
            found = moved.search(sentence)
            if not found:
                continue
            # The reason is other words than the move's own ("as we said" is no reason), or
            # what a colon after the move goes on to say ("not 14:00: the cable is longer").
            rest = sentence[: found.start()] + " " + sentence[found.end() :]
            after = sentence[found.end() :]
            if (
                reason.search(rest)
                or _EXPLAINED.search(after)
                or (index + 1 < len(said) and reason.search(said[index + 1]))
            ):
                return True
    return False


def _said(moment: datetime | None, incident: Incident, language: str) -> str:
    if moment is None:
        return _NONE.get(language, _NONE["en"])
    return incident.local_time(moment)
