"""LINE push, against a fake LINE API on 127.0.0.1: the channel is decided at send time, a push LINE
refuses goes by email at once, a push that failed on LINE's side is retried on LINE with the same retry
key, and a retry of a push LINE already took is not shown twice."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications import delivery, line
from notifications.models import OutboxMessage, Preference
from notifications.services import notify
from tests.notifications.conftest import LINE_UID, link_line

pytestmark = pytest.mark.django_db


def write(user, key="news:1") -> OutboxMessage:
    with transaction.atomic():
        return notify(
            recipient_id=user.pk,
            kind="need_submitted",
            object_key=key,
            context={
                "need_title": "みょうが畑づくり",
                "nushi_name": "中田",
                "channel": "電話",
                "url": "",
            },
        )


def later(row: OutboxMessage):
    """A moment after the row's next try is due."""
    row.refresh_from_db()
    return time_machine.travel(row.due_at + timedelta(seconds=1))


def test_a_person_who_chose_line_gets_a_push_not_an_email(fake_line, line_helper):
    row = write(line_helper)
    assert delivery.deliver(message_id=row.pk) is True
    assert mail.outbox == []
    assert row.line_text  # the kind's LINE template, not the email
    assert fake_line.delivered == [(LINE_UID, row.line_text)]
    [request] = fake_line.requests
    assert request.authorization == f"Bearer {fake_line.token}"
    assert request.retry_key == line.retry_key(row.message_id)
    row.refresh_from_db()
    assert row.sent_at is not None and row.channel == OutboxMessage.Channel.LINE
    assert row.last_error == ""


def test_the_row_line_text_is_what_is_pushed(fake_line, line_helper):
    row = write(line_helper)
    OutboxMessage.objects.filter(pk=row.pk).update(line_text="LINE の吹き出し向けの短い文")
    delivery.deliver(message_id=row.pk)
    assert fake_line.delivered == [(LINE_UID, "LINE の吹き出し向けの短い文")]


def test_the_retry_key_is_one_uuid_per_row():
    keys = {line.retry_key("<outbox-1@example.jp>") for _ in range(3)}
    assert len(keys) == 1
    assert uuid.UUID(keys.pop()).version == 5
    assert line.retry_key("<outbox-1@example.jp>") != line.retry_key("<outbox-2@example.jp>")


@pytest.mark.parametrize(
    "setup",
    ["email preferred", "no LINE account", "no messaging token", "no preference row"],
)
def test_email_whenever_line_is_not_both_chosen_and_possible(fake_line, helper, settings, setup):
    if setup != "no LINE account":
        link_line(helper)
    if setup != "no preference row":
        channel = "email" if setup == "email preferred" else "line"
        Preference.objects.create(user=helper, channel=channel)
    if setup == "no messaging token":
        settings.LINE_CHANNEL_ACCESS_TOKEN = ""
    row = write(helper)
    assert delivery.deliver(message_id=row.pk) is True
    assert fake_line.requests == []
    assert [m.to for m in mail.outbox] == [[helper.email]]
    row.refresh_from_db()
    assert row.channel == OutboxMessage.Channel.EMAIL


@pytest.mark.parametrize("status", [400, 403, 429])
def test_a_push_line_refuses_goes_by_email_at_once(fake_line, line_helper, status):
    fake_line.refuse[LINE_UID] = status  # e.g. not a friend of the official account
    row = write(line_helper)
    assert delivery.deliver(message_id=row.pk) is True
    assert fake_line.delivered == [] and len(fake_line.requests) == 1
    assert [m.to for m in mail.outbox] == [[line_helper.email]]
    assert mail.outbox[0].extra_headers["Message-ID"] == row.message_id
    row.refresh_from_db()
    assert row.sent_at is not None and row.channel == OutboxMessage.Channel.EMAIL
    assert row.attempts == 0
    assert f"LINE {status}" in row.last_error and "sent by email" in row.last_error


def test_a_line_outage_is_retried_on_line_later(fake_line, line_helper):
    fake_line.fail_next = [500]
    row = write(line_helper)
    assert delivery.deliver(message_id=row.pk) is False
    row.refresh_from_db()
    assert row.attempts == 1 and row.sent_at is None and "500" in row.last_error
    assert mail.outbox == [] and fake_line.delivered == []
    with later(row):
        assert delivery.deliver_due() == 1
    assert fake_line.delivered == [(LINE_UID, fake_line.requests[-1].texts[0])]
    assert len({r.retry_key for r in fake_line.requests}) == 1  # the same key on both tries
    assert mail.outbox == []
    row.refresh_from_db()
    assert row.channel == OutboxMessage.Channel.LINE and row.last_error == ""


def test_a_push_that_timed_out_after_line_took_it_is_not_shown_twice(fake_line, line_helper):
    fake_line.stall = 1.5  # LINE accepts, then answers after the client's 0.5 s timeout
    row = write(line_helper)
    assert delivery.deliver(message_id=row.pk) is False  # as far as we know, it failed
    row.refresh_from_db()
    assert row.attempts == 1 and row.sent_at is None and "imeout" in row.last_error
    assert len(fake_line.delivered) == 1  # but LINE has it

    fake_line.stall = 0
    with later(row):
        assert delivery.deliver_due() == 1
    assert [r.status for r in fake_line.requests] == [200, 409]
    assert fake_line.requests[0].retry_key == fake_line.requests[1].retry_key
    assert len(fake_line.delivered) == 1  # the retry folded into the first push
    assert mail.outbox == []
    row.refresh_from_db()
    assert row.sent_at is not None and row.channel == OutboxMessage.Channel.LINE


def test_a_worker_lost_after_the_push_repeats_it_without_a_double(fake_line, line_helper):
    row = write(line_helper)
    # A worker claimed and pushed, then died before recording the send.
    assert delivery._claim(row.pk)
    delivery._send(OutboxMessage.objects.select_related("recipient").get(pk=row.pk))
    later_on = timezone.now() + delivery.CLAIM_LEASE + timedelta(seconds=1)
    with time_machine.travel(later_on):
        assert delivery.deliver_due() == 1  # the lease lapsed: the sweep tries again
    assert [r.status for r in fake_line.requests] == [200, 409]
    assert len(fake_line.delivered) == 1 and mail.outbox == []


def test_every_try_of_a_refused_push_still_ends_in_one_email(fake_line, line_helper, monkeypatch):
    """LINE refuses, then the mail server fails: the next try asks LINE again (still refused, nothing
    shown there) and sends the email once."""
    fake_line.refuse[LINE_UID] = 400
    row = write(line_helper)
    monkeypatch.setattr(delivery, "_send_email", lambda _m: (_ for _ in ()).throw(OSError("SMTP")))
    assert delivery.deliver(message_id=row.pk) is False
    monkeypatch.undo()
    with later(row):
        assert delivery.deliver_due() == 1
    assert fake_line.delivered == [] and len(mail.outbox) == 1
