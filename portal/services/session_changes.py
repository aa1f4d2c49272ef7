"""Staff change a session everyone is booked on: cancel it, move it to its rain date, or give it new times
(portal.services.sessions.session_update). Cancelling a program cancels each of its sessions here too.

All lock the session row first (the lock order of portal.services.applications), change every active
application in the same transaction, and tell everyone through the outbox. Two rules are shared:
`cancel_locked_session` (a cancelled session holds no application and plans no reminder, whoever
cancelled it) and `reschedule_locked_session` (after new times: release who now overlaps, fill the gap
from the waitlist, move the reminders and the calendar events of everyone else)."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from portal import notices
from portal.models import Application, Session
from portal.selectors.applications import overlapping_held
from portal.services.applications import (
    promote_waitlist,
    transition,
)
from portal.services.errors import InvalidTransition, TooLate
from portal.services.locking import lock_helper, lock_session, release_place
from portal.services.reminders import reminders_plan

Status = Application.Status
OPEN = (Status.APPLIED, Status.ACCEPTED, Status.WAITLISTED)


def _session_history(session: Session, actor: User, reason: str) -> None:
    session.refresh_from_db()
    Session.history.bulk_history_create(
        [session], update=True, default_user=actor, default_change_reason=reason
    )


def session_cancel(*, session_id: int, actor: User, reason: str) -> int:
    """Cancel a scheduled session: every open application is cancelled (never flagged late) and its
    helper told, with the `reason` (required: nobody is told "cancelled" without a why). Returns how
    many applications were cancelled."""
    reason = reason.strip()
    if not reason:
        raise InvalidTransition(_("中止の理由を入力してください。"))
    with transaction.atomic(durable=True):
        session = lock_session(session_id)
        count = cancel_locked_session(session, actor=actor, reason=reason)
        notices.notice_session_cancelled(session, reason=reason)
    return count


def cancel_locked_session(
    session: Session, *, actor: User, reason: str, history_reason: str = "cancel"
) -> int:
    """Cancel a session whose row this transaction has locked (lock_session): the one rule for a
    session's cancellation, used by session_cancel and program_cancel. Every open application is
    cancelled (its reminders go with it, in transition()) and its helper told, with a cancelled
    calendar event for those who had one. Returns how many applications were cancelled.

    Refused once anyone has attended: the session then took place, at least in part, and its
    attendance is what credits points, which only closing the session does (a cancelled session can't
    be closed). Staff mark the others no-show and close it instead. So places_taken never falls under
    rows that still hold a place."""
    if session.status != Session.Status.SCHEDULED:
        raise InvalidTransition(_("この日程はすでに中止または終了しています。"))
    if Application.objects.filter(session_id=session.pk, status=Status.ATTENDED).exists():
        raise InvalidTransition(
            _(
                "参加の受付をした方がいるため、この日程は中止にできません。"
                "来なかった方を欠席にして、締めてください。"
            )
        )
    rows = list(
        Application.objects.filter(session_id=session.pk, status__in=OPEN)
        .order_by("pk")
        .values_list("pk", "status")
    )
    released = sum(status in Application.HOLDS_PLACE for _pk, status in rows)
    Session.objects.filter(pk=session.pk).update(
        status=Session.Status.CANCELLED, places_taken=F("places_taken") - released
    )
    _session_history(session, actor, history_reason)
    for app_id, status in rows:
        application = transition(
            app_id,
            from_statuses=OPEN,
            to=Status.CANCELLED,
            actor=actor,
            reason="session_cancelled",
            cancelled_at=timezone.now(),
        )
        notices.notice_session_cancelled_to_helper(
            application, reason=reason, had_place=status == Status.ACCEPTED
        )
    return len(rows)


def session_move_to_rain_date(*, session_id: int, actor: User) -> Session:
    """Move a session to its rain date (予備日): the roster moves with it. A helper whose new time would
    overlap another place they hold is released (the invariant forbids two); the waitlist fills the gap.
    Everyone is told; accepted helpers get a one-click link to release their place if they cannot come."""
    with transaction.atomic(durable=True):
        session = lock_session(session_id)
        if session.status != Session.Status.SCHEDULED or session.moved_to_rain_date:
            raise InvalidTransition(_("この日程は予備日に変更できません。"))
        if session.rain_starts_at is None or session.rain_starts_at <= timezone.now():
            raise TooLate(_("予備日が設定されていないか、すでに過ぎています。"))
        # The old times, to be written out in each recipient's language.
        before = Session(starts_at=session.starts_at, ends_at=session.ends_at)
        Session.objects.filter(pk=session_id).update(
            starts_at=session.rain_starts_at,
            ends_at=session.rain_ends_at,
            moved_to_rain_date=True,
            moved_from_starts_at=session.starts_at,
            times_changed=F("times_changed") + 1,
        )
        _session_history(session, actor, "rain_date")
        session = reschedule_locked_session(session_id, before=before, actor=actor, rain_date=True)
        notices.notice_session_moved(session, before=before, rain_date=True)
    return session


def reschedule_locked_session(
    session_id: int,
    *,
    before: Session,
    actor: User,
    rain_date: bool,
) -> Session:
    """After the locked session's times changed (already saved; `before` holds the old times; `rain_date`
    when it moved to its rain date rather than to new times staff gave it): a helper
    whose new time overlaps another place they hold is released (the invariant forbids two); the waitlist
    fills the gap; everyone still open is told, their reminders re-planned for the new time, and the
    accepted get their calendar event moved (same UID, higher SEQUENCE). Returns the session as now."""
    session = Session.objects.select_related("program").get(pk=session_id)
    accepted = list(
        Application.objects.filter(session_id=session_id, status=Status.ACCEPTED).order_by(
            "helper_id"
        )
    )
    released = 0
    for application in accepted:
        lock_helper(application.helper_id)
        if overlapping_held(helper_id=application.helper_id, session=session).exists():
            released_application = transition(
                application.pk,
                from_statuses=(Status.ACCEPTED,),
                to=Status.CANCELLED,
                actor=actor,
                reason="rain_date_overlap" if session.moved_to_rain_date else "times_overlap",
                cancelled_at=timezone.now(),
            )
            release_place(session_id)
            released += 1
            notices.notice_session_moved_released(
                released_application, before=before, rain_date=rain_date
            )
    if released:
        promote_waitlist(session_id=session_id, actor=actor)
    for application in Application.objects.filter(
        session_id=session_id, status__in=OPEN
    ).select_related("session__program"):
        # The reminders of everyone keeping their place move to the new time.
        reminders_plan(application)
        notices.notice_session_moved_to_helper(application, before=before, rain_date=rain_date)
    return session
