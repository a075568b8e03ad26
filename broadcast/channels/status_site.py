"""The pages of the web banner's folder that cover every incident: the index and the feed.

``index.html`` lists the incidents in progress, most severe first, then recent ones;
``feed.xml`` is the history as an Atom feed (RFC 4287), one entry per update. Both speak the
site's language (``site_language``), each entry its incident's own. Standard library only
(babel lazily, for the index's dates); ``web_banner`` writes them beside the banner.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from broadcast.channels.banner_history import entry_instant, facts_language, is_web_link, moment_of
from broadcast.channels.status_words import ICONS, SEVERITY_ORDER, WORDS
from broadcast.content.relative_time import relative_time
from broadcast.content.typography import french
from broadcast.input.affected import impact_word

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

INDEX = "index.html"
FEED = "feed.xml"
ATOM = "http://www.w3.org/2005/Atom"
XHTML = "http://www.w3.org/1999/xhtml"
# Resolved incidents the index still lists (history keeps them KEPT_FOR).
RECENT_INCIDENTS = 10
# An incident that is over: resolved, or cancelled with a correction of a wrong message.
OVER = ("resolved", "cancelled")


def newest_incident(incidents: list[dict[str, Any]]) -> dict[str, Any]:
    """The newest of ``incidents`` (each incident's latest update): it names the site."""
    return max(incidents, key=entry_instant)


def site_language(facts: Mapping[str, Any], history: list[dict[str, Any]]) -> str:
    """The language of what covers every incident (the index, the feed): the organisation's
    (``site_locale``, else ``defaults.locale``, as the facts carry it), else the language of
    the oldest incident the history holds; never merely the last incident's."""
    if facts.get("site_locale"):
        return facts_language({"locale": facts["site_locale"]})
    oldest = next((e for e in reversed(history) if e.get("language")), None)
    return str(oldest["language"]) if oldest else facts_language(facts)


def typeset(text: str, language: str | None) -> str:
    """``text`` from the history (as the file said it) set for ``language``, as every
    rendered surface sets it (French spacing and elision): the index and the feed list the
    history's raw headlines and titles, not texts a template rendered."""
    return french(text) if language == "fr" else text


def index_page(
    incidents: list[dict[str, Any]], history: list[dict[str, Any]], language: str | None = None
) -> str:
    """``index.html``: the verdict, the incidents in progress, most severe first, then the
    past ones grouped by day, and the ways to follow.

    The page speaks ``language`` (the site's, ``site_language``); each incident's entry its
    own, with its ``lang``: its labels, dates and text alike. Relative times ("il y a 12 min")
    are said from the newest update, when the page is written."""
    newest = newest_incident(incidents)
    language = language or newest.get("language") or "en"
    words = WORDS.get(language, WORDS["en"])
    organisation = newest.get("organisation") or ""
    now = newest["updated_at"]
    active = [i for i in incidents if i["status"] not in OVER]
    active.sort(key=lambda i: (SEVERITY_ORDER.get(i["severity"], 3), -entry_instant(i)))
    recent = sorted((i for i in incidents if i["status"] in OVER), key=entry_instant, reverse=True)[
        :RECENT_INCIDENTS
    ]
    started = {i["id"]: i.get("started_at") for i in incidents}

    def listing(chosen: list[dict[str, Any]]) -> list[str]:
        entries = (_index_entry(incident, language, started, now) for incident in chosen)
        return ['<ul class="incidents">', *entries, "</ul>"]

    title = f"{words['page_title']} · {organisation}" if organisation else words["page_title"]
    drills = any(i.get("exercise") for i in [*active, *recent])
    if drills:
        title = f"{words['exercise_marker']} {title}"
    out = [
        *_index_head(title, language),
        "<body>",
        *([f'<p class="exercise">{html.escape(words["exercise_notice"])}</p>'] if drills else []),
        "<main>",
        f'<p class="org">{html.escape(organisation)}</p>',
        f"<h1>{html.escape(words['page_title'])}</h1>",
        *_verdict(active, language, now, newest),
        f"<h2>{html.escape(words['current'])}</h2>",
        *(listing(active) if active else [f"<p>{html.escape(words['none'])}</p>"]),
    ]
    if recent:
        out.append(f"<h2>{html.escape(words['recent'])}</h2>")
        for day, group in _by_day(recent, language):
            out += [f"<h3>{day}</h3>", *listing(group)]
    out += [
        *_subscribe(history, words),
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(out) + "\n"


def verdict_kind(active: list[dict[str, Any]]) -> str:
    """What the top of the index says: ``operational`` with nothing in progress, ``monitoring``
    when every incident in progress is fixed and watched, else the worst severity of those not
    fixed yet (a critical outage whose fix is in place no longer makes a major outage)."""
    if not active:
        return "operational"
    unfixed = [i["severity"] for i in active if i["status"] != "monitoring"]
    if not unfixed:
        return "monitoring"
    return min(unfixed, key=lambda s: SEVERITY_ORDER.get(s, 3))


def _verdict(
    active: list[dict[str, Any]], language: str, now: str, newest: Mapping[str, Any]
) -> list[str]:
    """The verdict as status pages give it: one line, its colour and shape, how many incidents,
    as of when (with its zone, and how long ago)."""
    words = WORDS.get(language, WORDS["en"])
    kind = verdict_kind(active)
    said = words["verdict"][kind]
    if active and all(i.get("exercise") for i in active):
        said = f"{words['exercise_marker']} {said}"  # a drill's verdict is no real outage
    one, several = words["in_progress"].split("|")
    count = (one if len(active) == 1 else several).format(n=len(active))
    # In the page's language; the zone of the newest update (the site has no zone of its own).
    zone, locale = newest.get("timezone"), language
    as_of = (
        f'{html.escape(words["as_of"])} <time datetime="{html.escape(now)}">'
        f"{html.escape(_local_datetime(now, locale, zone))}</time>"
    )
    return [
        f'<section class="verdict verdict-{kind}" aria-labelledby="verdict">',
        f'<p id="verdict" class="verdict-words">{ICONS[kind]}'
        f"<strong>{html.escape(typeset(said, language))}</strong></p>",
        f'<p class="verdict-facts">{html.escape(count) + " · " if active else ""}{as_of}</p>',
        "</section>",
    ]


def _by_day(incidents: list[dict[str, Any]], language: str) -> list[tuple[str, list[Any]]]:
    """Past incidents by the day they ended (else their last update), newest day first, each
    day a ``<time datetime>`` in the index's language."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_date

    tag = {"en": "en_GB", "fr": "fr_FR"}.get(language, language)
    days: dict[str, tuple[str, list[Any]]] = {}
    for incident in incidents:
        moment = moment_of(incident.get("ended_at") or incident["updated_at"])
        if incident.get("timezone"):
            moment = moment.astimezone(ZoneInfo(incident["timezone"]))
        key = moment.date().isoformat()
        if key not in days:
            try:
                label = format_date(moment, "full", locale=tag)
            except (ValueError, LookupError):
                label = key
            days[key] = (f'<time datetime="{key}">{html.escape(label)}</time>', [])
        days[key][1].append(incident)
    return [days[key] for key in sorted(days, reverse=True)]


def subscribe_options(history: list[dict[str, Any]], words: Mapping[str, Any]) -> list[Any]:
    """The ways to follow the site: (label, href, type). The Atom feed always; the CAP alerts
    feed when a CAP channel publishes one (``cap_feed``, relative to this folder); then what
    the newest update's facts list under ``subscribe`` (``[{"label", "href"}]``): the hook a
    server (``broadcast serve``) fills with what it adds when configured (an email sign-up,
    a push subscription), without this module knowing it."""
    options: list[Any] = [(words["subscribe"], FEED, "application/atom+xml")]
    cap_feed = next((e["cap_feed"] for e in history if e.get("cap_feed")), None)
    if cap_feed:
        options.append((words["cap"], cap_feed, "application/atom+xml"))
    newest = history[0] if history else {}
    for extra in newest.get("subscribe") or []:
        if isinstance(extra, Mapping) and extra.get("label") and extra.get("href"):
            options.append((str(extra["label"]), str(extra["href"]), extra.get("type")))
    return options


def _subscribe(history: list[dict[str, Any]], words: Mapping[str, Any]) -> list[str]:
    """The section listing ``subscribe_options``: its heading goes with it (never an empty
    heading on paper, where the section is left out)."""
    items = []
    for label, href, kind in subscribe_options(history, words):
        type_attribute = f' type="{html.escape(kind)}"' if kind else ""
        items.append(
            f'<li><a href="{html.escape(href)}"{type_attribute}>{html.escape(label)}</a></li>'
        )
    return [
        '<section class="follow" aria-labelledby="follow">',
        f'<h2 id="follow">{html.escape(words["subscribe_heading"])}</h2>',
        '<ul class="subscribe">',
        *items,
        "</ul>",
        "</section>",
    ]


def _index_head(title: str, language: str) -> list[str]:
    """The index's lines up to its body: its language, title, styles and feed."""
    return [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        '<link rel="stylesheet" href="status.css">',
        f'<link rel="alternate" type="application/atom+xml" href="{FEED}" '
        f'title="{html.escape(title)}">',
        "</head>",
    ]


def _index_entry(
    incident: Mapping[str, Any], language: str, started: Mapping[str, str | None], now: str
) -> str:
    """One incident's ``<li>`` in the index, in the incident's own language."""
    kind = {"resolved": "resolved", "cancelled": "corrected"}.get(
        incident["status"], incident["severity"]
    )
    speaks = incident.get("language") or language
    said = WORDS.get(speaks, WORDS["en"])
    zone = incident.get("timezone")
    facts = [(said["started"], started.get(incident["id"]))]
    # The end the messages said, then when it was published, each named as such (an
    # entry written before ends were kept has only its publication).
    if incident["status"] in OVER and incident.get("ended_at"):
        facts.append((said["ended"], incident["ended_at"]))
    facts.append((said["updated"], incident["updated_at"]))
    when = " · ".join(
        f'{html.escape(label)} <time datetime="{html.escape(value)}">'
        f"{html.escape(_local_datetime(value, incident.get('locale'), zone))}</time>"
        for label, value in facts
        if value
    )
    # How long ago the last update went out, as of this page.
    updated, as_of = moment_of(incident["updated_at"]), moment_of(now)
    ago = relative_time(updated, as_of, incident.get("locale") or speaks)
    when += f' <span class="ago">({html.escape(ago)})</span>'
    # "Rectificatif" is both the kind and the status of a correction: said once.
    labels = [said["severity"].get(kind, kind)]
    status = said["status"].get(incident["status"], incident["status"])
    if status not in labels:
        labels.append(status)
    drill, tag = "", ""
    if incident.get("exercise"):
        drill, tag = (
            " incident-exercise",
            f'<span class="exercise-tag">{html.escape(said["exercise"])}</span>',
        )
    return (
        f'<li class="facts-{html.escape(kind)}{drill}" lang="{html.escape(speaks)}">'
        f'{tag}<a href="{html.escape(incident["id"])}.html">'
        f"{html.escape(typeset(incident['title'], speaks))}</a>"
        f'<span class="severity">{html.escape(" · ".join(labels))}</span>'
        f"<p>{html.escape(typeset(incident['headline'], speaks))}</p>"
        f"{_affected_list(incident.get('affected_items'), speaks)}"
        f'<p class="org">{when}</p></li>'
    )


def _affected_list(items: Any, language: str) -> str:
    """The services or areas the incident lists, each with its impact ("" when it lists none)."""
    if not isinstance(items, list) or not items:
        return ""
    out = []
    for item in items:
        if not isinstance(item, Mapping) or not item.get("name"):
            continue
        impact = str(item.get("impact") or "")
        detail = (
            f' <span class="detail">{html.escape(typeset(str(item["detail"]), language))}</span>'
            if item.get("detail")
            else ""
        )
        out.append(
            f'<li class="impact-{html.escape(impact)}"><span class="name">'
            f"{html.escape(typeset(str(item['name']), language))}</span> "
            f'<span class="impact">{html.escape(impact_word(impact, language).capitalize())}'
            f"</span>{detail}</li>"
        )
    return f'<ul class="affected">{"".join(out)}</ul>' if out else ""


def atom_feed(
    history: list[dict[str, Any]], public_url: str | None = None, language: str | None = None
) -> bytes:
    """The history as an Atom feed: one entry per update, each with its own text.

    The feed speaks ``language`` (the site's, ``site_language``); an entry in another
    language says so (``xml:lang``).

    ElementTree escapes every text and attribute it writes; ``xml_document`` removes what XML
    cannot hold, so an entry an older version wrote with a control character does not make
    every later feed malformed. Links are relative to the feed
    unless ``public_url`` (where ``output_dir`` is served) makes them absolute.
    """
    # Imported here: only a publication writes a feed, not every run that loads the channel.
    import uuid
    import xml.etree.ElementTree as ET

    from broadcast.channels.xml_text import xml_document

    newest = history[0]
    language = language or newest.get("language") or "en"
    organisation = newest.get("organisation") or ""
    words = WORDS.get(language, WORDS["en"])
    base = public_url.rstrip("/") + "/" if public_url else ""
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": language})
    # The same for every incident the folder ever holds: the feed is the site's.
    feed_key = public_url or f"broadcast:{organisation}"
    ET.SubElement(feed, "id").text = uuid.uuid5(uuid.NAMESPACE_URL, feed_key).urn
    title = f"{organisation} · {words['page_title']}" if organisation else words["page_title"]
    ET.SubElement(feed, "title").text = title
    ET.SubElement(feed, "updated").text = newest["updated_at"]
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = organisation or "broadcast"
    ET.SubElement(
        feed, "link", {"rel": "self", "type": "application/atom+xml", "href": urljoin(base, FEED)}
    )
    index = {"rel": "alternate", "type": "text/html", "href": urljoin(base, INDEX)}
    ET.SubElement(feed, "link", index)
    for update in history:
        _feed_entry(feed, update, language, base, public_url)
    return xml_document(feed)


def _feed_entry(
    feed: Element, update: Mapping[str, Any], language: str, base: str, public_url: str | None
) -> None:
    """One update's ``<entry>`` in the feed: in the feed's language when the incident is
    written in it, else in its own (said with ``xml:lang``)."""
    import xml.etree.ElementTree as ET

    entry = ET.SubElement(feed, "entry")
    own = update.get("language") or language
    said, sections = entry_sections(update, language)
    entry_words = WORDS.get(said, WORDS["en"])
    status = entry_words["status"].get(update["status"], update["status"])
    if update.get("reminder"):
        status = f"{entry_words['reminder']} · {status}"
    if said != language:
        entry.set("xml:lang", said)
    ET.SubElement(entry, "id").text = f"{_feed_id(update, public_url)}/{update['updated_at']}"
    worded = _worded(update, said)
    title = worded.get("title") if said != own else None
    heading = typeset(title or update.get("title") or update["headline"], said)
    if update.get("exercise"):
        status = f"{entry_words['exercise_marker']} {status}"
    ET.SubElement(entry, "title").text = f"{status} · {heading}"
    # Each update is an entry of its own, first published when it went out.
    ET.SubElement(entry, "published").text = update["updated_at"]
    ET.SubElement(entry, "updated").text = update["updated_at"]
    # What a reader lists: the banner's short text (its language's headline in another); the
    # content is the update's full text, as its page says it (``entry_sections``).
    short = update.get("banner_text") if said == own else sections[0][1][0]
    ET.SubElement(entry, "summary", {"type": "text"}).text = short or typeset(
        update["headline"], own
    )
    content = ET.SubElement(entry, "content", {"type": "xhtml"})
    div = ET.SubElement(content, "div", {"xmlns": XHTML})
    for heading_, paragraphs in sections:
        if heading_:
            ET.SubElement(div, "h3").text = heading_
        for paragraph in paragraphs:
            if isinstance(paragraph, list):
                items = ET.SubElement(div, "ul")
                for item in paragraph:
                    ET.SubElement(items, "li").text = item
            else:
                ET.SubElement(div, "p").text = paragraph
    page = urljoin(base, f"{update['id']}.html")
    ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": page})
    link = update.get("link")
    if is_web_link(link):
        ET.SubElement(entry, "link", {"rel": "related", "href": link})


def _worded(update: Mapping[str, Any], language: str) -> Mapping[str, Any]:
    """The update's words in ``language`` (its ``texts``), else its own fields."""
    texts = update.get("texts")
    chosen = texts.get(language) if isinstance(texts, Mapping) else None
    return chosen if isinstance(chosen, Mapping) else update


Section = tuple[str | None, list[Any]]  # a heading (or none), its paragraphs (a list: items)


def entry_sections(update: Mapping[str, Any], language: str) -> tuple[str, list[Section]]:
    """An update's full text as its page says it, for its feed entry: the language it is said
    in (the feed's ``language`` when the incident is written in it, else the update's own),
    and its sections in the page's order: the headline (a correction's own words), the way
    without internet (while in progress), since when, the expected end or the end and how
    long it lasted, the next update promised, what is happening, who is affected, what is
    being done (with what people should do, which the incident says there), the apology and
    any compensation.

    Every word is the update's as published (the history keeps the facts of the approved
    version); only the headings and the sentence of the expected end are the page's own."""
    own = update.get("language") or language
    texts = update.get("texts")
    said = language if isinstance(texts, Mapping) and language in texts else own
    words = _worded(update, said) if said != own else update
    entry = WORDS.get(said, WORDS["en"])["entry"]
    over = update["status"] in OVER
    tense = 1 if over else 0
    locale = update.get("locale") if said == own and update.get("locale") else said
    when = _time_words(str(locale), update.get("timezone"), update["updated_at"])

    def paragraphs(name: str) -> list[Any]:
        value = words.get(name)
        if not isinstance(value, str):
            return []
        return [" ".join(p.split()) for p in typeset(value, said).split("\n\n") if p.strip()]

    if update["status"] == "cancelled":
        # A correction is said by its own words, never by a headline the file may have kept
        # from the wrong message (the history's headline is its banner text).
        first = paragraphs("correction") if said != own else [typeset(update["headline"], own)]
    else:
        first = paragraphs("headline") or [typeset(update["headline"], own)]
    if update.get("exercise") and first:
        # A drill's text says so before anything else, as its page and banner do.
        marker = WORDS.get(said, WORDS["en"])["exercise_marker"]
        first = [f"{marker} {first[0].removeprefix(marker).lstrip()}", *first[1:]]
    sections: list[Section] = [(None, first)]
    if not over:
        sections.append((None, paragraphs("offline")))
    if update.get("started_at"):
        sections.append((entry["started"][tense], [when("zoned", update["started_at"])]))
    if over and update.get("ended_at"):
        sections.append((entry["ended"], [when("zoned", update["ended_at"])]))
        if update.get("started_at"):
            lasted = moment_of(update["ended_at"]) - moment_of(update["started_at"])
            if lasted.total_seconds() > 0:
                sections.append((entry["duration"], [when("duration", lasted)]))
    elif not over:
        eta = update.get("eta")
        if eta and moment_of(eta) < moment_of(update["updated_at"]):
            sentence = entry["eta_passed"]
        elif eta:
            sentence = entry["eta_known"].format(when=when("datetime", eta))
        else:
            sentence = entry["eta_unknown"]
        sections.append((entry["eta"], [sentence]))
        if update.get("next_update_at"):
            sections.append((entry["next_update"], [when("zoned", update["next_update_at"])]))
    sections.append((entry["summary"][tense], paragraphs("summary")))
    listed = words.get("affected_items") if said != own else update.get("affected_items")
    items = [
        _affected_item(item, said)
        for item in (listed if isinstance(listed, list) else [])
        if isinstance(item, Mapping) and item.get("name")
    ]
    sections.append((entry["affected"][tense], [items] if items else paragraphs("affected")))
    sections.append((entry["actions"][tense], paragraphs("actions")))
    sections.append((None, paragraphs("apology")))
    sections.append((entry["compensation"], paragraphs("compensation")))
    return said, [(heading, said_) for heading, said_ in sections if said_]


def _affected_item(item: Mapping[str, Any], language: str) -> str:
    """``Eau potable à Millbrook : interruption totale (environ 5 000 foyers)``, as the page
    lists an item with its impact."""
    words = WORDS.get(language, WORDS["en"])
    impact = impact_word(str(item.get("impact") or ""), language).capitalize()
    detail = f" ({typeset(str(item['detail']), language)})" if item.get("detail") else ""
    return f"{typeset(str(item['name']), language)}{words['colon']}{impact}{detail}"


def _time_words(locale: str, zone: str | None, now: str) -> Any:
    """``when(filter, value)``: a time (ISO text) or a duration as the page's filters write
    it, in ``locale`` and the incident's zone."""
    from zoneinfo import ZoneInfo

    from broadcast.content.time_words import TimeWords

    tag = locale.replace("-", "_")
    # A bare language writes as content.render.DEFAULT_FULL_LOCALE says (en: en_GB).
    tag = {"en": "en_GB", "fr": "fr_FR"}.get(tag, tag)
    try:
        tz: Any = ZoneInfo(zone) if zone else moment_of(now).tzinfo
    except (ValueError, LookupError):
        tz = moment_of(now).tzinfo
    filters = TimeWords(tag, tz, moment_of(now).astimezone(tz)).filters()

    def when(name: str, value: Any) -> str:
        try:
            return str(filters[name](moment_of(value) if isinstance(value, str) else value))
        except (ValueError, LookupError):
            return str(value)

    return when


def _local_datetime(value: str, locale: str | None, zone: str | None = None) -> str:
    """``22 nov. 2026, 09:40 CET`` in the incident's locale and zone: no seconds, and the zone
    named (its offset, ``+0100``, for an entry written before zones were kept)."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_date, format_time

    try:
        moment = moment_of(value)
        if zone:
            moment = moment.astimezone(ZoneInfo(zone))
        tag = (locale or "en").replace("-", "_")
        # A bare language writes as content.render.DEFAULT_FULL_LOCALE says (en: en_GB).
        tag = {"en": "en_GB", "fr": "fr_FR"}.get(tag, tag)
        day = format_date(moment, "medium", locale=tag)
        time = format_time(moment, "short", tzinfo=moment.tzinfo, locale=tag)
    except (ValueError, LookupError):
        return value
    return f"{day}, {time} {moment.tzname() or moment.strftime('%z')}".replace("\u202f", " ")


def _feed_id(entry: Mapping[str, Any], public_url: str | None) -> str:
    """A tag: URI (RFC 4151) that stays the same for every update of the incident."""
    host = urlsplit(public_url or entry.get("link") or "").hostname or "broadcast.invalid"
    day = str(entry.get("started_at") or entry["updated_at"])[:10]
    return f"tag:{host},{day}:{entry['id']}"
