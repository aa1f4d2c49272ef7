"""The marketplace's side of reminders: which applications are reminded, and what the reminder says.

An accepted helper of a scheduled session is reminded on the municipality's schedule; anyone else has
no pending reminder. notifications.reminders plans the rows (times, object keys, withdrawal) from the
plain data passed here; this module never touches an outbox row itself.

`reminders_plan()` is the one place that decides, called by
`portal.services.applications.transition()` for every status change, by `application_submit()` for an
application accepted on submit, and by `reschedule_locked_session()` for everyone who keeps their place
after a session moved (rain date, new times). So a cancellation (by the helper or staff), a decline, a
cancelled session or a no-show withdraws the pending reminders in its own transaction, and a move
replaces them with reminders for the new time. The sender needs no domain check: a reminder row that
still exists when it comes due belongs to an accepted helper.
"""

from datetime import datetime

from django.utils import timezone

from notifications import reminders
from notifications.services import site_url
from portal.models import Application, Session


def application_object_key(application: Application) -> str:
    return f"application:{application.pk}"


# What the reminder texts show of a program: a change re-plans them (the rain date: sessions.py).
PROGRAM_FIELDS = (
    "title", "is_online", "online_url", "online_instructions", "meeting_place", "meeting_address",
    "what_to_bring",
)  # fmt: skip


def reminder_context(application: Application) -> dict:
    """The plain data of the reminder templates (templates/notifications/reminder_*/)."""
    session = application.session
    program = session.program
    rain = session.rain_starts_at if not session.moved_to_rain_date else None
    return {
        "program_title": program.title,
        "ends_at": session.ends_at,
        "is_online": program.is_online,
        # The join link and the exact address only ever reach accepted helpers, who may see them.
        "online_url": program.online_url if program.is_online else "",
        "online_instructions": program.online_instructions if program.is_online else "",
        "meeting_place": program.meeting_place,
        "meeting_address": ""
        if program.is_online
        else (program.meeting_address or program.nushi.address),
        "what_to_bring": program.what_to_bring,
        "rain_starts_at": rain,
        "application_url": site_url("application_detail", application.pk),
    }


def reminders_plan(application: Application, *, now: datetime | None = None) -> int:
    """Replace the application's pending reminders by the ones its current state calls for (none
    unless accepted for a scheduled session). Call inside the transaction of the change;
    `application.session` must be current (after a move). Returns how many rows were written."""
    session = application.session
    if (
        application.status != Application.Status.ACCEPTED
        or session.status != Session.Status.SCHEDULED
    ):
        reminders.reminders_withdraw(
            recipient_id=application.helper_id, object_key=application_object_key(application)
        )
        return 0
    return reminders.reminders_plan(
        recipient_id=application.helper_id,
        municipality_id=session.program.municipality_id,
        object_key=application_object_key(application),
        starts_at=session.starts_at,
        context=reminder_context(application),
        now=now,
    )


def reminders_replan(*, session_ids: list[int]) -> int:
    """Re-plan the reminders of every accepted helper of these sessions (still scheduled and ahead),
    after something the reminders say changed (the program's place, belongings or join link, the rain
    date). Rows already sent stay sent. Call inside the transaction of the change. Returns how many
    rows were written."""
    applications = Application.objects.filter(
        session_id__in=session_ids,
        session__status=Session.Status.SCHEDULED,
        status=Application.Status.ACCEPTED,
    ).select_related("session__program__nushi")
    now = timezone.now()
    return sum(
        reminders_plan(application, now=now)
        for application in applications
        if application.session.is_ahead(now)
    )
