"""Wording checks: warnings that help comms staff word a crisis message people understand.

Preflight proves a message *can* be sent; these checks say whether it is *well worded*: does the
headline say what is being done and when people will hear more, is there an apology, are the
sentences short, is it free of jargon, shouting and exclamation marks, and will the organisation
ask how it did. They are heuristics on words, so they only ever warn (``--strict`` turns warnings
into errors); each warning names the incident file, the line and the field, and says what to do.

French and English have word lists; text in another language gets the checks that need no
vocabulary (sentence length, exclamation marks, capitals, the user's own jargon).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from broadcast.input.yamlfile import YamlDocument, dotted
from broadcast.problems import Problem

if TYPE_CHECKING:
    from broadcast.input.incident import Incident

DEFAULT_MAX_SENTENCE_WORDS = 25

# Words most readers would need explained, each with the plain wording to use instead. Matched as
# whole words or phrases, ignoring case. A term can be added (``jargon``) but not removed: if one
# of these is the plain word for your audience, say so to whoever maintains this list.
DEFAULT_JARGON: dict[str, dict[str, str]] = {
    "en": {
        "root cause": 'say what went wrong ("a cable was cut")',
        "rca": 'say "our review of what went wrong"',
        "post-mortem": 'say "our review of what went wrong"',
        "postmortem": 'say "our review of what went wrong"',
        "outage window": "say from when to when the service is off",
        "maintenance window": "say from when to when the service is off",
        "degraded performance": 'say what people notice ("slow", "some payments fail")',
        "degraded service": 'say what people notice ("slow", "some payments fail")',
        "service degradation": 'say what people notice ("slow", "some payments fail")',
        "latency": 'say "delays" or "slow"',
        "packet loss": 'say what people notice ("calls cut out")',
        "upstream provider": 'name the company, or say "our supplier"',
        "third-party provider": 'name the company, or say "our supplier"',
        "failover": 'say "we switched to a backup"',
        "rollback": 'say "we went back to the previous version"',
        "hotfix": 'say "a repair"',
        "mitigation": "say what you are doing",
        "remediation": "say what you are doing",
        "bgp": "say what people notice rather than the technology",
        "dns": "say what people notice rather than the technology",
        "api": "say what people notice rather than the technology",
        "backend": "say what people notice rather than the technology",
        "infrastructure": "say which equipment or place",
        "node": "say which equipment or place",
        "sla": "say what you promised your customers",
        "incident ticket": 'say "your report" or "your request"',
        "support ticket": 'say "your report" or "your request"',
        "eta": 'say "expected back by 2 pm"',
        "impacted": 'say "affected"',
    },
    "fr": {
        "incident réseau": "say what people notice (« plus de courant », « plus d'internet »)",
        "incident d'exploitation": "say what happened",
        "dégradation de service": "say what people notice (« lenteurs », « coupures »)",
        "service dégradé": "say what people notice (« lenteurs », « coupures »)",
        "mode dégradé": "say what people notice (« lenteurs », « coupures »)",
        "poste source": (
            "explain it or avoid it (« le site qui alimente le quartier en électricité »)"
        ),
        "hta": "say « ligne électrique », or what is cut",
        "htb": "say « ligne électrique », or what is cut",
        "bt": "say « ligne électrique », or what is cut",
        "bascule": "say « nous passons par une autre ligne » or « par le secours »",
        "basculement": "say « nous passons par une autre ligne » or « par le secours »",
        "délestage": "explain it (« des coupures organisées, quartier par quartier »)",
        "latence": "say « lenteurs » or « délais »",
        "ticket": "say « votre demande » or « votre signalement »",
        "sla": "say what you promised your customers",
        "gtr": "say what you promised your customers",
        "cause racine": "say what went wrong (« un câble a été coupé »)",
        "correctif": "say « une réparation »",
        "infrastructure": "say which equipment or place",
        "impacté": "say « touché »",
        "impactée": "say « touchée »",
        "impactés": "say « touchés »",
        "impactées": "say « touchées »",
    },
}

# Words of 4+ capitals that are names or everyday acronyms, not shouting. Shorter words are never
# taken for shouting (SMS, EDF, ATM, URL are listed only to say they are fine). A word here that
# is also jargon (default or yours) is still reported as jargon.
ALLOWED_CAPITALS = frozenset(
    {
        # everyday acronyms
        "SMS", "ATM", "URL", "GPS", "COVID", "WIFI", "PDF", "TV",
        # organisations and services people know by their acronym
        "EDF", "GRDF", "SNCF", "RATP", "SAMU", "CAF", "EHPAD", "NHS", "BBC", "NATO", "OTAN",
        # laws and regulations often named in compensation text
        "RGPD", "GDPR",
    }
)  # fmt: skip

_USER_JARGON_HINT = "say it in plain words, as you would to a neighbour"


@dataclass(frozen=True)
class _Language:
    """What a headline, an apology and jargon look like in one language."""

    action: re.Pattern[str]
    when: re.Pattern[str]
    # A time the incident started ("since 8:10") says nothing about what comes next.
    since: re.Pattern[str]
    apology: re.Pattern[str]
    action_example: str
    when_example: str
    apology_example: str


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)", re.IGNORECASE)


_LANGUAGES: dict[str, _Language] = {
    "en": _Language(
        action=_words(
            r"we(?:'ve|'ll| have| will)",
            r"we(?:'re| are)(?!\s+(?:sorry|aware))",
            r"engineers?",
            r"crews?",
            r"teams?",
            r"technicians?",
            r"staff",
            r"(?<!not )(?<!n't )working",
            r"repair\w*",
            r"restor\w*",
            r"fix\w*",
            r"replac\w*",
            r"investigat\w*",
            r"monitor\w*",
            r"deliver\w*",
            r"distribut\w*",
            r"handing out",
            r"on site",
            r"on (?:the|their) way",
            r"under ?way",
            r"in progress",
        ),
        when=_words(
            r"\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)",
            r"\d{1,2}:\d{2}",
            r"\d+\s?(?:hours?|hrs?|minutes?|mins?|days?)",
            r"noon|midday|midnight|tonight|tomorrow|later today|end of (?:the )?day",
            r"expect\w*|estimated|within|until(?!\s+further\s+notice)",
            r"(?:next|further) update",
        ),
        since=_words(r"since\s+(?:about\s+|around\s+)?\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm)?"),
        apology=_words(r"sorry", r"apologi[sz]\w*", r"apolog(?:y|ies)", r"regret\w*"),
        action_example='"Engineers are repairing the main pipe"',
        when_example='"expected back by 2 pm" or "next update at 11:30"',
        apology_example='"We are sorry for the trouble this is causing you."',
    ),
    "fr": _Language(
        action=_words(
            r"nos (?:équipes|techniciens|agents|services|pompiers|intervenants)",
            r"nous [a-zàâçéèêëîïôûùüÿœ]+ons",
            r"équipes?",
            r"techniciens?",
            r"répar\w*",
            r"rétabli\w*",
            r"interv(?:en|ien)\w*",
            r"remplac\w*",
            r"surveill\w*",
            r"distribu\w*",
            r"recherch\w*",
            r"travaill\w*",
            r"mobilisé\w*",
            r"remise en service",
            r"sur place",
        ),
        when=_words(
            r"\d{1,2}\s?h(?:\s?\d{2})?",
            r"\d{1,2}:\d{2}",
            r"\d+\s?(?:heures?|minutes?|min|jours?)",
            r"midi|minuit|ce soir|cette nuit|demain|cet après-midi|dans la (?:journée|soirée)",
            r"fin de (?:la )?journée|d'ici",
            r"prévu\w*|attendu\w*|estimé\w*",
            r"prochaine?",
        ),
        since=_words(
            r"depuis\s+(?:environ\s+)?\d{1,2}\s?h(?:\s?\d{2})?",
            r"depuis\s+\d{1,2}:\d{2}",
            r"24\s?h\s?/\s?24",
        ),
        apology=_words(r"désolée?s?", r"excus\w*", r"regrett\w*", r"pardon"),
        action_example="« Nos techniciens réparent le câble »",
        when_example="« rétablissement prévu vers 14h » ou « prochain point à 11h30 »",
        apology_example="« Nous sommes désolés pour la gêne occasionnée. »",
    ),
}

# Published text: every field is read, and sentence length is measured where people read prose.
_TEXT_FIELDS = ("title", "headline", "affected", "summary", "actions", "apology", "compensation")
_PROSE_FIELDS = ("headline", "summary", "actions", "apology", "compensation")
# Where an apology may already be written when the apology field is empty.
_APOLOGY_IN = ("headline", "summary")

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_LETTERS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class _Wording:
    """The incident's text in one language, and where each field sits in the file."""

    language: str
    prefix: tuple[str | int, ...]
    fields: dict[str, str | None]
    faq: Sequence[Any]


def check_content(
    incident: Incident,
    doc: YamlDocument,
    jargon: Iterable[str] = (),
    max_sentence_words: int = DEFAULT_MAX_SENTENCE_WORDS,
) -> list[Problem]:
    """Warnings about the wording of ``incident``, in its language and in each translation.

    ``jargon`` adds the organisation's own terms to the default list of its language
    (``DEFAULT_JARGON``). Headline heuristic: it says *what is being done* when it has an action
    word or phrase ("nos équipes", "nous rétablissons", "réparation", "we are", "engineers",
    "restoring"...), and *when* people will hear more when it has a clock time (14h, 14:00,
    2 pm), a duration (2 hours) or a word that announces one ("prévu", "prochaine", "expected",
    "next update", "tomorrow"...); a start time ("depuis 8h10", "since 5:30am") does not count.
    The headline of a resolved incident is not asked for either: it is over.
    """
    if isinstance(jargon, str):
        jargon = [jargon]
    user_jargon = [term.strip() for term in jargon if term and term.strip()]
    problems: list[Problem] = []
    for wording in _wordings(incident, doc):
        problems.extend(_check_wording(incident, doc, wording, user_jargon, max_sentence_words))
    if incident.status == "resolved" and not incident.feedback_url:
        problems.append(
            _warning(
                doc,
                ("feedback_url",),
                "the incident is resolved but gives no feedback_url: add a link to a short form "
                "so people can say how well you kept them informed, and the organisation can "
                "evaluate how it communicated",
                fallback=("status",),
            )
        )
    return problems


def _wordings(incident: Incident, doc: YamlDocument) -> Iterator[_Wording]:
    yield _Wording(
        language=incident.locale.replace("-", "_").split("_")[0].lower(),
        prefix=(),
        fields={name: getattr(incident, name, None) for name in _TEXT_FIELDS},
        faq=incident.faq,
    )
    translations = getattr(incident, "translations", None) or {}
    for code, translation in translations.items():
        if translation is None:
            continue
        yield _Wording(
            language=str(code).replace("-", "_").split("_")[0].lower(),
            prefix=("translations", _yaml_key(doc, code)),
            fields={name: getattr(translation, name, None) for name in _TEXT_FIELDS},
            faq=getattr(translation, "faq", None) or (),
        )


def _yaml_key(doc: YamlDocument, code: str) -> str:
    """The key as written in the file (``en-GB``), for a translation the model files as ``en``."""
    written = doc.data.get("translations") if isinstance(doc.data, dict) else None
    if isinstance(written, dict):
        for key in written:
            if key == code or str(key).replace("-", "_").split("_")[0].lower() == code:
                return str(key)
    return str(code)


def _check_wording(
    incident: Incident,
    doc: YamlDocument,
    wording: _Wording,
    user_jargon: list[str],
    max_words: int,
) -> list[Problem]:
    problems: list[Problem] = []
    language = _LANGUAGES.get(wording.language)
    fields = wording.fields
    at = wording.prefix

    if language is not None and incident.status != "resolved" and fields["headline"]:
        headline = _plain(fields["headline"])
        if not language.action.search(headline):
            problems.append(
                _warning(
                    doc,
                    (*at, "headline"),
                    "the headline does not say what is being done; people first want to know "
                    f"someone is on it: add it, e.g. {language.action_example}",
                )
            )
        if not language.when.search(language.since.sub(" ", headline)):
            problems.append(
                _warning(
                    doc,
                    (*at, "headline"),
                    "the headline does not say when the end or the next update comes: add a "
                    f"time, e.g. {language.when_example}",
                )
            )

    if (
        language is not None
        and incident.severity in ("major", "critical")
        and not fields["apology"]
        and not any(language.apology.search(_plain(fields[name] or "")) for name in _APOLOGY_IN)
    ):
        problems.append(
            _warning(
                doc,
                (*at, "apology"),
                f"the incident is {incident.severity} and the text does not apologise: write "
                f"an apology in your own words, e.g. {language.apology_example} (without one, "
                "the messages use a generic sentence)",
                fallback=None if at else ("severity",),
            )
        )

    texts: list[tuple[tuple[str | int, ...], str, bool]] = [
        ((*at, name), text, name in _PROSE_FIELDS) for name, text in fields.items() if text
    ]
    for index, entry in enumerate(wording.faq):
        texts.append(((*at, "faq", index, "q"), entry.q, False))
        texts.append(((*at, "faq", index, "a"), entry.a, True))

    jargon = _jargon_pattern(wording.language, tuple(user_jargon))
    for location, text, prose in texts:
        plain = _plain(text)
        if prose:
            problems.extend(_long_sentences(doc, location, plain, max_words))
        found = _jargon_in(plain, jargon, wording.language)
        for term, hint in found.items():
            problems.append(_warning(doc, location, f'"{term}" is jargon for most readers: {hint}'))
        if "!" in plain:
            problems.append(
                _warning(
                    doc,
                    location,
                    "remove the exclamation marks: in a crisis they sound alarming or "
                    "offhand; say plainly what matters",
                )
            )
        shouted = _shouted(plain, {term.lower() for term in found})
        if shouted:
            listed = ", ".join(f'"{word}"' for word in shouted)
            problems.append(
                _warning(
                    doc,
                    location,
                    f"write {listed} in lower case: capitals read as shouting and are harder "
                    "to read (acronyms people know, such as SMS or SNCF, are fine)",
                )
            )
    return problems


def _plain(text: str) -> str:
    """Typographic apostrophes as straight ones, so word lists need only one spelling."""
    return text.replace("\u2019", "'").replace("\u02bc", "'")


def _long_sentences(
    doc: YamlDocument, location: tuple[str | int, ...], text: str, max_words: int
) -> Iterator[Problem]:
    for sentence in _SENTENCE_END.split(text):
        count = _word_count(sentence)
        if count > max_words:
            start = " ".join(sentence.split()[:8])
            yield _warning(
                doc,
                location,
                f'the sentence starting "{start}…" has {count} words (more than '
                f"{max_words}): split it; short sentences are understood at once, even under "
                "stress",
            )


def _word_count(sentence: str) -> int:
    """Words with letters or digits; a run of numbers (0 800 000 000, 12 000) is one word."""
    count = 0
    in_number = False
    for token in sentence.split():
        if token.strip("()[],;:.").isdigit():
            count += not in_number
            in_number = True
        elif any(char.isalnum() for char in token):
            count += 1
            in_number = False
    return count


@lru_cache(maxsize=32)
def _jargon_pattern(language: str, user: tuple[str, ...]) -> re.Pattern[str] | None:
    terms = {*DEFAULT_JARGON.get(language, {}), *(term.lower() for term in user)}
    if not terms:
        return None
    # Longest first: a phrase that starts with another term ("node failure", "node") is
    # reported whole, not as the shorter term.
    ordered = sorted(terms, key=len, reverse=True)
    return _words(*(r"\s+".join(map(re.escape, term.split())) for term in ordered))


def _jargon_in(text: str, pattern: re.Pattern[str] | None, language: str) -> dict[str, str]:
    """Each jargon term in ``text`` (as written there) → the plain wording to use instead."""
    if pattern is None:
        return {}
    hints = DEFAULT_JARGON.get(language, {})
    found: dict[str, str] = {}
    for match in pattern.finditer(text):
        written = " ".join(match.group().split())
        key = written.lower()
        if all(f.lower() != key for f in found):
            found[written] = hints.get(key, _USER_JARGON_HINT)
    return found


def _shouted(text: str, jargon: set[str]) -> list[str]:
    words: list[str] = []
    for match in _LETTERS.finditer(text):
        word = match.group()
        if (
            len(word) >= 4
            and word.isupper()
            and word not in ALLOWED_CAPITALS
            and word.lower() not in jargon
            and word not in words
        ):
            words.append(word)
    return words


def _warning(
    doc: YamlDocument,
    location: tuple[str | int, ...],
    message: str,
    fallback: tuple[str | int, ...] | None = None,
) -> Problem:
    """A warning on ``location``; a field absent from the file points at ``fallback``'s line."""
    line = doc.lines.get(location)
    if line is None and fallback is not None and fallback in doc.lines:
        line = doc.lines[fallback]
    if line is None:
        line = doc.line_of(location)
    return Problem(message, doc.path, line, dotted(location), severity="warning")
