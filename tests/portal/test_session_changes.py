"""Staff edit or cancel a session people are booked on: the change reaches everyone booked, as a move to
the rain date does (waitlist offered the new places, reminders and calendar events follow new times,
overlaps released), and a session that people attended is not cancelled under them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from notifications import reminders
from notifications.models import OutboxMessage
from portal.models import Application, Session
from portal.services import applications as services
from portal.services import attendance, session_changes, sessions
from portal.services.errors import InvalidTransition
from tests.portal.apply_helpers import assert_invariants, make_helpers
from tests.portal.factories import SessionFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


def _statuses(apps):
    return [Application.objects.get(pk=a.pk).status for a in apps]


def test_raising_the_capacity_offers_the_places_to_the_waitlist_in_order(session, staff):
    apps = [services.application_submit(helper=h, session_id=session.pk) for h in make_helpers(5)]
    assert _statuses(apps) == ["accepted"] * 2 + ["waitlisted"] * 3
    sessions.session_update(session=session, actor=staff, data={"capacity": 4})
    assert _statuses(apps) == ["accepted"] * 4 + ["waitlisted"]
    promoted = OutboxMessage.objects.filter(kind="application_promoted")
    assert set(promoted.values_list("recipient_id", flat=True)) == {
        apps[2].helper_id,
        apps[3].helper_id,
    }
    session.refresh_from_db()
    assert session.places_taken == 4
    assert_invariants()


def test_new_times_move_reminders_and_calendars_and_tell_everyone(session, staff):
    Session.objects.filter(pk=session.pk).update(capacity=1)
    a, b = make_helpers(2)
    kept = services.application_submit(helper=a, session_id=session.pk)
    waiting = services.application_submit(helper=b, session_id=session.pk)
    # At 10:00 Japan time, whatever the hour the test runs: a start before 07:00 would have no
    # morning-of reminder (its time would come after the start).
    new_start = timezone.localtime(session.starts_at + timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    sessions.session_update(
        session=session,
        actor=staff,
        data={"starts_at": new_start, "ends_at": new_start + timedelta(hours=2)},
    )
    session.refresh_from_db()
    assert session.times_changed == 1
    # Reminders for the new start only (assert_invariants checks their start key).
    assert (
        OutboxMessage.objects.filter(recipient=a, kind__in=reminders.KINDS, sent_at=None).count()
        == 3
    )
    assert_invariants()
    told = OutboxMessage.objects.get(recipient=a, kind="session_moved")
    event = Calendar.from_ical(told.ics).walk("VEVENT")[0]
    assert str(event["UID"]) == f"application-{kept.pk}@otagaisama"
    assert event.decoded("DTSTART") == new_start.replace(microsecond=0)
    assert event["SEQUENCE"] == 1
    assert "日時が変更になりました" in told.body
    # The waitlisted helper hears of it too (no calendar event: they had none).
    assert OutboxMessage.objects.get(recipient=b, kind="session_moved").ics == ""
    assert Application.objects.get(pk=waiting.pk).status == Status.WAITLISTED
    # A second change is told too, with the next SEQUENCE.
    later = new_start + timedelta(hours=1)
    sessions.session_update(
        session=session,
        actor=staff,
        data={"starts_at": later, "ends_at": later + timedelta(hours=2)},
    )
    events = [
        Calendar.from_ical(m.ics).walk("VEVENT")[0]
        for m in OutboxMessage.objects.filter(recipient=a, kind="session_moved").order_by("pk")
    ]
    assert [e["SEQUENCE"] for e in events] == [1, 2]
    assert_invariants()


def test_new_times_release_a_helper_who_now_overlaps_and_the_waitlist_fills_in(session, staff):
    a, b, c = make_helpers(3)
    app_a = services.application_submit(helper=a, session_id=session.pk)
    app_b = services.application_submit(helper=b, session_id=session.pk)
    app_c = services.application_submit(helper=c, session_id=session.pk)  # waitlisted
    new_start = session.starts_at + timedelta(days=1)
    elsewhere = SessionFactory(starts_at=new_start)
    services.application_submit(helper=b, session_id=elsewhere.pk)  # b is busy at the new time
    sessions.session_update(
        session=session,
        actor=staff,
        data={"starts_at": new_start, "ends_at": new_start + timedelta(hours=3)},
    )
    assert _statuses([app_a, app_b, app_c]) == ["accepted", "cancelled", "accepted"]
    released = OutboxMessage.objects.get(recipient=b, kind="session_moved_released")
    assert "STATUS:CANCELLED" in released.ics
    assert_invariants()


def test_an_edit_that_keeps_the_times_tells_nobody(session, staff):
    services.application_submit(helper=make_helpers(1)[0], session_id=session.pk)
    sessions.session_update(session=session, actor=staff, data={"capacity": 3})
    assert not OutboxMessage.objects.filter(kind="session_moved").exists()
    session.refresh_from_db()
    assert session.times_changed == 0


def test_a_session_someone_attended_is_not_cancelled_and_keeps_its_places(session, staff, nushi):
    a, b = make_helpers(2)
    app_a = services.application_submit(helper=a, session_id=session.pk)
    app_b = services.application_submit(helper=b, session_id=session.pk)
    during = session.starts_at + timedelta(minutes=5)
    attendance.attendance_check_in(
        session_id=session.pk, code=app_a.checkin_code, actor=nushi, now=during
    )
    with pytest.raises(InvalidTransition, match="中止にできません"):
        session_changes.session_cancel(session_id=session.pk, actor=staff, reason="大雨のため")
    session.refresh_from_db()
    assert (session.status, session.places_taken) == (Session.Status.SCHEDULED, 2)
    assert _statuses([app_a, app_b]) == ["attended", "accepted"]
    assert_invariants()


def test_cancelling_gives_back_exactly_the_places_held(session, staff):
    """Only rows holding a place give one back (the counter is decremented, never reset)."""
    a, b, c = make_helpers(3)
    for h in (a, b, c):
        services.application_submit(helper=h, session_id=session.pk)
    assert (
        session_changes.session_cancel(session_id=session.pk, actor=staff, reason="大雨のため") == 3
    )
    session.refresh_from_db()
    assert (session.status, session.places_taken) == (Session.Status.CANCELLED, 0)
    assert_invariants()


def test_withdrawing_after_new_times_is_never_flagged_late(session, staff):
    helper = make_helpers(1)[0]
    application = services.application_submit(helper=helper, session_id=session.pk)
    new_start = session.starts_at + timedelta(days=1)
    sessions.session_update(
        session=session,
        actor=staff,
        data={"starts_at": new_start, "ends_at": new_start + timedelta(hours=2)},
    )
    services.application_cancel(
        application_id=application.pk, actor=helper, now=new_start - timedelta(hours=2)
    )
    assert Application.objects.get(pk=application.pk).late_cancellation is False
    assert not OutboxMessage.objects.filter(kind="late_cancellation").exists()
