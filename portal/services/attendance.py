"""Attendance: check-in by QR code or typed short code, bulk attended / no-show after the session,
corrections until the session is closed, then closing (which is final: the points worker then credits
every attendee); staff may still correct a closed session's attendance, which reverses or makes a credit.

Every change locks the session row first and checks it is not closed, so a check-in or a correction
cannot slip in after `session_close`. `places_taken` stays equal to the number of applications in
HOLDS_PLACE (accepted + attended): a no-show gives its place back, a correction to attended takes it
again (the CHECK constraint would refuse it beyond capacity; after the start nobody is promoted, so it
cannot be). Application and Attendance rows keep their history (corrections included)."""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from points import services as points_services
from portal.models import Application, Attendance, Session
from portal.selectors.sessions import checkin_open, checkin_opens_at
from portal.services.applications import transition
from portal.services.errors import AttendanceFinal, InvalidTransition, TooLate, UnknownCode
from portal.services.locking import lock_session, release_place

Status = Application.Status


def _lock_open_session(session_id: int) -> Session:
    session = lock_session(session_id)
    if session.status == Session.Status.CLOSED:
        raise AttendanceFinal
    if session.status == Session.Status.CANCELLED:
        raise TooLate(_("この日程は中止になりました。"))
    return session


def normalise_code(code: str) -> str:
    """People type codes with spaces, hyphens, lower case; a QR scan gives the bare code."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def attendance_check_in(
    *,
    session_id: int,
    code: str,
    actor: User,
    method: str = Attendance.Method.CODE,
    now: datetime | None = None,
) -> tuple[Application, bool]:
    """Check in the accepted helper whose code this is. Returns (application, created); checking in
    twice is harmless (created False). UnknownCode when the code is not one of this session's."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session = _lock_open_session(session_id)
        if not checkin_open(session, now):
            opens = date_format(timezone.localtime(checkin_opens_at(session)), _("n月j日(D) H:i"))
            raise TooLate(_("受付は%(time)sから始められます。") % {"time": opens})
        application = Application.objects.filter(
            session_id=session_id, checkin_code=normalise_code(code)
        ).first()
        if application is None:
            raise UnknownCode
        if application.status == Status.ATTENDED:
            return application, False
        if application.status not in (Status.ACCEPTED, Status.NO_SHOW):
            raise InvalidTransition(
                _("この方は参加確定ではありません（%(status)s）。")
                % {"status": application.get_status_display()}
            )
        return _mark_attended(application, actor=actor, method=method, now=now), True


def _mark_attended(application: Application, *, actor: User, method: str, now: datetime):
    if application.status == Status.NO_SHOW:
        # A correction: the no-show had given its place back.
        Session.objects.filter(pk=application.session_id).update(places_taken=F("places_taken") + 1)
    updated = transition(
        application.pk,
        from_statuses=(Status.ACCEPTED, Status.NO_SHOW),
        to=Status.ATTENDED,
        actor=actor,
        reason=f"attendance:{method}",
    )
    attendance = Attendance(
        application=updated, checked_in_at=now, method=method, recorded_by=actor
    )
    attendance._history_user = actor
    attendance.save()
    return updated


def attendance_mark(
    *, session_id: int, marks: dict[int, str], actor: User, now: datetime | None = None
) -> int:
    """Bulk attended / no-show (after the start), also used for corrections. `marks` maps application
    ids of this session to Status.ATTENDED or Status.NO_SHOW. Returns how many rows changed."""
    now = now or timezone.now()
    changed = 0
    with transaction.atomic(durable=True):
        session = _lock_open_session(session_id)
        if now < session.starts_at:
            raise TooLate(_("出欠の一括登録は開始時刻から行えます。"))
        rows = {
            a.pk: a
            for a in Application.objects.filter(
                session_id=session_id,
                pk__in=list(marks),
                status__in=(Status.ACCEPTED, Status.ATTENDED, Status.NO_SHOW),
            )
        }
        for pk in sorted(rows):
            application, target = rows[pk], marks[pk]
            if application.status == target:
                continue
            if target == Status.ATTENDED:
                _mark_attended(application, actor=actor, method=Attendance.Method.BULK, now=now)
            elif target == Status.NO_SHOW:
                if application.status == Status.ATTENDED:
                    attendance = Attendance.objects.get(application_id=pk)
                    attendance._history_user = actor
                    attendance.delete()  # the history keeps the deleted row
                transition(
                    pk,
                    from_statuses=(Status.ACCEPTED, Status.ATTENDED),
                    to=Status.NO_SHOW,
                    actor=actor,
                    reason="attendance:no_show",
                )
                release_place(session_id)
            else:
                continue
            changed += 1
    return changed


def session_close(*, session_id: int, actor: User, now: datetime | None = None) -> Session:
    """Close a session after it ended: attendance becomes final. Refused while someone accepted has no
    attended / no-show mark yet, so that nobody's credit is decided by default."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session = _lock_open_session(session_id)
        if now < session.ends_at:
            raise TooLate(_("終了時刻を過ぎてから締めてください。"))
        unmarked = Application.objects.filter(session_id=session_id, status=Status.ACCEPTED).count()
        if unmarked:
            raise InvalidTransition(
                _("出欠が未入力の方が%(n)d人います。すべて入力してから締めてください。")
                % {"n": unmarked}
            )
        Session.objects.filter(pk=session_id, status=Session.Status.SCHEDULED).update(
            status=Session.Status.CLOSED
        )
        session.refresh_from_db()
        Session.history.bulk_history_create(
            [session], update=True, default_user=actor, default_change_reason="close"
        )
        # Every attendee is credited by the points worker after the commit (points/services.py).
        points_services.points_request_settlement(session_id=session_id)
    return session


def attendance_correct(
    *, application_id: int, to: str, reason: str, actor: User, now: datetime | None = None
) -> Application:
    """Staff correct the attendance of a closed session (attended ↔ no-show), with a reason: the points
    worker then reverses the credit (or credits it) after the commit. places_taken follows, as it mirrors
    the applications holding a place (a no-show holds none); an attendance the full session has no
    place for is refused."""
    now = now or timezone.now()
    if to not in (Status.ATTENDED, Status.NO_SHOW):
        raise InvalidTransition(_("参加済みか欠席のどちらかを選んでください。"))
    if not reason.strip():
        raise InvalidTransition(_("訂正の理由を入力してください。"))
    with transaction.atomic(durable=True):
        application = Application.objects.select_related("session").get(pk=application_id)
        session = lock_session(application.session_id)
        if session.status != Session.Status.CLOSED:
            raise InvalidTransition(_("締める前の出欠は出欠表で直してください。"))
        frm = Status.NO_SHOW if to == Status.ATTENDED else Status.ATTENDED
        if to == Status.ATTENDED and session.places_taken >= session.capacity:
            raise InvalidTransition(_("定員がいっぱいのため、参加済みに直せません。"))
        updated = transition(
            application_id, from_statuses=(frm,), to=to, actor=actor,
            reason=f"attendance:correction: {reason.strip()}",
        )  # fmt: skip
        Session.objects.filter(pk=session.pk).update(
            places_taken=F("places_taken") + (1 if to == Status.ATTENDED else -1)
        )
        if to == Status.NO_SHOW:
            attendance = Attendance.objects.get(application_id=application_id)
            attendance._history_user = actor
            attendance.delete()  # the history keeps the deleted row
        else:
            attendance = Attendance(
                application=updated, checked_in_at=now, method=Attendance.Method.BULK,
                recorded_by=actor,
            )  # fmt: skip
            attendance._history_user = actor
            attendance.save()
        points_services.points_request_settlement(
            session_id=session.pk, application_id=application_id, reason=reason.strip()
        )
    return updated
