"""Reminders before a session: planned at acceptance, sent once when due (sweep run twice), withdrawn
by a cancellation or a cancelled session, re-planned by a move to the rain date. Also the absolute links
and the .ics of the acceptance email."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from notifications.delivery import deliver_due
from notifications.models import OutboxMessage
from portal.models import Application, Session
from portal.services import applications as services
from portal.services import reminders, session_changes
from tests.portal.apply_helpers import make_helpers
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


def _reminders(helper, sent=None):
    rows = OutboxMessage.objects.filter(recipient=helper, kind__in=reminders.KINDS)
    if sent is not None:
        rows = rows.filter(sent_at__isnull=not sent)
    return rows


def _sweep_twice() -> int:
    """Run the beat sweep twice (a second beat must double nothing); reminders sent by the pair."""
    sent = OutboxMessage.objects.filter(kind__in=reminders.KINDS, sent_at__isnull=False)
    before = sent.count()
    deliver_due()
    assert deliver_due() == 0
    return sent.count() - before


def test_acceptance_plans_two_reminders_in_its_transaction(session):
    (helper,) = make_helpers(1)
    application = services.application_submit(helper=helper, session_id=session.pk)
    rows = {r.kind: r for r in _reminders(helper)}
    assert set(rows) == {reminders.TWO_DAYS, reminders.DAY_BEFORE}
    assert rows[reminders.TWO_DAYS].due_at == session.starts_at - timedelta(days=2)
    day_before = timezone.localtime(rows[reminders.DAY_BEFORE].due_at)
    assert day_before.hour == 8
    assert day_before.date() == timezone.localtime(session.starts_at).date() - timedelta(days=1)
    assert all(f"/applications/{application.pk}/" in r.body for r in rows.values())


def test_a_waitlisted_or_selection_applicant_gets_no_reminder(session):
    Session.objects.filter(pk=session.pk).update(capacity=1)
    a, b = make_helpers(2)
    services.application_submit(helper=a, session_id=session.pk)
    assert services.application_submit(helper=b, session_id=session.pk).status == Status.WAITLISTED
    assert not _reminders(b).exists()


def test_each_reminder_is_sent_once_when_due(session):
    (helper,) = make_helpers(1)
    services.application_submit(helper=helper, session_id=session.pk)
    assert _sweep_twice() == 0  # not due yet (the acceptance itself goes out now)
    mail.outbox.clear()
    with time_machine.travel(session.starts_at - timedelta(days=2, minutes=-1)):
        assert _sweep_twice() == 1
    with time_machine.travel(session.starts_at - timedelta(hours=1)):
        assert _sweep_twice() == 1
    assert _reminders(helper, sent=True).count() == 2
    assert [m.subject for m in mail.outbox] == [
        "あさって参加予定の日程があります",
        "明日は参加予定の日程です",
    ]


def test_a_cancelled_application_is_not_reminded(session):
    (helper,) = make_helpers(1)
    application = services.application_submit(helper=helper, session_id=session.pk)
    services.application_cancel(application_id=application.pk, actor=helper)
    assert not _reminders(helper).exists()
    deliver_due()
    mail.outbox.clear()
    with time_machine.travel(session.starts_at - timedelta(hours=1)):
        assert _sweep_twice() == 0
    assert mail.outbox == []


def test_a_sent_reminder_stays_and_only_the_pending_one_is_withdrawn(session):
    (helper,) = make_helpers(1)
    application = services.application_submit(helper=helper, session_id=session.pk)
    with time_machine.travel(session.starts_at - timedelta(days=2, minutes=-1)):
        assert _sweep_twice() == 1
        services.application_cancel(application_id=application.pk, actor=helper)
    assert list(_reminders(helper).values_list("kind", flat=True)) == [reminders.TWO_DAYS]
    with time_machine.travel(session.starts_at - timedelta(hours=1)):
        assert _sweep_twice() == 0


def test_a_cancelled_session_reminds_nobody_and_the_promoted_helper_is_reminded(session, staff):
    Session.objects.filter(pk=session.pk).update(capacity=1)
    a, b = make_helpers(2)
    first = services.application_submit(helper=a, session_id=session.pk)
    services.application_submit(helper=b, session_id=session.pk)
    services.application_cancel(application_id=first.pk, actor=a)
    assert _reminders(b).count() == 2  # promoted from the waitlist: reminded like anyone accepted
    session_changes.session_cancel(session_id=session.pk, actor=staff)
    assert not _reminders(a).exists() and not _reminders(b).exists()
    with time_machine.travel(session.starts_at - timedelta(hours=1)):
        assert _sweep_twice() == 0


def test_the_rain_date_replans_the_reminders(session, staff):
    rain = session.starts_at + timedelta(days=7)
    Session.objects.filter(pk=session.pk).update(
        rain_starts_at=rain, rain_ends_at=rain + timedelta(hours=3)
    )
    (helper,) = make_helpers(1)
    services.application_submit(helper=helper, session_id=session.pk)
    session_changes.session_move_to_rain_date(session_id=session.pk, actor=staff)
    rows = _reminders(helper)
    assert rows.count() == 2
    assert rows.get(kind=reminders.TWO_DAYS).due_at == rain - timedelta(days=2)
    # Nothing is sent around the old date; both go out before the new one, once.
    with time_machine.travel(session.starts_at - timedelta(hours=1)):
        assert _sweep_twice() == 0
    with time_machine.travel(rain - timedelta(hours=1)):
        assert _sweep_twice() == 2


def test_late_acceptance_plans_only_reminders_still_ahead(municipality, organization):
    program = ProgramFactory(municipality=municipality, nushi=organization)
    soon = SessionFactory(
        program=program,
        starts_at=timezone.now() + timedelta(hours=30),
        apply_deadline=timezone.now() + timedelta(hours=1),
    )
    (helper,) = make_helpers(1)
    services.application_submit(helper=helper, session_id=soon.pk)
    due = list(_reminders(helper).values_list("due_at", flat=True))
    assert all(d > timezone.now() for d in due)
    assert reminders.TWO_DAYS not in set(_reminders(helper).values_list("kind", flat=True))


def test_messages_carry_absolute_links_and_the_acceptance_an_ics(session, settings):
    settings.SITE_URL = "https://otagaisama.example.jp"
    (helper,) = make_helpers(1)
    application = services.application_submit(helper=helper, session_id=session.pk)
    message = OutboxMessage.objects.get(recipient=helper, kind="application_accepted")
    assert f"https://otagaisama.example.jp/applications/{application.pk}/" in message.body
    assert "BEGIN:VEVENT" in message.ics
    assert f"UID:application-{application.pk}@otagaisama" in message.ics
