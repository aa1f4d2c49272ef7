"""The outbox: written with the change, at most once per (recipient, kind, object), delivered once,
retried later when sending fails."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from notifications import delivery, services
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


NEED = {
    "need_title": "草取り",
    "nushi_name": "中田",
    "channel": "電話",
    "url": "https://x.example/",
}


def write(user, key="need:1", **kw):
    return services.notify(recipient_id=user.pk, kind="need_submitted", object_key=key,
                           context=NEED, **kw)  # fmt: skip


def test_notify_writes_once_per_recipient_kind_and_object(staff):
    assert write(staff) is not None
    assert write(staff) is None
    assert OutboxMessage.objects.count() == 1


def test_a_rolled_back_change_leaves_no_message(staff):
    with pytest.raises(RuntimeError), transaction.atomic():
        write(staff)
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()


def test_deliver_sends_once_even_when_run_twice(staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = write(staff)
    assert len(mail.outbox) == 1  # sent by the on-commit task (eager in tests)
    assert delivery.deliver(message_id=message.pk) is False
    assert delivery.deliver_due() == 0
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.sent_at is not None and mail.outbox[0].to == [staff.email]


def test_failed_send_is_retried_later_not_in_a_loop(staff, monkeypatch):
    message = write(staff, due_at=timezone.now())

    def broken(_message):
        raise ConnectionError("SMTP is down")

    monkeypatch.setattr(delivery, "_send", broken)
    assert delivery.deliver_due() == 0
    message.refresh_from_db()
    assert (
        message.attempts == 1 and message.sent_at is None and "SMTP is down" in message.last_error
    )
    assert delivery.deliver_due() == 0  # not due again yet: one bad row cannot spin the sweep
    assert message.due_at > timezone.now()
    monkeypatch.undo()
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert delivery.deliver_due() == 1
    assert len(mail.outbox) == 1


def test_an_abandoned_claim_is_taken_again_after_the_lease(staff):
    message = write(staff, due_at=timezone.now())
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=timezone.now())  # a worker died
    assert delivery.deliver_due() == 0
    with time_machine.travel(timezone.now() + delivery.CLAIM_LEASE + timedelta(seconds=1)):
        assert delivery.deliver_due() == 1
    assert len(mail.outbox) == 1


def test_future_messages_wait_until_due(staff):
    write(staff, due_at=timezone.now() + timedelta(days=1))
    assert delivery.deliver_due() == 0
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert delivery.deliver_due() == 1


def test_messages_are_written_in_the_recipients_language(municipality, organization, nushi):
    """An English-speaking helper gets English emails whoever triggers them, and a Japanese one gets
    Japanese even when the trigger came from an English page."""
    from django.utils import translation

    from portal.services import applications as services
    from tests.portal.apply_helpers import make_helpers
    from tests.portal.factories import ProgramFactory, SessionFactory

    session = SessionFactory(
        program=ProgramFactory(municipality=municipality, nushi=organization), capacity=5
    )
    english, japanese = make_helpers(2)
    User.objects.filter(pk=english.pk).update(language="en")
    with translation.override("ja"):
        services.application_submit(helper=english, session_id=session.pk)
    with translation.override("en"):
        services.application_submit(helper=japanese, session_id=session.pk)
    to_english = OutboxMessage.objects.get(recipient=english, kind="application_accepted")
    to_japanese = OutboxMessage.objects.get(recipient=japanese, kind="application_accepted")
    start = timezone.localtime(session.starts_at)
    assert to_english.subject == "Your place is confirmed"
    assert f"{start:%a} {start.day} {start:%b} {start.year}" in to_english.body
    assert to_japanese.subject == "参加が確定しました"
    assert f"{start.year}年{start.month}月{start.day}日" in to_japanese.body
    # The reminders planned with the acceptance follow the same rule.
    reminder = OutboxMessage.objects.filter(recipient=english, kind__startswith="reminder").first()
    assert reminder is not None and "参加予定" not in reminder.subject
