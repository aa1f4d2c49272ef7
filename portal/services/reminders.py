"""Reminders before a session, for accepted helpers: two days before, and at 08:00 (Asia/Tokyo) on the
day before. Each is an outbox row with a future `due_at`, written in the transaction that accepts the
helper; the minute-by-minute sweep (notifications.delivery.deliver_due) sends it when it comes due.

The one place that decides whether a reminder may still go out is `reminders_plan()`, called by
`portal.services.applications.transition()` for every status change, by `application_submit()` for an
application accepted on submit, and by the rain-date move for everyone who keeps their place. It first
deletes the application's unsent reminder rows, then writes new ones only if the application is
accepted and its session scheduled. So a cancellation, a decline, a cancelled session or a no-show
removes the pending reminders in its own transaction, and a move to the rain date replaces them with
reminders for the new time (the start time is part of the object key, so the new rows never collide
with the old ones under the outbox's one-row-per-(recipient, kind, object) rule). The sender needs no
domain check: a reminder row that still exists when it comes due belongs to an accepted helper.
"""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy

from notifications.models import OutboxMessage
from notifications.services import notify
from portal.calendars import when_text
from portal.models import Application, Session

TWO_DAYS = "reminder_2d"
DAY_BEFORE = "reminder_day_before"
KINDS = (TWO_DAYS, DAY_BEFORE)
MORNING_HOUR = 8


def due_times(starts_at: datetime) -> list[tuple[str, datetime]]:
    """(kind, due_at) of each reminder for a session starting at `starts_at`."""
    local = timezone.localtime(starts_at)
    morning_before = (local - timedelta(days=1)).replace(
        hour=MORNING_HOUR, minute=0, second=0, microsecond=0
    )
    return [(TWO_DAYS, starts_at - timedelta(days=2)), (DAY_BEFORE, morning_before)]


def _key_prefix(application_id: int) -> str:
    return f"application:{application_id}@"


def reminders_void(application: Application) -> int:
    """Delete the application's reminders that have not been sent. Returns how many."""
    deleted, _ = OutboxMessage.objects.filter(
        recipient_id=application.helper_id,
        kind__in=KINDS,
        object_key__startswith=_key_prefix(application.pk),
        sent_at=None,
    ).delete()
    return deleted


def reminders_plan(application: Application, *, link: str = "", now: datetime | None = None) -> int:
    """Replace the application's pending reminders by the ones its current state calls for (none unless
    accepted for a scheduled session; none already due). Call inside the transaction of the change;
    `application.session` must be current (after a move). Returns how many rows were written."""
    now = now or timezone.now()
    reminders_void(application)
    session = application.session
    if application.status != Application.Status.ACCEPTED:
        return 0
    if session.status != Session.Status.SCHEDULED:
        return 0
    start_key = timezone.localtime(session.starts_at).strftime("%Y%m%d%H%M")
    subjects = {
        TWO_DAYS: gettext_lazy("あさって参加予定の日程があります"),
        DAY_BEFORE: gettext_lazy("明日は参加予定の日程です"),
    }
    written = 0
    for kind, due_at in due_times(session.starts_at):
        if due_at <= now:
            continue
        row = notify(
            recipient_id=application.helper_id,
            municipality_id=session.program.municipality_id,
            kind=kind,
            object_key=f"{_key_prefix(application.pk)}{start_key}",
            subject=subjects[kind],
            body=lambda subject=subjects[kind]: (
                f"{subject}\n\n{session.program.title}\n{when_text(session)}\n{link}"
            ),
            due_at=due_at,
        )
        written += row is not None
    return written
