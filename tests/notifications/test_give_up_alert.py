"""When a row gives up (MAX_ATTEMPTS failed tries), the staff of its municipality get one alert each; an
alert that cannot be delivered raises no alert of its own, and a given-up row is not tried again until
staff put it back."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from notifications import delivery
from notifications.kinds import Kind
from notifications.models import MAX_ATTEMPTS, OutboxMessage
from tests.accounts.factories import StaffMembershipFactory

pytestmark = pytest.mark.django_db


class Refused(Exception):
    pass


def refuse(_message):
    raise Refused("550 mailbox unavailable")


def due_row(user, municipality, subject="みょうが畑の参加が決まりました") -> OutboxMessage:
    return OutboxMessage.objects.create(
        recipient=user, kind="need_submitted", object_key="need:1", subject=subject, body="…",
        due_at=timezone.now(), municipality=municipality,
    )  # fmt: skip


def run_sweeps(times: int, start=None):
    """The beat sweep `times` times, each when the earliest unsent row comes due."""
    when = start or timezone.now()
    for _ in range(times):
        with time_machine.travel(when):
            delivery.deliver_due()
        waiting = OutboxMessage.objects.filter(OutboxMessage.in_state("waiting")).order_by("due_at")
        if not waiting:
            break
        when = waiting.first().due_at + timedelta(seconds=1)


def alerts():
    return OutboxMessage.objects.filter(kind=Kind.DELIVERY_FAILED)


def test_the_staff_of_the_municipality_get_one_alert_each(
    helper, staff, municipality, other_municipality_staff, monkeypatch
):
    second_staff = StaffMembershipFactory(municipality=municipality).user
    row = due_row(helper, municipality)
    monkeypatch.setattr(delivery, "_send", refuse)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with time_machine.travel(row.due_at + timedelta(seconds=1)):
            delivery.deliver(message_id=row.pk)
        row.refresh_from_db()
        assert row.attempts == attempt
        assert alerts().exists() == (attempt == MAX_ATTEMPTS)  # only when it gives up
    assert set(alerts().values_list("recipient_id", flat=True)) == {staff.pk, second_staff.pk}
    assert set(alerts().values_list("municipality_id", flat=True)) == {municipality.pk}

    monkeypatch.undo()
    with time_machine.travel(alerts().first().due_at + timedelta(seconds=1)):
        assert delivery.deliver_due() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([staff.email, second_staff.email])
    email = mail.outbox[0]
    assert row.subject in email.subject
    assert "550 mailbox unavailable" in email.body
    assert "/staff/notifications/?state=failed" in email.body
    assert not email.alternatives and not email.attachments  # reads fully as plain text


def test_an_alert_that_cannot_be_delivered_raises_no_alert(
    helper, staff, municipality, monkeypatch
):
    due_row(helper, municipality)
    monkeypatch.setattr(delivery, "_send", refuse)
    run_sweeps(3 * MAX_ATTEMPTS)
    assert alerts().count() == 1
    alert = alerts().get()
    assert alert.state == OutboxMessage.State.FAILED  # given up too, waiting on the page
    assert OutboxMessage.objects.count() == 2


def test_a_row_about_no_municipality_alerts_nobody(helper, staff, monkeypatch):
    due_row(helper, None)
    monkeypatch.setattr(delivery, "_send", refuse)
    run_sweeps(MAX_ATTEMPTS)
    assert not alerts().exists()


def test_a_given_up_row_is_not_tried_again_until_staff_put_it_back(
    helper, staff, municipality, monkeypatch
):
    row = due_row(helper, municipality)
    monkeypatch.setattr(delivery, "_send", refuse)
    run_sweeps(3 * MAX_ATTEMPTS)
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.FAILED
    # Its task redelivered by the broker: nothing happens, no second alert.
    with time_machine.travel(row.due_at + timedelta(days=1)):
        assert delivery.deliver(message_id=row.pk) is False
    row.refresh_from_db()
    assert row.attempts == MAX_ATTEMPTS and alerts().count() == 1

    # Put back, failing again: a second alert for the second give-up.
    assert delivery.message_retry(message=row)
    run_sweeps(3 * MAX_ATTEMPTS, start=timezone.now() + timedelta(days=2))
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.FAILED
    assert alerts().count() == 2
