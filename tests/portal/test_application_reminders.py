"""Reminders before a session, for accepted helpers, on the municipality's schedule (by default a week
before at 18:00, the day before at 18:00, the morning of at 07:00, Asia/Tokyo): planned at acceptance,
sent once when due (sweep run twice), withdrawn by a cancellation, a decline or a cancelled session,
re-planned by a move. Also the absolute links and the .ics of the acceptance email.

The clock is frozen at 2026-06-01 10:00 in Tokyo (ticking from there), so the session fixture starts
on 2026-06-15 at 10:00."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from notifications import reminders
from notifications.delivery import deliver_due
from notifications.kinds import Kind
from notifications.models import OutboxMessage
from portal.models import Application, Session
from portal.services import applications as services
from portal.services import attendance, programs, session_changes, sessions
from tests.portal.apply_helpers import make_helpers
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
Status = Application.Status
JST = ZoneInfo("Asia/Tokyo")
WEEK, DAY, MORNING = Kind.REMINDER_WEEK_BEFORE, Kind.REMINDER_DAY_BEFORE, Kind.REMINDER_MORNING


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2026, 6, 1, 10, 0, tzinfo=JST)):
        yield


def _reminders(helper, sent=None):
    rows = OutboxMessage.objects.filter(recipient=helper, kind__in=reminders.KINDS)
    if sent is not None:
        rows = rows.filter(sent_at__isnull=not sent)
    return rows


def _due(helper) -> dict[str, datetime]:
    return {r.kind: timezone.localtime(r.due_at, JST) for r in _reminders(helper, sent=False)}


def _sweep_twice() -> int:
    """Run the beat sweep twice (a second beat must double nothing); reminders sent by the pair."""
    sent = OutboxMessage.objects.filter(kind__in=reminders.KINDS, sent_at__isnull=False)
    before = sent.count()
    deliver_due()
    assert deliver_due() == 0
    return sent.count() - before


def at(day: int, hour: int, minute: int = 0, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=JST)


def test_acceptance_plans_three_reminders_in_its_transaction(session):
    (helper,) = make_helpers(1)
    application = services.application_submit(helper=helper, session_id=session.pk)
    assert _due(helper) == {WEEK: at(8, 18), DAY: at(14, 18), MORNING: at(15, 7)}
    rows = _reminders(helper)
    assert all(f"/applications/{application.pk}/" in r.body for r in rows)
    assert {r.object_key for r in rows} == {f"application:{application.pk}@202606151000"}


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
    with time_machine.travel(at(8, 17, 59)):
        assert _sweep_twice() == 0  # a minute early
    with time_machine.travel(at(8, 18, 0)):
        assert _sweep_twice() == 1
    with time_machine.travel(at(14, 18, 1)):
        assert _sweep_twice() == 1
    with time_machine.travel(at(15, 7, 0)):
        assert _sweep_twice() == 1
    assert _reminders(helper, sent=True).count() == 3
    title = session.program.title
    assert [m.subject for m in mail.outbox] == [
        f"来週、参加予定の日程があります: {title}",
        f"明日は参加予定の日程です: {title}",
        f"本日は参加予定の日程です: {title}",
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


def test_staff_taking_a_place_away_withdraws_the_reminders(session, staff):
    (helper,) = make_helpers(1)
    application = services.application_submit(helper=helper, session_id=session.pk)
    services.application_cancel(application_id=application.pk, actor=staff, note="重複のため")
    assert not _reminders(helper).exists()


def test_a_sent_reminder_stays_and_only_the_pending_ones_are_withdrawn(session):
    (helper,) = make_helpers(1)
    application = services.application_submit(helper=helper, session_id=session.pk)
    with time_machine.travel(at(8, 18, 1)):
        assert _sweep_twice() == 1
        services.application_cancel(application_id=application.pk, actor=helper)
    assert list(_reminders(helper).values_list("kind", flat=True)) == [WEEK]
    with time_machine.travel(session.starts_at - timedelta(hours=1)):
        assert _sweep_twice() == 0


def test_a_cancelled_session_reminds_nobody_and_the_promoted_helper_is_reminded(session, staff):
    Session.objects.filter(pk=session.pk).update(capacity=1)
    a, b = make_helpers(2)
    first = services.application_submit(helper=a, session_id=session.pk)
    services.application_submit(helper=b, session_id=session.pk)
    services.application_cancel(application_id=first.pk, actor=a)
    assert _reminders(b).count() == 3  # promoted from the waitlist: reminded like anyone accepted
    session_changes.session_cancel(session_id=session.pk, actor=staff, reason="大雨のため")
    assert not _reminders(a).exists() and not _reminders(b).exists()
    with time_machine.travel(session.starts_at - timedelta(hours=1)):
        assert _sweep_twice() == 0


def test_the_rain_date_replans_the_reminders(session, staff):
    rain = at(22, 10)
    Session.objects.filter(pk=session.pk).update(
        rain_starts_at=rain, rain_ends_at=rain + timedelta(hours=3)
    )
    (helper,) = make_helpers(1)
    services.application_submit(helper=helper, session_id=session.pk)
    # The week-before reminder went out for the original date; then the rain came.
    with time_machine.travel(at(8, 18, 1)):
        assert _sweep_twice() == 1
    with time_machine.travel(at(14, 12)):
        session_changes.session_move_to_rain_date(session_id=session.pk, actor=staff)
    assert _due(helper) == {WEEK: at(15, 18), DAY: at(21, 18), MORNING: at(22, 7)}
    # Nothing is sent around the old date; all three go out before the new one, once.
    with time_machine.travel(at(15, 9)):
        assert _sweep_twice() == 0
    with time_machine.travel(rain - timedelta(hours=1)):
        assert _sweep_twice() == 3
    assert _reminders(helper, sent=True).count() == 4


def test_a_session_moved_to_tomorrow_morning_keeps_only_what_is_still_ahead(session, staff):
    (helper,) = make_helpers(1)
    services.application_submit(helper=helper, session_id=session.pk)
    with time_machine.travel(at(10, 20)):
        new_start = at(11, 9)
        sessions.session_update(
            session=session,
            actor=staff,
            data={
                "starts_at": new_start,
                "ends_at": new_start + timedelta(hours=2),
                "apply_deadline": at(10, 21),
            },
        )
        # The week before and the day before (18:00 today) have passed: no catching up.
        assert _due(helper) == {MORNING: at(11, 7)}
        key = _reminders(helper).get().object_key
        assert key.endswith("@202606110900")


def test_a_no_show_has_no_pending_reminder_left(session, staff):
    (helper,) = make_helpers(1)
    application = services.application_submit(helper=helper, session_id=session.pk)
    with time_machine.travel(session.starts_at + timedelta(minutes=30)):
        attendance.attendance_mark(
            session_id=session.pk, marks={application.pk: Status.NO_SHOW}, actor=staff
        )
    assert not _reminders(helper, sent=False).exists()


def test_late_acceptance_plans_only_reminders_still_ahead(municipality, organization):
    program = ProgramFactory(municipality=municipality, nushi=organization)
    soon = SessionFactory(
        program=program,
        starts_at=at(3, 9),
        ends_at=at(3, 12),
        apply_deadline=at(1, 12),
    )
    (helper,) = make_helpers(1)
    services.application_submit(helper=helper, session_id=soon.pk)
    assert _due(helper) == {DAY: at(2, 18), MORNING: at(3, 7)}


def test_messages_carry_absolute_links_and_the_acceptance_an_ics(session, settings):
    settings.SITE_URL = "https://otagaisama.example.jp"
    (helper,) = make_helpers(1)
    application = services.application_submit(helper=helper, session_id=session.pk)
    message = OutboxMessage.objects.get(recipient=helper, kind="application_accepted")
    assert f"https://otagaisama.example.jp/applications/{application.pk}/" in message.body
    assert "BEGIN:VEVENT" in message.ics
    assert f"UID:application-{application.pk}@otagaisama" in message.ics
    reminder = _reminders(helper).get(kind=DAY)
    assert f"https://otagaisama.example.jp/applications/{application.pk}/" in reminder.body


def test_an_edit_of_the_program_rewrites_the_pending_reminders(session, staff):
    (helper,) = make_helpers(1)
    services.application_submit(helper=helper, session_id=session.pk)
    with time_machine.travel(at(8, 18, 1)):
        assert _sweep_twice() == 1
        programs.program_update(
            program=session.program,
            actor=staff,
            data={"meeting_place": "殿町の蔵", "what_to_bring": "雨具"},
        )
    sent = _reminders(helper, sent=True).get()
    assert "古川町公民館" in sent.body  # what went out stays as it went out
    pending = _reminders(helper, sent=False)
    assert pending.count() == 2
    assert all("殿町の蔵" in r.body and "雨具" in r.body for r in pending)
    programs.program_update(program=session.program, actor=staff, data={"summary": "ほか"})
    assert set(_reminders(helper, sent=False).values_list("pk", flat=True)) == {
        r.pk for r in pending
    }  # nothing the reminders show changed: the rows stay


def test_a_new_rain_date_reaches_the_pending_reminders(session, staff):
    (helper,) = make_helpers(1)
    services.application_submit(helper=helper, session_id=session.pk)
    assert not any("予備日" in r.body for r in _reminders(helper))
    sessions.session_update(
        session=session,
        actor=staff,
        data={"rain_starts_at": at(22, 10), "rain_ends_at": at(22, 13)},
    )
    assert all("予備日（6月22日(月) 10:00〜）" in r.body for r in _reminders(helper))


def test_the_join_link_reaches_only_helpers_of_online_sessions(session, municipality, organization):
    online = SessionFactory(
        program=ProgramFactory(
            municipality=municipality,
            nushi=organization,
            is_online=True,
            online_url="https://meet.example.jp/hida",
            meeting_place="",
        )
    )
    a, b = make_helpers(2)
    services.application_submit(helper=a, session_id=online.pk)
    services.application_submit(helper=b, session_id=session.pk)
    assert all("https://meet.example.jp/hida" in r.body for r in _reminders(a))
    assert not any("meet.example.jp" in r.body for r in _reminders(b))
    assert all(session.program.meeting_place in r.body for r in _reminders(b))
    # Only the reminders: the acceptance and the public page do not carry it.
    accepted = OutboxMessage.objects.get(recipient=a, kind="application_accepted")
    assert "meet.example.jp" not in accepted.body
