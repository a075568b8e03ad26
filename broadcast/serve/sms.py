"""Inbound SMS: ``POST /twilio/sms``.

- STOP, ARRET, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT: the number is opted out for every later
  incident (a suppression, as a provider's 21610 is), until START, UNSTOP or YES opts it in
  again. Twilio answers those keywords itself on its side; ours is 204.
- HELP, AIDE, INFO: one TwiML ``<Message>`` with the latest message each incident in progress
  sent that number, in the language it was sent in: the approved text, byte for byte (without
  its greeting), never a draft. With none, "no incident in progress", in the keyword's
  language, the same words for a number never written to: no answer tells them apart.
- INSCRIRE / JOIN and a postcode: the number signed up for alerts, confirmed at once (the SMS
  proves it), answered with one ``<Message>`` saying how to stop (``sms_signup``); STOP also
  ends that sign-up.
- Anything else: a reply to the last incident that reached the number, kept with the version
  it answers, its text sealed in the ledger, listed by ``broadcast replies``. When that
  version's SMS carried an answer to replies (the incident's ``reply:``, approved and recorded
  as the SMS channel's ``reply`` part), the first reply of the number to that version is
  answered with it, one TwiML ``<Message>`` in the language the number was written in; any
  later one, or without ``reply:``, 204 as before.

More than 10 messages a minute from one number: 429, nothing recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from broadcast.content.greeting import with_recipient_name, without_greeting
from broadcast.serve.keywords import KEYWORD_LANGUAGE, classify, keyword_of, signup_of
from broadcast.serve.logs import masked
from broadcast.serve.sms_signup import end_by_stop, sign_up_by_sms
from broadcast.serve.webhook import Served, Webhook

if TYPE_CHECKING:
    from broadcast.ledger.inbound import SentLast
    from broadcast.ledger.sqlite import Ledger

# HELP tells at most this many incidents (the newest), to stay one SMS thread.
HELP_INCIDENTS = 3
# A closed incident (resolved, cancelled) is still told for this long after its last message.
CLOSED_STILL_TOLD = timedelta(hours=24)
CLOSED = ("resolved", "cancelled")
# Twilio's inbound SMS are 1,600 characters at most: a longer "reply" is not one, and is cut.
MAX_REPLY = 1600
NOTHING_IN_PROGRESS = {
    "fr": "Aucun incident en cours. {organisation}",
    "en": "No incident in progress. {organisation}",
}


async def inbound_sms(hook: Webhook) -> Response:
    served = hook.served
    number = hook.field("From").strip()
    text = hook.field("Body")
    if not number:
        return Response(status_code=204)
    if not served.inbound.admit(served.ledger.recipient_key(number)):
        served.log("refused", path=hook.path, status=429, reason="rate", number=masked(number))
        return PlainTextResponse("Too many messages", status_code=429)
    asked = signup_of(text)
    if asked is not None:
        to = hook.field("To")
        answer = await run_in_threadpool(
            served.with_ledger,
            lambda ledger: sign_up_by_sms(ledger, served, number, to, text, *asked),
        )
        served.log("signup", kinds="phone", via="sms", number=masked(number))
        return twiml_message(answer)
    keyword, word = keyword_of(text)
    if keyword == "stop":
        changed = await run_in_threadpool(
            served.with_ledger, lambda ledger: end_by_stop(ledger, number)
        )
        served.log("opted-out", number=masked(number), new=changed)
        return Response(status_code=204)
    if keyword == "start":
        changed = await run_in_threadpool(served.with_ledger, lambda ledger: ledger.opt_in(number))
        served.log("opted-in", number=masked(number), new=changed)
        return Response(status_code=204)
    if keyword == "help":
        now = served.clock()
        answer = await run_in_threadpool(
            served.with_ledger, lambda ledger: help_text(ledger, served, number, word, now)
        )
        return twiml_message(answer)
    if not text.strip():
        return Response(status_code=204)  # a picture alone, or nothing: no words to keep
    now = served.clock()
    kept, answer = await run_in_threadpool(
        served.with_ledger,
        lambda ledger: keep_reply(ledger, served, number, hook.field("MessageSid"), text, now),
    )
    served.log("reply", number=masked(number), kept=kept, answered=bool(answer))
    return twiml_message(answer) if answer else Response(status_code=204)


def keep_reply(
    ledger: Ledger, served: Served, number: str, sid: str, text: str, now: datetime
) -> tuple[bool, str]:
    """The reply kept with the last incident that reached ``number`` (False when none did:
    nothing to attach it to; or Twilio posted it before), and the answer it gets: the
    version's approved answer to replies, for the number's first reply to that version
    only; else ""."""
    sent = ledger.sent_to(number)
    if not sent or not sid:
        return False, ""
    text = text[:MAX_REPLY]
    if not ledger.add_reply(sent[0], number, sid, text, classify(text), now):
        return False, ""
    # Counted after it is kept: two replies at once cannot both be the first.
    if ledger.replies_from(sent[0].version_id, number) != 1:
        return True, ""
    return True, _auto_answer(ledger, served, sent[0])


def _auto_answer(ledger: Ledger, served: Served, sent: SentLast) -> str:
    """The answer to replies the version recorded (its SMS channel's ``reply`` part, in the
    language it wrote to the number): the approved bytes, or "" when it carried none."""
    from broadcast.channels.sms import REPLY_PART

    recorded = ledger.recorded_texts(sent.version_id)
    # The channel that reached the number first, then any other SMS channel of the version.
    names = [sent.channel, *sorted(n for n in recorded if n != sent.channel)]
    wanted = (sent.locale or "")[:2].lower()
    for name in names:
        channel = served.config.channels.get(name)
        by_locale = recorded.get(name) or {}
        if channel is None or not type(channel).ANSWERS_REPLIES:
            continue
        answers = {
            loc: parts[REPLY_PART] for loc, parts in by_locale.items() if parts.get(REPLY_PART)
        }
        if answers:
            return next(
                (a for loc, a in answers.items() if loc[:2].lower() == wanted),
                next(iter(answers.values())),
            ).strip()
    return ""


def help_text(ledger: Ledger, served: Served, number: str, word: str, now: datetime) -> str:
    """What HELP answers ``number``: each incident in progress that reached it, as its latest
    message there said it; else "no incident in progress"."""
    newest: dict[str, SentLast] = {}
    for sent in ledger.sent_to(number):  # newest first, per incident and channel
        kept = newest.get(sent.incident_id)
        # The incident's latest version; of its channels, the one written as an SMS.
        if kept is None or (sent.version_id == kept.version_id and _sms(served, sent)):
            newest[sent.incident_id] = sent
    told = [
        sent
        for sent in newest.values()
        if sent.status not in CLOSED or now - sent.went_out_at < CLOSED_STILL_TOLD
    ][:HELP_INCIDENTS]
    texts = [t for t in (_as_sent(ledger, sent) for sent in told) if t]
    if texts:
        return "\n\n".join(texts)
    language = KEYWORD_LANGUAGE.get(word) or served.config.defaults.locale or "en"
    words = NOTHING_IN_PROGRESS.get(language[:2], NOTHING_IN_PROGRESS["en"])
    return words.format(organisation=served.config.organisation).strip()


def _sms(served: Served, sent: SentLast) -> bool:
    """The channel's text is made for an SMS (metered in message parts), not a call's."""
    channel = served.config.channels.get(sent.channel)
    return channel is not None and type(channel).METERED_IN_PARTS


def _as_sent(ledger: Ledger, sent: SentLast) -> str:
    """The text the version carried to the number (its channel, its language), recorded when
    it was approved and sent, without the greeting."""
    by_locale = ledger.recorded_texts(sent.version_id).get(sent.channel, {})
    if not by_locale:
        return ""
    wanted = (sent.locale or "")[:2].lower()
    chosen = next(
        (parts for locale, parts in by_locale.items() if locale[:2].lower() == wanted),
        next(iter(by_locale.values())),
    )
    text = chosen.get("text") or next(iter(chosen.values()), "")
    return with_recipient_name(without_greeting(text), "").strip()


def twiml_message(text: str) -> Response:
    from twilio.twiml.messaging_response import MessagingResponse

    reply = MessagingResponse()
    reply.message(text)
    return Response(str(reply), media_type="text/xml")
