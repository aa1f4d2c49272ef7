"""Applications nobody can decide any more. A selection (選考) is decided by its application deadline and
a first-come waitlist by the start (portal.selectors.sessions.decisions_open). After that, helpers still
waiting (選考中, キャンセル待ち) are told it did not work out this time, instead of waiting for an answer
that cannot come. A day before a selection closes, the nushi and staff are reminded of the applications
still waiting for them. A beat task runs `sweep` every few minutes (portal/tasks.py)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from portal import notices
from portal.models import Application, Session
from portal.selectors.sessions import decisions_open
from portal.services._state import InvalidTransition
from portal.services.applications import transition

Status = Application.Status
REMIND_BEFORE = timedelta(hours=24)


def close_undecided(*, session_id: int, now: datetime | None = None) -> int:
    """Decline, with a message, the session's applications still waiting once decisions are closed.
    Returns how many were closed; 0 while decisions are open or for a session that did not take place
    (cancelling a session tells its helpers itself)."""
    now = now or timezone.now()
    session = Session.objects.select_related("program").get(pk=session_id)
    if session.status != Session.Status.SCHEDULED or decisions_open(session, now):
        return 0
    closed = 0
    waiting = session.applications.filter(status__in=(Status.APPLIED, Status.WAITLISTED))
    for application_id, status in waiting.values_list("pk", "status"):
        with transaction.atomic(durable=True):
            try:
                application = transition(
                    application_id,
                    from_statuses=(status,),
                    to=Status.DECLINED,
                    actor=None,
                    reason="undecided at close",
                    decided_at=now,
                )
            except InvalidTransition:  # the helper cancelled in the meantime
                continue
            notices.notice_application_undecided(application, was=status)
        closed += 1
    return closed


def remind_selection_due(now: datetime | None = None) -> int:
    """Tell the nushi and staff, once per session, about applications still to be decided when a
    selection closes within REMIND_BEFORE. Returns how many sessions were reminded."""
    now = now or timezone.now()
    sessions = (
        Session.objects.filter(
            status=Session.Status.SCHEDULED,
            acceptance_mode=Session.AcceptanceMode.SELECTION,
            apply_deadline__gt=now,
            apply_deadline__lte=now + REMIND_BEFORE,
        )
        .annotate(waiting=Count("applications", filter=Q(applications__status=Status.APPLIED)))
        .filter(waiting__gt=0)
        .select_related("program")
    )
    reminded = 0
    for session in sessions:
        with transaction.atomic(durable=True):
            notices.notice_selection_due(session, waiting=session.waiting)
        reminded += 1
    return reminded


def sweep(now: datetime | None = None) -> dict:
    """The beat task's work: reminders for selections closing soon, then every session whose decisions
    have closed with someone still waiting (selections past their deadline, waitlists past the start)."""
    now = now or timezone.now()
    reminded = remind_selection_due(now)
    due = (
        Session.objects.filter(
            Q(acceptance_mode=Session.AcceptanceMode.SELECTION, apply_deadline__lt=now)
            | Q(starts_at__lte=now),
            status=Session.Status.SCHEDULED,
            applications__status__in=(Status.APPLIED, Status.WAITLISTED),
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    closed = sum(close_undecided(session_id=pk, now=now) for pk in due)
    return {"reminded": reminded, "closed": closed}
