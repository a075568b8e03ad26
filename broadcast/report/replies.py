"""What people sent back, for the report: how many replied, how fast (the median time from the
message a reply answers to the reply), the words that recur (so the team sees the questions and
answers them in the FAQ), the first sort of the replies, and who opted out. Never a number, and
no reply's whole text: the team reads those with ``broadcast replies``."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from broadcast.ledger.sqlite import Ledger

# Words that say nothing of what people ask about (French and English).
_STOPWORD_TEXT = """
alors aussi avec avez avoir bonjour cela cette comme dans donc elle elles encore estce etre
être fait faut leur mais merci même nous notre pour quand quel quelle quoi sans sont sous suis
tous tout toute très vous votre depuis chez ils ont pas plus peut about after again also been
before being could does doing from have having here hello into just more most only other over
some such than that their them then there these they this those very what when where which
while will with would your yours thanks thank please
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
RECURRING = 10


def replies_summary(ledger: Ledger, incident_id: str) -> dict[str, Any]:
    """The replies of the incident, summed up (see the module's docstring)."""
    replies = ledger.replies(incident_id)
    times = [r.after_seconds for r in replies if r.after_seconds is not None]
    words: Counter[str] = Counter()
    for reply in replies:
        words.update({w for w in _WORD.findall(reply.text.lower()) if w not in _STOPWORDS})
    count, people = ledger.reply_counts(incident_id)
    return {
        "count": count,
        "people": people,
        "median_seconds": round(statistics.median(times)) if times else None,
        "by_category": dict(Counter(r.category for r in replies).most_common()),
        # Words found in at least two replies, the most frequent first (then alphabetically).
        "recurring_words": [
            [w, n]
            for w, n in sorted(words.items(), key=lambda wn: (-wn[1], wn[0]))[:RECURRING]
            if n >= 2
        ],
        "opted_out": ledger.opted_out_count(incident_id),
    }


_SENTENCES = {
    "en": (
        "{people} people replied ({count} replies), a median {after} after the message they "
        "answered{words}; {opted} recipients opted out."
    ),
    "fr": (
        "{people} personne(s) ont répondu ({count} réponse(s)), en médiane {after} après le "
        "message auquel elles répondaient{words} ; {opted} destinataire(s) désinscrit(s)."
    ),
}
_WORDS = {"en": "; words that recur: {words}", "fr": " ; mots qui reviennent : {words}"}


def replies_sentence(data: dict[str, Any], language: str, duration: Any) -> list[str]:
    """The report's sentence on replies (none when nobody replied or opted out);
    ``duration`` formats seconds in ``language``."""
    doc = data.get("replies")
    if not doc or not (doc["count"] or doc["opted_out"]):
        return []
    language = "fr" if language == "fr" else "en"
    recurring = ", ".join(word for word, _ in doc["recurring_words"])
    median = doc["median_seconds"]
    return [
        _SENTENCES[language].format(
            people=doc["people"],
            count=doc["count"],
            after="—" if median is None else duration(median, language),
            words=_WORDS[language].format(words=recurring) if recurring else "",
            opted=doc["opted_out"],
        )
    ]
