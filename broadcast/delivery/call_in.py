"""The call-in line: what someone calling ``serve.call_in_number`` hears, as TwiML.

For people without internet: the latest message of every incident in progress, in the
caller's language, as the outbound call says it. Only what the ledger recorded when a version
went out is ever said: the texts of a version are recorded when it is sent (under approval,
the approved bytes), so a draft in an incident file, or a version waiting for its approval,
has nothing here to be said from. A drill's versions (``exercise``) are never said, and an
incident whose latest version resolved or cancelled it is no longer in progress.

What is said is the voice channel's recorded text of that version (its template says the
message twice, then what to do, and says goodbye); a version that went out without a voice
channel is said from its SMS text. The caller's language is the one the ledger recorded with
the latest delivery to their number; a caller it does not know (or whose language no incident
speaks) gets a one-key menu first (``<Gather numDigits="1">``): key 1 for the first language
the incidents speak, in the order the incident lists them (its own language, then its
translations), each prompt said in its own language. No key pressed: the first language.

Standard library and the ledger only: the answer is built per call, in well under a
millisecond for a handful of incidents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from broadcast.channels.voice import say_language
from broadcast.channels.xml_text import xml_text
from broadcast.delivery.recorded import FACTS_PART
from broadcast.input.recipients import language_of
from broadcast.input.yamlfile import load_yaml
from broadcast.ledger.records import Version
from broadcast.ledger.sqlite import Ledger
from broadcast.problems import InputError

# Where the menu's answer is posted: relative, so Twilio posts it under the public URL it
# called (and signs it with that URL).
VOICE_PATH = "/twilio/voice"
# Statuses after which an incident is no longer in progress.
ENDED = frozenset({"resolved", "cancelled"})
# What the line says around the messages, per language (the organisation's name filled in);
# a language without its own words uses English.
WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "press": "Pour le français, appuyez sur {key}.",
        "none": "Bonjour, ici {organisation}. Aucun incident n'est en cours. Au revoir.",
        "between": "Message suivant.",
        "again": "Pour réécouter ces informations, rappelez ce numéro.",
        "busy": "Bonjour, ici {organisation}. La ligne est très demandée. "
        "Merci de rappeler dans quelques minutes. Au revoir.",
    },
    "en": {
        "press": "For English, press {key}.",
        "none": "Hello, this is {organisation}. There is no incident in progress. Goodbye.",
        "between": "Next message.",
        "again": "To hear this information again, call this number again.",
        "busy": "Hello, this is {organisation}. The line is very busy. "
        "Please call again in a few minutes. Goodbye.",
    },
    "de": {"press": "Für Deutsch drücken Sie die {key}."},
    "es": {"press": "Para español, pulse {key}."},
    "it": {"press": "Per l'italiano, premere {key}."},
    "nl": {"press": "Voor Nederlands, druk op {key}."},
    "pt": {"press": "Para português, prima {key}."},
}
# Seconds the menu waits for a key before saying the messages in the first language.
MENU_TIMEOUT = 5


@dataclass(frozen=True)
class Spoken:
    """One incident's latest message, per language in the incident's order."""

    incident_id: str
    texts: dict[str, str]  # language → the recorded text said on the phone


def in_progress(ledger: Ledger, kinds: Mapping[str, str]) -> list[Spoken]:
    """The latest message of every incident in progress, newest incident first; ``kinds``
    gives each channel's type by its name (channels.yaml)."""
    spoken = []
    for version in ledger.latest_versions():
        if version.exercise or version.status in ENDED:
            continue
        texts = _said(ledger, version, kinds)
        if texts:
            spoken.append(Spoken(version.incident_id, texts))
    return spoken


def _said(ledger: Ledger, version: Version, kinds: Mapping[str, str]) -> dict[str, str]:
    """language → text of the version's voice channel (else its SMS channel), ordered as the
    incident lists its languages."""
    recorded = ledger.recorded_texts(version.id)
    for wanted in ("voice", "sms"):
        for channel, by_locale in sorted(recorded.items()):
            if kinds.get(channel) != wanted:
                continue
            texts = {
                language_of(locale): parts["text"]
                for locale, parts in by_locale.items()
                if parts.get("text", "").strip()
            }
            if texts:
                return _ordered(texts, by_locale, version.source_path)
    return {}


def _ordered(
    texts: dict[str, str], by_locale: Mapping[str, Mapping[str, str]], source: str | None
) -> dict[str, str]:
    """``texts`` in the incident's order: its own language (the one whose parts carry the
    facts), then its translations as its file lists them, then any other."""
    first = [language_of(locale) for locale, parts in by_locale.items() if FACTS_PART in parts]
    order = [*first, *_translations(source)]
    ranked = sorted(
        texts, key=lambda lang: (order.index(lang) if lang in order else len(order), lang)
    )
    return {lang: texts[lang] for lang in ranked}


def _translations(source: str | None) -> list[str]:
    """The languages of ``translations:`` in the incident file, in its order (only their
    order is read from the file, once per change of it: what is said is the ledger's)."""
    if not source:
        return []
    try:
        stamp = Path(source).stat().st_mtime_ns
    except OSError:
        return []
    cached = _ORDER.get(source)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        data = load_yaml(Path(source)).data
    except InputError:
        return []
    listed = data.get("translations") if isinstance(data, dict) else None
    languages = [language_of(str(code)) for code in listed] if isinstance(listed, dict) else []
    _ORDER[source] = (stamp, languages)
    return languages


# Incident file → (its modification time, its translations' languages in order).
_ORDER: dict[str, tuple[int, list[str]]] = {}


def languages_of(spoken: Sequence[Spoken]) -> list[str]:
    """Every language the incidents speak, the menu's keys in order: each incident's in its
    order, the newest incident's first."""
    seen: list[str] = []
    for incident in spoken:
        seen += [lang for lang in incident.texts if lang not in seen]
    return seen[:9]  # one key each, 1 to 9


@dataclass(frozen=True)
class Answered:
    """The TwiML answering a call, and the line's language at that moment: the newest
    incident's first language (else the organisation's), which a caller held back by the
    line's limits hears without the ledger being read again."""

    twiml: str
    language: str


def answer(
    ledger: Ledger,
    kinds: Mapping[str, str],
    organisation: str,
    caller: str | None,
    digits: str | None,
    default_locale: str | None,
) -> str:
    """The TwiML answering a call from ``caller`` (E.164, or None when hidden), or the key
    it pressed in the menu (``digits``)."""
    return answered(ledger, kinds, organisation, caller, digits, default_locale).twiml


def answered(
    ledger: Ledger,
    kinds: Mapping[str, str],
    organisation: str,
    caller: str | None,
    digits: str | None,
    default_locale: str | None,
) -> Answered:
    """``answer``'s TwiML, with the line's language (see ``Answered``)."""
    spoken = in_progress(ledger, kinds)
    languages = languages_of(spoken)
    known = ledger.recorded_locale(caller) if caller and caller.startswith("+") else None
    if not spoken:
        language = language_of(known) or language_of(default_locale) or "en"
        said = _say(_words(language, "none").format(organisation=organisation), known or language)
        return Answered(_response(said), language_of(default_locale) or language)
    chosen = _chosen(languages, digits)
    if chosen is None and known and language_of(known) in languages:
        chosen = language_of(known)
    if chosen is None and len(languages) > 1 and digits is None:
        return Answered(
            _response(_menu(languages) + _messages(spoken, languages[0], None)), languages[0]
        )
    language = chosen or languages[0]
    locale = known if known and language_of(known) == language else None
    return Answered(_response(_messages(spoken, language, locale)), languages[0])


def busy(language: str, organisation: str) -> str:
    """The TwiML of a call the line's limits hold back: call again later, in ``language``
    (English for a language without its own words, said as English), then hang up. Built
    from constants alone: it reads nothing, so answering a flood costs next to nothing."""
    said = language if "busy" in WORDS.get(language, {}) else "en"
    text = _words(said, "busy").format(organisation=organisation)
    return _response(_say(text, said) + "<Hangup/>")


def _chosen(languages: list[str], digits: str | None) -> str | None:
    if digits and digits.isdigit() and 1 <= int(digits) <= len(languages):
        return languages[int(digits) - 1]
    return None


def _menu(languages: list[str]) -> str:
    prompts = "".join(_say(_prompt(lang, key), lang) for key, lang in enumerate(languages, start=1))
    return (
        f'<Gather numDigits="1" action={quoteattr(VOICE_PATH)} method="POST"'
        f' timeout="{MENU_TIMEOUT}">{prompts}</Gather>'
    )


def _messages(spoken: Sequence[Spoken], language: str, locale: str | None) -> str:
    """Every incident's message in ``language`` (else the incident's own first language),
    a pause between two, then how to hear them again."""
    said = []
    for incident in spoken:
        lang = language if language in incident.texts else next(iter(incident.texts))
        said.append(
            _paragraphs(incident.texts[lang], (locale or lang) if lang == language else lang)
        )
    between = _say(_words(language, "between"), locale or language)
    body = f'<Pause length="1"/>{between}'.join(said)
    return body + '<Pause length="1"/>' + _say(_words(language, "again"), locale or language)


def _paragraphs(text: str, locale: str | None) -> str:
    """The text said paragraph by paragraph (a blank line is a pause), as a call says it."""
    paragraphs = [" ".join(p.split()) for p in xml_text(text).split("\n\n") if p.strip()]
    return '<Pause length="1"/>'.join(_say(p, locale) for p in paragraphs)


def _say(text: str, locale: str | None) -> str:
    language = quoteattr(xml_text(say_language(locale)))
    return f"<Say language={language}>{escape(xml_text(text))}</Say>"


def _prompt(language: str, key: int) -> str:
    """The menu's prompt for ``language``, in it: its own words, else its name as it calls
    itself and the key ("Deutsch: 3."), never another language's sentence."""
    own = WORDS.get(language, {}).get("press")
    if own:
        return own.format(key=key)
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(language).get_display_name(language) or language
    except (UnknownLocaleError, ValueError):
        name = language
    return f"{name[:1].upper()}{name[1:]}: {key}."


def _words(language: str, key: str) -> str:
    return WORDS.get(language, {}).get(key) or WORDS["en"][key]


def _response(inner: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'
