"""The local Twilio peer's receipts and lookups, through the real twilio SDK: the list of
Messages (filters, newest first, paging), statuses that become final, and a lost answer."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from twilio.rest import Client as TwilioClient

from tests.peers.twilio_api import TwilioAPIServer

SENDER = "+15005550006"
OTHER_SENDER = "+15005550010"
RECIPIENT = "+15551230001"


def test_list_by_to_and_from_is_newest_first_and_follows_next_page_uri(
    twilio_server: TwilioAPIServer, twilio_client: TwilioClient
) -> None:
    for n in range(7):
        twilio_client.messages.create(to=RECIPIENT, from_=SENDER, body=f"m{n}")
    twilio_client.messages.create(to=RECIPIENT, from_=OTHER_SENDER, body="other sender")
    twilio_client.messages.create(to="+15551230002", from_=SENDER, body="other number")

    page = twilio_client.messages.page(to=RECIPIENT, from_=SENDER, page_size=3)
    assert [m.body for m in page] == ["m6", "m5", "m4"]
    assert page.next_page_url is not None
    bodies = [
        m.body for m in twilio_client.messages.stream(to=RECIPIENT, from_=SENDER, page_size=3)
    ]
    assert bodies == [f"m{n}" for n in reversed(range(7))]
    lists = [r for r in twilio_server.requests() if r.method == "GET"]
    assert [r.query.get("Page", ["0"])[0] for r in lists[1:]] == ["0", "1", "2"]


def test_date_sent_filter_works_by_day_and_misses_queued_messages(
    twilio_client: TwilioClient, twilio_server: TwilioAPIServer
) -> None:
    twilio_client.messages.create(to=RECIPIENT, from_=SENDER, body="queued")
    # Queued: no date_sent yet, so a DateSent filter cannot find it (the trap to avoid).
    since = datetime.now(UTC) - timedelta(minutes=1)
    assert list(twilio_client.messages.list(to=RECIPIENT, date_sent_after=since)) == []
    assert [m.body for m in twilio_client.messages.list(to=RECIPIENT)] == ["queued"]
    twilio_server.deliver_after = 0.0
    # Sent now: any time of today's date matches, even one later than the message.
    later_today = datetime.now(UTC).replace(hour=23, minute=59)
    assert len(twilio_client.messages.list(date_sent_after=later_today)) == 1
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert twilio_client.messages.list(date_sent_after=tomorrow) == []


@pytest.mark.slow
def test_statuses_become_final_delivered_or_undelivered_with_the_error_code(
    twilio_client: TwilioClient, twilio_server: TwilioAPIServer
) -> None:
    twilio_server.deliver_after = 1.5  # date_created is in whole seconds
    twilio_server.mark_undelivered("+15551230009", code=30006)
    good = twilio_client.messages.create(to=RECIPIENT, from_=SENDER, body="a")
    bad = twilio_client.messages.create(to="+15551230009", from_=SENDER, body="b")
    assert twilio_client.messages(good.sid).fetch().status == "sent"
    time.sleep(2.6)
    assert twilio_client.messages(good.sid).fetch().status == "delivered"
    fetched = twilio_client.messages(bad.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30006)
    assert fetched.date_updated >= fetched.date_created


def test_a_lost_answer_still_leaves_the_message_accepted(
    twilio_client: TwilioClient, twilio_server: TwilioAPIServer
) -> None:
    twilio_server.drop_first_answer_to(RECIPIENT)
    with pytest.raises(requests.ConnectionError):
        twilio_client.messages.create(to=RECIPIENT, from_=SENDER, body="taken")
    assert [m.body for m in twilio_server.messages_to(RECIPIENT)] == ["taken"]
    # Only the first answer is lost.
    twilio_client.messages.create(to=RECIPIENT, from_=SENDER, body="again")
    assert len(twilio_server.messages_to(RECIPIENT)) == 2
