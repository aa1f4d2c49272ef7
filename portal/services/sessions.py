"""Sessions (開催日): staff add and edit the dated occurrences of a program.

Cancelling a session or moving it to its rain date touches applications and lives in session_changes;
an edit of the times reuses its rescheduling rule.
"""

from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from portal.models import Program, Session
from portal.services import reminders
from portal.services._state import InvalidTransition, record_history, transition
from portal.services.applications import promote_waitlist
from portal.services.form_tokens import form_token_claim, form_token_fulfil
from portal.services.locking import lock_program, lock_session
from portal.services.session_changes import reschedule_locked_session

SESSION_FIELDS = (
    "starts_at", "ends_at", "capacity", "apply_deadline", "rain_starts_at", "rain_ends_at",
    "acceptance_mode",
)  # fmt: skip
# Sessions may be added or changed while the program is being designed or is open.
OPEN_PROGRAM_STATES = (
    Program.Status.DRAFT,
    Program.Status.PENDING_NUSHI,
    Program.Status.CHANGES_REQUESTED,
    Program.Status.CONFIRMED,
    Program.Status.PUBLISHED,
)


def session_errors(
    *,
    starts_at: datetime | None,
    ends_at: datetime | None,
    capacity: int | None,
    apply_deadline: datetime | None,
    rain_starts_at: datetime | None = None,
    rain_ends_at: datetime | None = None,
    places_taken: int = 0,
    now: datetime | None = None,
) -> dict[str, str]:
    """Every rule a session's dates and capacity must follow, as {field: Japanese message}. Shared
    by the form (messages next to the fields) and the service (so no caller can skip them)."""
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if starts_at and starts_at <= now:
        errors["starts_at"] = _("開始日時が過ぎています。これからの日時を入力してください。")
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = _("終了日時は開始日時より後にしてください。")
    if capacity is not None and capacity < 1:
        errors["capacity"] = _("募集人数は1人以上にしてください。")
    elif capacity is not None and capacity < places_taken:
        errors["capacity"] = _(
            "すでに%(n)d人の参加が決まっています。募集人数はそれより少なくできません。"
        ) % {"n": places_taken}
    if apply_deadline and starts_at and apply_deadline > starts_at:
        errors["apply_deadline"] = _("申込締切は開始日時より前にしてください。")
    elif apply_deadline and apply_deadline <= now:
        errors["apply_deadline"] = _("申込締切が過ぎています。これからの日時を入力してください。")
    if bool(rain_starts_at) != bool(rain_ends_at):
        errors["rain_ends_at"] = _("予備日は開始と終了の両方を入力してください。")
    elif rain_starts_at and rain_ends_at:
        if rain_ends_at <= rain_starts_at:
            errors["rain_ends_at"] = _("予備日の終了は予備日の開始より後にしてください。")
        elif starts_at and rain_starts_at <= starts_at:
            errors["rain_starts_at"] = _("予備日は本来の開催日より後にしてください。")
    return errors


def _check(values: dict, places_taken: int = 0) -> None:
    errors = session_errors(
        starts_at=values.get("starts_at"),
        ends_at=values.get("ends_at"),
        capacity=values.get("capacity"),
        apply_deadline=values.get("apply_deadline"),
        rain_starts_at=values.get("rain_starts_at"),
        rain_ends_at=values.get("rain_ends_at"),
        places_taken=places_taken,
    )
    if errors:
        raise ValidationError(errors)


@transaction.atomic(durable=True)
def session_create(
    *, program: Program, actor: User, data: dict, form_token: UUID | None = None
) -> Session:
    """Add a session; the form's one-time token is claimed first (portal.services.form_tokens)."""
    claim = form_token_claim(actor=actor, token=form_token)
    program = lock_program(program.pk)
    if program.status not in OPEN_PROGRAM_STATES:
        raise InvalidTransition(
            _("「%(status)s」のプログラムには開催日を追加できません。")
            % {"status": program.get_status_display()}
        )
    values = {k: v for k, v in data.items() if k in SESSION_FIELDS}
    _check(values)
    session = Session(program=program, **values)
    session._history_user = actor
    session.save()
    form_token_fulfil(claim, object_id=session.pk)
    _back_to_draft(program, actor=actor, reason="session added")
    return session


def _back_to_draft(program: Program, *, actor: User, reason: str) -> None:
    """Dates are part of what the nushi confirms: changing them after they saw it sends it back."""
    if program.status in (Program.Status.PENDING_NUSHI, Program.Status.CONFIRMED):
        transition(
            program,
            from_states=[program.status],
            to_state=Program.Status.DRAFT,
            actor=actor,
            reason=reason,
        )
    else:
        record_history(program, actor=actor, reason=reason)


@transaction.atomic(durable=True)
def session_update(*, session: Session, actor: User, data: dict) -> Session:
    """Change a scheduled session. Capacity can't drop below the places already taken (the row lock
    makes that check safe against an application being accepted at the same moment). With people
    booked, the change reaches them as the rain-date move does: more places are offered to the
    waitlist in order; new times release whoever now overlaps another place they hold, move everyone's
    reminders and calendar event, and tell them."""
    # Lock order: program, then session (as session_create and program_cancel), then helpers.
    lock_program(session.program_id)
    locked = lock_session(session.pk)
    if (
        locked.status != Session.Status.SCHEDULED
        or locked.program.status not in OPEN_PROGRAM_STATES
    ):
        raise InvalidTransition(_("この開催日は変更できません。"))
    before = Session(
        starts_at=locked.starts_at,
        ends_at=locked.ends_at,
        capacity=locked.capacity,
        rain_starts_at=locked.rain_starts_at,
        rain_ends_at=locked.rain_ends_at,
    )
    values = {k: getattr(locked, k) for k in SESSION_FIELDS}
    values.update({k: v for k, v in data.items() if k in SESSION_FIELDS})
    _check(values, places_taken=locked.places_taken)
    for key, value in values.items():
        setattr(locked, key, value)
    moved = (locked.starts_at, locked.ends_at) != (before.starts_at, before.ends_at)
    if moved:
        locked.times_changed += 1
    locked._history_user = actor
    locked.save()
    if moved:
        locked = reschedule_locked_session(locked.pk, before=before, actor=actor, rain_date=False)
    elif (before.rain_starts_at, before.rain_ends_at) != (
        locked.rain_starts_at,
        locked.rain_ends_at,
    ):
        reminders.reminders_replan(session_ids=[locked.pk])  # they tell the rain date
    if locked.capacity > before.capacity:
        promote_waitlist(session_id=locked.pk, actor=actor)
        locked.refresh_from_db()
    _back_to_draft(locked.program, actor=actor, reason="session changed")
    return locked
