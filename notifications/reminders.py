"""Reminders before a session: planned as outbox rows with a future `due_at`, sent by the minute-by-minute
sweep (notifications.delivery.deliver_due) when they come due, withdrawn while still unsent.

Plain data in: the caller (portal.notices) passes the recipient, the object the reminders are about, the
session's start and the context the templates need; the municipality's ReminderSchedule says which
reminders go out and at what time of day. Nothing here knows what an application or a session is.

Rules:
- Each reminder of the schedule that is switched on is due at its time of day (Asia/Tokyo) on its day:
  seven days before the session's date, the day before, the session's own date. The dates are taken in
  local time, so a session at 00:30 has its "day before" on the previous local date, not 15 hours
  earlier in UTC. A reminder due at or after the start is never written (a 06:00 session has no 07:00
  morning reminder).
- A reminder whose time has already passed when planning is not written: nothing is caught up, so a
  helper accepted (or a session moved) inside the window never gets a burst of reminders at once; the
  ones still ahead each go out at their own time. The acceptance or the move notice itself carries the
  same details.
- `reminders_plan` replaces: it first withdraws the object's unsent reminders, then writes what the
  schedule calls for now. The session's local start time is part of each row's object key
  (`<object_key>@YYYYmmddHHMM`), so reminders re-planned for a new time never collide with rows
  already sent for the old time under the outbox's one-row-per-(recipient, kind, object) rule, while a
  re-plan for the same time finds the sent row and does not send it again.
- A change of a municipality's schedule (`reminder_schedule_save`) reaches the reminders already
  planned and not yet due: a reminder switched off is withdrawn, a new time of day moves it (on the
  same day; withdrawn if it would now fall at or after the start, as a fresh plan would write none;
  left at its planned time if the new time has already passed, so that nothing is lost). A reminder
  switched on is written by the next planning (an acceptance, a promotion, a moved session): the rows
  carry no context to write one from, and notifications knows nothing of applications.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.kinds import Kind
from notifications.models import OutboxMessage, ReminderSchedule
from notifications.services import notify


@dataclass(frozen=True)
class Slot:
    kind: Kind
    days_before: int
    enabled_field: str
    time_field: str


SLOTS = (
    Slot(Kind.REMINDER_WEEK_BEFORE, 7, "week_before", "week_before_at"),
    Slot(Kind.REMINDER_DAY_BEFORE, 1, "day_before", "day_before_at"),
    Slot(Kind.REMINDER_MORNING, 0, "morning", "morning_at"),
)
KINDS = tuple(slot.kind.value for slot in SLOTS)
# Written by an earlier version (two days before); withdrawn like the others while still unsent.
LEGACY_KINDS = ("reminder_2d",)


def schedule_for(municipality_id: int | None) -> ReminderSchedule:
    """The municipality's schedule, or the defaults (an unsaved row) when it has none."""
    schedule = (
        ReminderSchedule.objects.filter(municipality_id=municipality_id).first()
        if municipality_id is not None
        else None
    )
    if schedule is None:
        schedule = ReminderSchedule()
        schedule.municipality_id = municipality_id  # type: ignore[assignment]  # unsaved defaults; None for no municipality
    return schedule


def due_times(starts_at: dt.datetime, schedule: ReminderSchedule) -> list[tuple[str, dt.datetime]]:
    """(kind, due_at) of each reminder the schedule switches on for a session starting at `starts_at`,
    earliest first; none at or after the start."""
    tz = timezone.get_default_timezone()
    day = timezone.localtime(starts_at, tz).date()
    due = []
    for slot in SLOTS:
        if not getattr(schedule, slot.enabled_field):
            continue
        at = dt.datetime.combine(
            day - dt.timedelta(days=slot.days_before), getattr(schedule, slot.time_field), tzinfo=tz
        )
        if at < starts_at:
            due.append((slot.kind.value, at))
    return due


def reminder_key(object_key: str, starts_at: dt.datetime) -> str:
    """The object key of the reminders for `object_key` at this start time (see the module docstring)."""
    return f"{object_key}@{timezone.localtime(starts_at):%Y%m%d%H%M}"


def reminders_withdraw(*, recipient_id: int, object_key: str) -> int:
    """Delete the unsent reminders about `object_key` (for any start time). Sent rows stay: they are
    the record of what went out. Returns how many were withdrawn."""
    deleted, _ = OutboxMessage.objects.filter(
        Q(kind__in=KINDS) | Q(kind__in=LEGACY_KINDS),
        recipient_id=recipient_id,
        object_key__startswith=f"{object_key}@",
        sent_at=None,
    ).delete()
    return deleted


def reminders_plan(
    *,
    recipient_id: int,
    municipality_id: int | None,
    object_key: str,
    starts_at: dt.datetime,
    context: dict,
    now: dt.datetime | None = None,
) -> int:
    """Replace the unsent reminders about `object_key` by those the municipality's schedule calls for
    a session starting at `starts_at` (none already due). `context` is the templates' plain data
    (templates/notifications/reminder_*/); `starts_at` is added to it. Call inside the transaction of
    the change. Returns how many rows were written."""
    now = now or timezone.now()
    reminders_withdraw(recipient_id=recipient_id, object_key=object_key)
    key = reminder_key(object_key, starts_at)
    written = 0
    for kind, due_at in due_times(starts_at, schedule_for(municipality_id)):
        if due_at <= now:
            continue
        row = notify(
            recipient_id=recipient_id,
            municipality_id=municipality_id,
            kind=kind,
            object_key=key,
            context={**context, "starts_at": starts_at},
            due_at=due_at,
        )
        written += row is not None
    return written


def _start_of(key: str) -> dt.datetime | None:
    """The session's start written into a reminder's object key by reminder_key()."""
    _, sep, stamp = key.rpartition("@")
    if not sep:
        return None
    try:
        start = dt.datetime.strptime(stamp, "%Y%m%d%H%M")  # noqa: DTZ007 (made aware below)
    except ValueError:
        return None
    return start.replace(tzinfo=timezone.get_default_timezone())


def reminder_schedule_save(*, schedule: ReminderSchedule, now: dt.datetime | None = None) -> int:
    """Save a municipality's schedule and apply it to the reminders already planned and not yet due
    (see the module docstring). The admin calls this inside its own transaction. Returns how many
    planned rows were moved or withdrawn."""
    now = now or timezone.now()
    tz = timezone.get_default_timezone()
    changed = 0
    with transaction.atomic():
        schedule.save()
        for slot in SLOTS:
            # Untouched rows only: one a worker holds, or one that failed and waits for its next
            # try, keeps its course.
            planned = OutboxMessage.objects.filter(
                municipality_id=schedule.municipality_id,
                kind=slot.kind,
                sent_at=None,
                claimed_at=None,
                attempts=0,
                due_at__gt=now,
            )
            if not getattr(schedule, slot.enabled_field):
                changed += planned.delete()[0]
                continue
            at = getattr(schedule, slot.time_field)
            for row in planned.only("pk", "due_at", "object_key"):
                due = dt.datetime.combine(timezone.localtime(row.due_at, tz).date(), at, tzinfo=tz)
                start = _start_of(row.object_key)
                if due == row.due_at or due <= now:
                    continue
                if start is not None and due >= start:
                    changed += OutboxMessage.objects.filter(pk=row.pk).delete()[0]
                    continue
                changed += OutboxMessage.objects.filter(pk=row.pk, sent_at=None).update(due_at=due)
    return changed
