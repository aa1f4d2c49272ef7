"""A notification that fails every try is not dropped in silence: it waits on a page for the staff of
the municipality it is about, who can send it again. Staff of another municipality neither see it nor
retry it."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from notifications import delivery
from notifications.models import OutboxMessage
from portal.services import applications as application_services
from tests.accounts.factories import UserFactory
from tests.conftest import _with_mfa
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db


class Refused(Exception):
    pass


def fail_every_try(row: OutboxMessage, monkeypatch) -> None:
    """Run the sweep as beat would, with the mail server refusing, until the row is given up."""

    def refuse(_message):
        raise Refused("550 mailbox unavailable")

    monkeypatch.setattr(delivery, "_send", refuse)
    when = timezone.now()
    for _ in range(delivery.MAX_ATTEMPTS):
        with time_machine.travel(when):
            assert delivery.deliver_due() == 0
        row.refresh_from_db()
        when = row.due_at + timedelta(seconds=1)
    monkeypatch.undo()
    with time_machine.travel(when + timedelta(days=1)):
        delivery.deliver_due()  # sends the staff's alert (tests/notifications/test_give_up_alert.py)
    row.refresh_from_db()
    assert row.sent_at is None  # given up: the sweep no longer tries it


@pytest.fixture
def session(municipality, organization):
    return SessionFactory(program=ProgramFactory(municipality=municipality, nushi=organization))


@pytest.fixture
def failed(session, helper, monkeypatch):
    """The acceptance email of an application, never delivered."""
    application = application_services.application_submit(helper=helper, session_id=session.pk)
    row = OutboxMessage.objects.get(recipient=helper, kind="application_accepted")
    # As if the mail server had refused it from the start.
    OutboxMessage.objects.filter(pk=row.pk).update(sent_at=None, claimed_at=None)
    mail.outbox.clear()
    fail_every_try(row, monkeypatch)
    row.refresh_from_db()
    assert row.attempts == delivery.MAX_ATTEMPTS and row.sent_at is None
    assert application.session.program.municipality_id == row.municipality_id
    mail.outbox.clear()
    return row


def test_notify_records_the_municipality_the_message_is_about(session, helper):
    application_services.application_submit(helper=helper, session_id=session.pk)
    rows = OutboxMessage.objects.filter(recipient=helper)
    assert rows.count() >= 2  # the acceptance and its reminders
    assert set(rows.values_list("municipality_id", flat=True)) == {session.program.municipality_id}


FAILED_PAGE = reverse_lazy("staff_outbox_failures")


def failed_page(client) -> str:
    return client.get(FAILED_PAGE, follow=True).content.decode()


def test_staff_see_the_failed_send_and_send_it_again(client, staff, failed, helper):
    client.force_login(staff)
    assert reverse("staff_outbox") in client.get(reverse("staff_home")).content.decode()
    page = failed_page(client)
    assert failed.subject in page and helper.email in page and "550 mailbox unavailable" in page

    response = client.post(reverse("staff_outbox_retry", args=[failed.pk]), follow=True)
    assert "送信待ちに戻しました" in response.content.decode()
    failed.refresh_from_db()
    assert failed.attempts == 0 and failed.claimed_at is None and failed.due_at <= timezone.now()
    assert failed.subject not in response.content.decode()  # off the list: back in the queue

    assert delivery.deliver_due() == 1  # the next sweep
    assert [m.to for m in mail.outbox] == [[helper.email]]


def test_other_municipality_staff_neither_see_nor_retry_it(
    client, other_municipality_staff, failed
):
    client.force_login(other_municipality_staff)
    assert failed.subject not in failed_page(client)
    assert client.post(reverse("staff_outbox_retry", args=[failed.pk])).status_code == 404
    failed.refresh_from_db()
    assert failed.attempts == delivery.MAX_ATTEMPTS


def test_a_row_not_yet_given_up_cannot_be_pushed(client, staff, session, helper):
    application_services.application_submit(helper=helper, session_id=session.pk)
    row = OutboxMessage.objects.filter(recipient=helper, sent_at=None).first()  # a reminder
    client.force_login(staff)
    assert client.post(reverse("staff_outbox_retry", args=[row.pk])).status_code == 404
    assert OutboxMessage.objects.get(pk=row.pk).due_at == row.due_at


def test_superusers_see_messages_about_no_municipality(client, helper, municipality):
    row = OutboxMessage.objects.create(
        recipient=helper, kind="account", object_key="x", subject="アカウントのお知らせ", body="…",
        due_at=timezone.now(), attempts=delivery.MAX_ATTEMPTS, last_error="boom",
    )  # fmt: skip
    admin = _with_mfa(UserFactory(email="root@example.jp", is_staff=True, is_superuser=True))
    client.force_login(admin)
    assert row.subject in failed_page(client)
