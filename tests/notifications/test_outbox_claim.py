"""The outbox claim (notifications.delivery._claim) on PostgreSQL: the lease keeps two workers from
sending one row at once, and `sent_at` keeps a sent row from going out again when its task is
redelivered. A worker that dies after the mail server accepted leaves the row unsent: it goes out a
second time after the lease (at-least-once), with the same Message-ID so mail clients fold it."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from notifications import delivery
from notifications.models import OutboxMessage
from tests.portal.apply_helpers import run_concurrently


class SlowBackend(EmailBackend):
    """The locmem backend with an SMTP exchange's delay, so that a second claim comes mid-send."""

    def send_messages(self, messages):
        time.sleep(0.3)
        return super().send_messages(messages)


def due_row(user) -> OutboxMessage:
    return OutboxMessage.objects.create(
        recipient=user, kind="test", object_key="one", subject="件名", body="本文",
        due_at=timezone.now(),
    )  # fmt: skip


def message_ids() -> list[str]:
    return [m.message()["Message-ID"] for m in mail.outbox]


@pytest.mark.django_db(transaction=True)
def test_workers_claiming_one_row_at_once_send_it_once(staff, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox_claim.SlowBackend"
    row = due_row(staff)
    # Eight workers took the same task (a redelivery, the sweep and the on-commit task together),
    # released at once, each on its own connection.
    results = run_concurrently(lambda _: delivery.deliver(message_id=row.pk), range(8), workers=8)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results.count(True) == 1
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.sent_at is not None


@pytest.mark.django_db
def test_a_redelivery_inside_the_lease_is_not_sent(staff):
    row = due_row(staff)
    # A worker claimed the row a minute ago and is still sending (or just died).
    OutboxMessage.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - timedelta(minutes=1))
    assert delivery.deliver(message_id=row.pk) is False
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_worker_killed_after_sending_is_repeated_once_after_the_lease(staff):
    row = due_row(staff)
    # The first worker claims, the mail server accepts, and the worker is killed before it records
    # sent_at (these are deliver()'s steps up to that point).
    assert delivery._claim(row.pk)
    delivery._send(OutboxMessage.objects.select_related("recipient").get(pk=row.pk))
    assert len(mail.outbox) == 1

    assert delivery.deliver(message_id=row.pk) is False  # the task redelivered inside the lease
    later = timezone.now() + delivery.CLAIM_LEASE + timedelta(seconds=1)
    with time_machine.travel(later):
        assert delivery.deliver(message_id=row.pk) is True  # the lease lapsed: sent again
    assert len(mail.outbox) == 2
    row.refresh_from_db()
    assert row.sent_at is not None
    # Both copies carry the row's one Message-ID, so the recipient's mail client shows one message.
    assert message_ids() == [row.message_id, row.message_id]
    assert row.message_id == f"<outbox-{row.pk}@127.0.0.1>"  # the host of SITE_URL

    # Redelivered yet again, long after: the row is sent, nothing more goes out.
    with time_machine.travel(later + delivery.CLAIM_LEASE * 2):
        assert delivery.deliver(message_id=row.pk) is False
        assert delivery.deliver_due() == 0
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_each_row_has_its_own_message_id(staff, other_municipality_staff):
    first, second = due_row(staff), due_row(other_municipality_staff)
    delivery.deliver_due()
    assert sorted(message_ids()) == sorted([first.message_id, second.message_id])
    assert first.message_id != second.message_id


def test_one_try_ends_well_inside_the_lease(settings):
    """The lease is what keeps a second worker off a row being sent: a send may not outlast it."""
    from notifications.tasks import deliver

    lease = delivery.CLAIM_LEASE.total_seconds()
    assert 0 < settings.EMAIL_TIMEOUT < lease / 2
    assert deliver.time_limit < lease / 2
