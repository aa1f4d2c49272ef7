"""Eligibility (every rule, explained), modes, waitlist, cancellation, history, attendance, session changes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from notifications.models import OutboxMessage
from portal.models import Application, Attendance, Session
from portal.services import applications as services
from portal.services import attendance, session_changes
from portal.services.errors import (
    AttendanceFinal,
    InvalidTransition,
    NotEligible,
    SessionFull,
    TooLate,
    UnknownCode,
)
from tests.portal.apply_helpers import assert_invariants, make_helpers
from tests.portal.factories import ApplicationFactory, SessionFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


def _codes(exc):
    return [p.code for p in exc.value.problems]


def _refused(helper, session, code):
    with pytest.raises(NotEligible) as exc:
        services.application_submit(helper=helper, session_id=session.pk)
    assert code in _codes(exc)
    assert not Application.objects.filter(session=session, helper=helper).exists()
    session.refresh_from_db()
    assert session.places_taken == 0


def test_first_come_accepts_then_waitlists(session):
    a, b, c = make_helpers(3)
    assert services.application_submit(helper=a, session_id=session.pk).status == Status.ACCEPTED
    assert services.application_submit(helper=b, session_id=session.pk).status == Status.ACCEPTED
    assert services.application_submit(helper=c, session_id=session.pk).status == Status.WAITLISTED
    assert_invariants()


def test_selection_mode_waits_for_the_nushi_and_refuses_beyond_capacity(session, nushi):
    Session.objects.filter(pk=session.pk).update(acceptance_mode="selection")
    apps = [services.application_submit(helper=h, session_id=session.pk) for h in make_helpers(3)]
    assert {a.status for a in apps} == {Status.APPLIED}
    services.application_accept(application_id=apps[0].pk, actor=nushi)
    services.application_accept(application_id=apps[1].pk, actor=nushi)
    with pytest.raises(SessionFull):
        services.application_accept(application_id=apps[2].pk, actor=nushi)
    services.application_decline(application_id=apps[2].pk, actor=nushi)
    assert Application.objects.get(pk=apps[2].pk).status == Status.DECLINED
    assert_invariants()


def test_it_refuses_after_the_deadline(session, helper):
    Session.objects.filter(pk=session.pk).update(
        apply_deadline=timezone.now() - timedelta(minutes=1)
    )
    _refused(helper, session, "deadline")


def test_it_refuses_an_incomplete_profile(session, helper):
    helper.helper_profile.birth_year = None
    helper.helper_profile.save()
    _refused(helper, session, "profile_incomplete")


def test_it_refuses_a_helper_under_the_minimum_age(session, helper):
    session.program.min_age = 18
    session.program.save()
    helper.helper_profile.birth_year = timezone.now().year - 15
    helper.helper_profile.save()
    _refused(helper, session, "min_age")


def test_it_refuses_non_residents_for_residents_only_programs(session, helper):
    session.program.residents_only = True
    session.program.save()
    _refused(helper, session, "residents_only")
    profile = helper.helper_profile
    profile.home_prefecture, profile.home_municipality = "岐阜県", "飛騨市"
    profile.save()
    assert (
        services.application_submit(helper=helper, session_id=session.pk).status == Status.ACCEPTED
    )


def test_it_refuses_a_second_application(session, helper):
    services.application_submit(helper=helper, session_id=session.pk)
    with pytest.raises(NotEligible) as exc:
        services.application_submit(helper=helper, session_id=session.pk)
    assert _codes(exc) == ["already_applied"]
    assert Application.objects.filter(session=session, helper=helper).count() == 1


def test_it_refuses_an_overlapping_session(session, helper):
    services.application_submit(helper=helper, session_id=session.pk)
    other = SessionFactory(starts_at=session.starts_at + timedelta(hours=1))
    _refused(helper, other, "overlap")


def test_it_explains_every_reason_at_once(session, helper):
    Session.objects.filter(pk=session.pk).update(
        apply_deadline=timezone.now() - timedelta(minutes=1)
    )
    session.program.residents_only = True
    session.program.save()
    with pytest.raises(NotEligible) as exc:
        services.application_submit(helper=helper, session_id=session.pk)
    assert set(_codes(exc)) == {"deadline", "residents_only"}


def test_cancel_promotes_the_first_waitlisted_and_tells_them(session):
    a, b, c, d = make_helpers(4)
    first = services.application_submit(helper=a, session_id=session.pk)
    services.application_submit(helper=b, session_id=session.pk)
    w1 = services.application_submit(helper=c, session_id=session.pk)
    w2 = services.application_submit(helper=d, session_id=session.pk)
    services.application_cancel(application_id=first.pk, actor=a)
    assert Application.objects.get(pk=w1.pk).status == Status.ACCEPTED
    assert Application.objects.get(pk=w2.pk).status == Status.WAITLISTED
    assert OutboxMessage.objects.filter(recipient=c, kind="application_promoted").exists()
    assert_invariants()


def test_promotion_skips_a_waitlisted_helper_who_now_holds_an_overlapping_place(session):
    a, b, c, d = make_helpers(4)
    first = services.application_submit(helper=a, session_id=session.pk)
    services.application_submit(helper=b, session_id=session.pk)
    w1 = services.application_submit(helper=c, session_id=session.pk)
    w2 = services.application_submit(helper=d, session_id=session.pk)
    clash = SessionFactory(starts_at=session.starts_at, capacity=5)
    services.application_submit(helper=c, session_id=clash.pk)  # c got a place elsewhere, same time
    services.application_cancel(application_id=first.pk, actor=a)
    assert Application.objects.get(pk=w1.pk).status == Status.WAITLISTED
    assert Application.objects.get(pk=w2.pk).status == Status.ACCEPTED
    assert_invariants()


def test_late_cancellation_is_flagged_to_nushi_and_staff(session, nushi, staff):
    helper = make_helpers(1)[0]
    app = services.application_submit(helper=helper, session_id=session.pk)
    late = session.starts_at - timedelta(hours=10)
    services.application_cancel(application_id=app.pk, actor=helper, now=late)
    app.refresh_from_db()
    assert app.late_cancellation is True
    kinds = OutboxMessage.objects.filter(kind="late_cancellation").values_list(
        "recipient_id", flat=True
    )
    assert set(kinds) == {nushi.pk, staff.pk}


def test_early_cancellation_is_not_flagged(session):
    helper = make_helpers(1)[0]
    app = services.application_submit(helper=helper, session_id=session.pk)
    services.application_cancel(application_id=app.pk, actor=helper)
    app.refresh_from_db()
    assert (app.status, app.late_cancellation) == (Status.CANCELLED, False)
    assert not OutboxMessage.objects.filter(kind="late_cancellation").exists()


def test_cancel_after_start_is_refused_and_changes_nothing(session):
    helper = make_helpers(1)[0]
    app = services.application_submit(helper=helper, session_id=session.pk)
    with pytest.raises(TooLate):
        services.application_cancel(
            application_id=app.pk, actor=helper, now=session.starts_at + timedelta(minutes=1)
        )
    assert Application.objects.get(pk=app.pk).status == Status.ACCEPTED


def test_every_state_change_is_in_the_history(session, nushi):
    a, b, c = make_helpers(3)
    first = services.application_submit(helper=a, session_id=session.pk)
    services.application_submit(helper=b, session_id=session.pk)
    waiting = services.application_submit(helper=c, session_id=session.pk)
    services.application_cancel(application_id=first.pk, actor=a)
    assert list(first.history.order_by("history_date").values_list("status", flat=True)) == [
        "accepted",
        "cancelled",
    ]
    history = list(
        waiting.history.order_by("history_date").values_list("status", "history_change_reason")
    )
    assert history == [("waitlisted", "submit"), ("accepted", "promote")]
    assert first.history.latest().history_user_id == a.pk


def test_check_in_by_code_then_bulk_then_close_is_final(session, nushi):
    a, b = make_helpers(2)
    app_a = services.application_submit(helper=a, session_id=session.pk)
    app_b = services.application_submit(helper=b, session_id=session.pk)
    during = session.starts_at + timedelta(minutes=5)
    with pytest.raises(UnknownCode):
        attendance.attendance_check_in(
            session_id=session.pk, code="ZZZZZZZZ", actor=nushi, now=during
        )
    checked, created = attendance.attendance_check_in(
        session_id=session.pk, code=app_a.checkin_code.lower(), actor=nushi, now=during
    )
    assert (checked.status, created) == (Status.ATTENDED, True)
    assert (
        attendance.attendance_check_in(
            session_id=session.pk, code=app_a.checkin_code, actor=nushi, now=during
        )[1]
        is False
    )
    after = session.ends_at + timedelta(minutes=5)
    with pytest.raises(InvalidTransition):  # b not marked yet
        attendance.session_close(session_id=session.pk, actor=nushi, now=after)
    attendance.attendance_mark(
        session_id=session.pk, marks={app_b.pk: "no_show"}, actor=nushi, now=after
    )
    # a correction: a was not there after all; b was
    attendance.attendance_mark(
        session_id=session.pk,
        marks={app_a.pk: "no_show", app_b.pk: "attended"},
        actor=nushi,
        now=after,
    )
    assert not Attendance.objects.filter(application=app_a).exists()
    assert Attendance.history.filter(application_id=app_a.pk, history_type="-").exists()
    assert_invariants()
    attendance.session_close(session_id=session.pk, actor=nushi, now=after)
    with pytest.raises(AttendanceFinal):
        attendance.attendance_mark(
            session_id=session.pk, marks={app_a.pk: "attended"}, actor=nushi, now=after
        )
    assert Application.objects.get(pk=app_a.pk).status == Status.NO_SHOW


def test_staff_cancel_session_tells_everyone(session, staff):
    helpers = make_helpers(3)
    for h in helpers:
        services.application_submit(helper=h, session_id=session.pk)
    accepted = set(
        Application.objects.filter(status=Status.ACCEPTED).values_list("helper_id", flat=True)
    )
    assert 0 < len(accepted) < 3
    assert (
        session_changes.session_cancel(session_id=session.pk, actor=staff, reason="大雨のため") == 3
    )
    session.refresh_from_db()
    assert (session.status, session.places_taken) == (Session.Status.CANCELLED, 0)
    assert (
        OutboxMessage.objects.filter(kind="session_cancelled", recipient__in=helpers).count() == 3
    )
    # The accepted helpers' calendar events are marked cancelled; the waitlisted had none.
    for message in OutboxMessage.objects.filter(kind="session_cancelled", recipient__in=helpers):
        if message.recipient_id in accepted:
            event = Calendar.from_ical(message.ics).walk("VEVENT")[0]
            assert str(event["STATUS"]) == "CANCELLED"
        else:
            assert message.ics == ""


def test_rain_date_moves_the_roster_and_releases_an_overlap(session, staff):
    rain = session.starts_at + timedelta(days=7)
    Session.objects.filter(pk=session.pk).update(
        rain_starts_at=rain, rain_ends_at=rain + timedelta(hours=3)
    )
    a, b, c = make_helpers(3)
    app_a = services.application_submit(helper=a, session_id=session.pk)
    app_b = services.application_submit(helper=b, session_id=session.pk)
    app_c = services.application_submit(helper=c, session_id=session.pk)  # waitlisted
    elsewhere = SessionFactory(starts_at=rain)
    services.application_submit(helper=b, session_id=elsewhere.pk)  # b is busy on the rain date
    session_changes.session_move_to_rain_date(session_id=session.pk, actor=staff)
    session.refresh_from_db()
    assert session.starts_at == rain and session.moved_to_rain_date
    assert Application.objects.get(pk=app_a.pk).status == Status.ACCEPTED
    assert Application.objects.get(pk=app_b.pk).status == Status.CANCELLED
    assert Application.objects.get(pk=app_c.pk).status == Status.ACCEPTED
    # Calendars follow: the same event (UID) moved for those keeping their place, cancelled for b.
    moved = Calendar.from_ical(
        OutboxMessage.objects.get(kind="session_moved", recipient=a).ics
    ).walk("VEVENT")[0]
    assert str(moved["UID"]) == f"application-{app_a.pk}@otagaisama"
    assert moved.decoded("DTSTART") == rain.replace(microsecond=0) and moved["SEQUENCE"] == 1
    released = Calendar.from_ical(
        OutboxMessage.objects.get(kind="session_moved_released", recipient=b).ics
    ).walk("VEVENT")[0]
    assert str(released["STATUS"]) == "CANCELLED" and released["SEQUENCE"] == 2
    # one click to release, never flagged late after a move
    services.application_cancel(application_id=app_a.pk, actor=a, now=rain - timedelta(hours=1))
    assert Application.objects.get(pk=app_a.pk).late_cancellation is False
    assert_invariants()


def test_decline_of_a_cancelled_application_is_refused(session, nushi):
    app = ApplicationFactory(session=session, status=Status.CANCELLED)
    with pytest.raises(InvalidTransition):
        services.application_decline(application_id=app.pk, actor=nushi)
