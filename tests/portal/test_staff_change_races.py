"""Concurrency pairs (STYLE.md): staff change a session while a helper applies or a host checks people in.
Each pair forces one interleaving with `interleave` (the first transaction stops at a point, the second
runs until it finishes or waits for a lock, then the first goes on): with the guard removed the race
breaks an invariant; with the guard in place it holds. PostgreSQL, threads with their own connections."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from portal.models import Application, Program, Session
from portal.services import applications as services
from portal.services import attendance, programs, session_changes, sessions
from portal.services.errors import NotEligible, Overlap
from tests.portal.apply_helpers import (
    Pause,
    assert_invariants,
    interleave,
    make_helpers,
    pause_after,
)
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db(transaction=True)
Status = Application.Status


def _take_place_ignoring_the_session_state(session_id: int) -> bool:
    """The capacity guard as it was: full or not, but not whether the session is still scheduled."""
    from django.db.models import F

    return (
        Session.objects.filter(pk=session_id, places_taken__lt=F("capacity")).update(
            places_taken=F("places_taken") + 1
        )
        == 1
    )


def _cancel(how: str, session: Session, staff):
    if how == "session":
        return lambda: session_changes.session_cancel(
            session_id=session.pk, actor=staff, reason="大雨のため"
        )
    return lambda: programs.program_cancel(
        program=Program.objects.get(pk=session.program_id), actor=staff, reason="大雨のため"
    )


# --- staff cancel (a session, or its program) while a helper applies --------------------------------


@pytest.mark.parametrize("how", ["session", "program"])
def test_race_accepts_a_helper_into_a_cancelled_session_without_the_status_guard(
    monkeypatch, session, staff, how
):
    monkeypatch.setattr(services, "take_place", _take_place_ignoring_the_session_state)
    pause = Pause()
    # The helper's first look (eligibility) sees a scheduled session; staff cancel it right after.
    pause_after(monkeypatch, services, "eligibility_problems", pause)
    helper = make_helpers(1)[0]
    applied, _ = interleave(
        lambda: services.application_submit(helper=helper, session_id=session.pk),
        _cancel(how, session, staff),
        pause,
    )
    application = applied["result"]
    assert application.status == Status.ACCEPTED
    assert Session.objects.get(pk=session.pk).status == Session.Status.CANCELLED
    assert OutboxMessage.objects.filter(recipient=helper, kind="application_accepted").exists()
    with pytest.raises(AssertionError, match="cancelled session"):
        assert_invariants()


@pytest.mark.parametrize(
    ("how", "acceptance_mode"),
    [("session", "first_come"), ("program", "first_come"), ("session", "selection")],
)
def test_a_helper_applying_while_staff_cancel_is_refused(
    monkeypatch, session, staff, how, acceptance_mode
):
    Session.objects.filter(pk=session.pk).update(acceptance_mode=acceptance_mode)
    pause = Pause()
    pause_after(monkeypatch, services, "eligibility_problems", pause)
    helper = make_helpers(1)[0]
    applied, cancelled = interleave(
        lambda: services.application_submit(helper=helper, session_id=session.pk),
        _cancel(how, session, staff),
        pause,
    )
    assert isinstance(applied["error"], NotEligible)
    assert applied["error"].code == "not_open"
    assert "error" not in cancelled
    assert not Application.objects.filter(helper=helper).exists()
    assert not OutboxMessage.objects.filter(recipient=helper).exists()
    assert_invariants()


@pytest.mark.parametrize("acceptance_mode", ["first_come", "selection", "waitlist"])
def test_a_helper_holding_the_session_row_is_cancelled_with_it(
    monkeypatch, session, staff, acceptance_mode
):
    """The other order: the helper's transaction holds the session row (a place taken, or the shared
    lock of the waitlist and selection paths) when staff cancel; the cancellation waits for it and then
    cancels the new application too."""
    if acceptance_mode == "selection":
        Session.objects.filter(pk=session.pk).update(acceptance_mode="selection")
    if acceptance_mode == "waitlist":
        Session.objects.filter(pk=session.pk).update(capacity=1)
        services.application_submit(helper=make_helpers(1)[0], session_id=session.pk)
    pause = Pause()
    pause_after(monkeypatch, services, "_session_now", pause)
    helper = make_helpers(1)[0]
    applied, cancelled = interleave(
        lambda: services.application_submit(helper=helper, session_id=session.pk),
        lambda: session_changes.session_cancel(
            session_id=session.pk, actor=staff, reason="大雨のため"
        ),
        pause,
    )
    assert cancelled["blocked"]
    assert "error" not in applied and "error" not in cancelled
    assert Application.objects.get(helper=helper).status == Status.CANCELLED
    assert OutboxMessage.objects.filter(recipient=helper, kind="session_cancelled").exists()
    assert_invariants()


# --- staff move the session (rain date, new times) while a helper applies ----------------------------


def _move(how: str, session: Session, staff):
    rain = Session.objects.get(pk=session.pk).rain_starts_at
    if how == "rain_date":
        return lambda: session_changes.session_move_to_rain_date(session_id=session.pk, actor=staff)
    return lambda: sessions.session_update(
        session=Session.objects.get(pk=session.pk),
        actor=staff,
        data={"starts_at": rain, "ends_at": rain + timedelta(hours=3), "rain_starts_at": None,
              "rain_ends_at": None},
    )  # fmt: skip


@pytest.fixture
def busy_on_the_rain_date(session):
    """The helper holds a place elsewhere at the session's rain date (not at its first date)."""
    rain = session.starts_at + timedelta(days=7)
    Session.objects.filter(pk=session.pk).update(
        rain_starts_at=rain, rain_ends_at=rain + timedelta(hours=3)
    )
    helper = make_helpers(1)[0]
    elsewhere = SessionFactory(starts_at=rain)
    services.application_submit(helper=helper, session_id=elsewhere.pk)
    return helper


@pytest.mark.parametrize("how", ["rain_date", "new_times"])
def test_race_double_books_a_helper_when_apply_decides_on_the_stale_row(
    monkeypatch, session, staff, busy_on_the_rain_date, how
):
    helper = busy_on_the_rain_date
    pause = Pause()
    seen: list[Session] = []
    real_eligibility = services.eligibility_problems

    def eligibility_and_remember(*, helper, session):
        seen.append(session)
        return real_eligibility(helper=helper, session=session)

    monkeypatch.setattr(services, "eligibility_problems", eligibility_and_remember)
    pause_after(monkeypatch, services, "eligibility_problems", pause)
    # The guard removed: decide on the row read before waiting, not on the session as it is now.
    monkeypatch.setattr(services, "_session_now", lambda session_id: seen[0])
    applied, _ = interleave(
        lambda: services.application_submit(helper=helper, session_id=session.pk),
        _move(how, session, staff),
        pause,
    )
    assert applied["result"].status == Status.ACCEPTED
    with pytest.raises(AssertionError, match=r"overlapping|another start"):
        assert_invariants()


@pytest.mark.parametrize("how", ["rain_date", "new_times"])
def test_apply_decides_on_the_session_as_moved(
    monkeypatch, session, staff, busy_on_the_rain_date, how
):
    helper = busy_on_the_rain_date
    pause = Pause()
    pause_after(monkeypatch, services, "eligibility_problems", pause)
    applied, moved = interleave(
        lambda: services.application_submit(helper=helper, session_id=session.pk),
        _move(how, session, staff),
        pause,
    )
    assert "error" not in moved
    assert isinstance(applied["error"], Overlap)
    assert not Application.objects.filter(session=session, helper=helper).exists()
    assert_invariants()


@pytest.mark.parametrize("how", ["rain_date", "new_times"])
def test_a_helper_accepted_before_the_move_is_moved_with_the_roster(
    monkeypatch, session, staff, how
):
    rain = session.starts_at + timedelta(days=7)
    Session.objects.filter(pk=session.pk).update(
        rain_starts_at=rain, rain_ends_at=rain + timedelta(hours=3)
    )
    helper = make_helpers(1)[0]
    pause = Pause()
    pause_after(monkeypatch, services, "_session_now", pause)
    applied, moved = interleave(
        lambda: services.application_submit(helper=helper, session_id=session.pk),
        _move(how, session, staff),
        pause,
    )
    assert moved["blocked"] and "error" not in moved
    application = Application.objects.get(pk=applied["result"].pk)
    assert application.status == Status.ACCEPTED
    assert OutboxMessage.objects.filter(recipient=helper, kind="session_moved").exists()
    assert_invariants()  # its reminders follow the new start


def _accept_while_moving(monkeypatch, session, staff, nushi, busy_helper):
    """The nushi takes a waitlisted helper (busy elsewhere at the rain date) just as staff move the
    session to its rain date; the accept stops right after its read of the session."""
    Session.objects.filter(pk=session.pk).update(capacity=1)
    services.application_submit(helper=make_helpers(1)[0], session_id=session.pk)
    waiting = services.application_submit(helper=busy_helper, session_id=session.pk)
    assert waiting.status == Status.WAITLISTED
    Session.objects.filter(pk=session.pk).update(capacity=2)
    pause = Pause()
    pause_after(monkeypatch, services, "lock_session", pause)
    return interleave(
        lambda: services.application_accept(application_id=waiting.pk, actor=nushi),
        _move("rain_date", session, staff),
        pause,
    )


def test_race_double_books_when_accept_reads_the_session_without_locking_it(
    monkeypatch, session, staff, nushi, busy_on_the_rain_date
):
    monkeypatch.setattr(
        services, "lock_session", lambda pk: Session.objects.select_related("program").get(pk=pk)
    )
    accepted, moved = _accept_while_moving(
        monkeypatch, session, staff, nushi, busy_on_the_rain_date
    )
    assert accepted["result"].status == Status.ACCEPTED and not moved["blocked"]
    with pytest.raises(AssertionError, match="overlapping"):
        assert_invariants()


def test_accept_locks_the_session_so_the_move_sees_the_acceptance(
    monkeypatch, session, staff, nushi, busy_on_the_rain_date
):
    accepted, moved = _accept_while_moving(
        monkeypatch, session, staff, nushi, busy_on_the_rain_date
    )
    assert moved["blocked"] and "error" not in accepted and "error" not in moved
    # Accepted for the first date, then released by the move, since it overlaps their other place.
    application = Application.objects.get(pk=accepted["result"].pk)
    assert application.status == Status.CANCELLED
    assert OutboxMessage.objects.filter(
        recipient=busy_on_the_rain_date, kind="session_moved_released"
    ).exists()
    assert_invariants()


# --- check-in, attendance marks and cancellation while the session is being closed ----------------


@pytest.fixture
def ended(municipality, organization):
    """A session that ended an hour ago; one helper was marked no-show, and shows up at the desk."""
    program = ProgramFactory(municipality=municipality, nushi=organization)
    starts_at = timezone.now() - timedelta(hours=4)
    session = SessionFactory(
        program=program,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        apply_deadline=starts_at - timedelta(days=1),
        capacity=2,
    )
    ApplicationFactory(session=session, helper=make_helpers(1)[0], status=Status.NO_SHOW)
    return session


def _attend(how: str, session: Session, actor):
    application = Application.objects.get(session=session)
    if how == "check_in":
        return lambda: attendance.attendance_check_in(
            session_id=session.pk, code=application.checkin_code, actor=actor
        )
    return lambda: attendance.attendance_mark(
        session_id=session.pk, marks={application.pk: Status.ATTENDED}, actor=actor
    )


def _staff_change(change: str, session: Session, actor):
    if change == "close":
        return lambda: attendance.session_close(session_id=session.pk, actor=actor)
    return lambda: session_changes.session_cancel(
        session_id=session.pk, actor=actor, reason="大雨のため"
    )


def _attended_after_the_session_was_final(session: Session) -> bool:
    """An attendance recorded after the session was closed or cancelled (by the history's clock)."""
    final = (
        Session.history.filter(id=session.pk, status__in=("closed", "cancelled"))
        .order_by("history_date")
        .first()
    )
    attended = (
        Application.history.filter(session_id=session.pk, status=Status.ATTENDED)
        .order_by("history_date")
        .first()
    )
    return final is not None and attended is not None and attended.history_date > final.history_date


@pytest.mark.parametrize("change", ["close", "cancel"])
@pytest.mark.parametrize("how", ["check_in", "mark"])
def test_race_records_attendance_in_a_final_session_without_the_session_lock(
    monkeypatch, ended, nushi, staff, how, change
):
    # The guard removed: read the session without locking it.
    monkeypatch.setattr(
        attendance, "lock_session", lambda pk: Session.objects.select_related("program").get(pk=pk)
    )
    pause = Pause()
    pause_after(monkeypatch, attendance, "_lock_open_session", pause)
    attended, changed = interleave(
        _attend(how, ended, nushi), _staff_change(change, ended, staff), pause
    )
    assert "error" not in attended and "error" not in changed
    assert _attended_after_the_session_was_final(ended)
    if change == "cancel":
        with pytest.raises(AssertionError, match="cancelled session"):
            assert_invariants()


@pytest.mark.parametrize("change", ["close", "cancel"])
@pytest.mark.parametrize("how", ["check_in", "mark"])
def test_the_session_lock_orders_attendance_before_closing_or_cancelling(
    monkeypatch, ended, nushi, staff, how, change
):
    pause = Pause()
    pause_after(monkeypatch, attendance, "_lock_open_session", pause)
    attended, changed = interleave(
        _attend(how, ended, nushi), _staff_change(change, ended, staff), pause
    )
    assert changed["blocked"]
    assert "error" not in attended
    assert not _attended_after_the_session_was_final(ended)
    session = Session.objects.get(pk=ended.pk)
    if change == "close":
        assert session.status == Session.Status.CLOSED
    else:  # someone attended: the session took place and cannot be cancelled any more
        assert changed["error"].code == "invalid_transition"
        assert (session.status, session.places_taken) == (Session.Status.SCHEDULED, 1)
    assert_invariants()
