"""Every change of an Application's state: submit, accept, decline, cancel, promote from the waitlist.

Capacity (pretix's rules, STYLE.md):
- `Session.places_taken` counts the session's applications in `Application.HOLDS_PLACE`. It changes only in
  these services (and attendance / session_changes), in the same transaction as the application rows, and
  the CHECK `portal_session_places_within_capacity` refuses any write that would overbook.
- Taking a place is one conditional UPDATE (`... SET places_taken = places_taken + 1 WHERE places_taken <
  capacity AND status = 'scheduled' AND starts_at > now`). Under READ COMMITTED PostgreSQL re-evaluates
  the WHERE after waiting for a concurrent writer of the same row, so two transactions can never both take
  the last place, nor a place of a session staff cancelled meanwhile; the row lock the UPDATE takes is
  held to commit. `make bench` (apply_race) measured it against an explicit SELECT ... FOR UPDATE (the
  variant now lives in bench/bench_apply.py): on the 2-core bench machine (2026-11, 1,000 for 10 places, 8
  threads in one process) both ran at ~42-44 applications/s: the Python side, not the row, is the
  bottleneck there, so the 3-5x of STYLE.md did not show. The conditional UPDATE stays: one statement
  instead of two, and no lock at all on the waitlist path's first look.
- Nothing read before that lock decides: the first look at the session (eligibility, for messages
  people can read) may be stale by the time the place is taken, because staff may have moved the session
  (rain date, new times) meanwhile. Once this transaction holds the session row (the UPDATE's lock, or
  the shared lock below), the session is read again (`_session_now`) and that row decides the overlap
  check, the reminders and the .ics. A session change locks the row FOR UPDATE, so it either committed
  before (and the second read sees it) or waits for this commit (and then sees the new application).
  Re-reading after the UPDATE was chosen over locking the row (FOR UPDATE) before deciding: it adds one
  primary-key SELECT, and concurrent applicants still never queue on an exclusive lock. apply_race,
  2026-12, 3 rounds of 1,000 for 10 places on the shared 2-core machine: conditional UPDATE + re-read
  47 applications/s (raw-SQL floor 243/s), row lock 25/s; the code before the re-read and the status
  check, same conditions: 52/s (floor 287/s), row lock 31/s. Against its floor the re-read is within
  the noise (5.2x vs 5.6x the floor); the row lock costs ~1.9x either way.
- When the session looks full, the waitlist path takes a shared lock on the session row (SELECT ... FOR
  KEY SHARE) before writing the waitlisted row, and holds it to commit. A cancellation locks the row FOR
  UPDATE before freeing a place, so it waits until every waitlisting transaction in flight has committed
  and then sees (and promotes) their rows; a waitlister arriving after it waits for its commit and looks
  again. Otherwise a cancellation committing in between could free a place without seeing the new
  waitlisted row and nobody would be promoted into it. Shared, not exclusive: concurrent waitlisters do
  not queue behind each other (an exclusive lock here made a 1,000-for-10 burst a convoy on one row),
  and KEY SHARE does not conflict with the conditional UPDATE's FOR NO KEY UPDATE, so a waitlister that
  finds a place on its second look takes it without a lock-upgrade deadlock against another waitlister.
  (Inserting the application takes the same KEY SHARE lock for the foreign key anyway.)
- Lock order, everywhere: the session row first, then helper rows (`accounts_user`, SELECT ... FOR UPDATE),
  which serialise the "no two overlapping accepted sessions" check per helper. A promotion can lock more
  than one helper; the rare deadlock that allows is retried (`_retrying`).

State changes are compare-and-set (`filter(pk=, status__in=FROM).update(...)`, exactly one row or
InvalidTransition) and each writes an Application history row with the actor and a reason, because
`QuerySet.update()` bypasses django-simple-history's save signal.
Notifications go through notifications.services.notify() inside the same transaction.
"""

import functools
import logging
from datetime import datetime

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from notifications.services import Text, notify, render, site_url
from portal.calendars import session_calendar, when_text
from portal.models import Application, Session
from portal.permissions import can_cancel_for_helper
from portal.selectors.applications import (
    LATE_CANCELLATION_WINDOW,
    Problem,
    eligibility_problems,
    overlapping_held,
)
from portal.selectors.sessions import decisions_open, host_ids
from portal.services.errors import (
    InvalidTransition,
    NotAllowed,
    NotEligible,
    Overlap,
    SessionFull,
    TooLate,
)
from portal.services.reminders import reminders_plan

log = logging.getLogger(__name__)
Status = Application.Status


def _retrying(fn):
    """Run a service again (at most 3 times) when PostgreSQL aborts it as a deadlock victim."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(3):
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if "deadlock detected" not in str(exc) or attempt == 2:
                    raise
                log.info("deadlock in %s, retrying", fn.__name__)
        raise AssertionError("unreachable")

    return wrapper


# --- places ----------------------------------------------------------------------------------------


def take_place(session_id: int) -> bool:
    """Take one place of the session if it is still scheduled, not started and not full; True when
    taken. Call inside a transaction: the row stays locked (FOR NO KEY UPDATE) until it commits."""
    return (
        Session.objects.filter(
            pk=session_id,
            status=Session.Status.SCHEDULED,
            starts_at__gt=timezone.now(),
            places_taken__lt=F("capacity"),
        ).update(places_taken=F("places_taken") + 1)
        == 1
    )


def release_place(session_id: int) -> None:
    Session.objects.filter(pk=session_id).update(places_taken=F("places_taken") - 1)


def lock_session(session_id: int) -> Session:
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("program__municipality")
        .get(pk=session_id)
    )


def share_lock_session(session_id: int) -> None:
    """SELECT ... FOR KEY SHARE: waits for and blocks a cancellation or session change (they lock FOR
    UPDATE), not other waitlisters nor the conditional UPDATE of places_taken."""
    if connection.vendor != "postgresql":
        return  # SQLite (the embedded default) serialises every write transaction anyway
    with connection.cursor() as cursor:
        # The ORM has no FOR KEY SHARE; the table name is ours, the id a parameter.
        cursor.execute("SELECT id FROM portal_session WHERE id = %s FOR KEY SHARE", [session_id])


def _session_now(session_id: int) -> Session:
    """The session as it is now. Call once this transaction holds the session row (taken a place, or
    share_lock_session): from then on nobody can cancel or move it before this commit."""
    return Session.objects.select_related("program__municipality").get(pk=session_id)


def _refuse_unless_open(session: Session) -> None:
    """The session (read under the lock) must still take applications: staff may have cancelled it
    while this request waited."""
    if not session.is_ahead():
        raise NotEligible([Problem("not_open", _("この日程は募集していません。"))])


def lock_helper(helper_id: int) -> None:
    list(User.objects.select_for_update().filter(pk=helper_id).values_list("pk", flat=True))


def transition(
    application_id: int,
    *,
    from_statuses,
    to: str,
    actor: User | None,
    reason: str,
    **fields,
) -> Application:
    """Compare-and-set one application's status and write its history row; InvalidTransition when the
    row was not in one of `from_statuses` (someone else changed it first)."""
    now = timezone.now()
    changed = Application.objects.filter(pk=application_id, status__in=list(from_statuses)).update(
        status=to, updated_at=now, **fields
    )
    if changed != 1:
        raise InvalidTransition
    application = Application.objects.select_related("session__program").get(pk=application_id)
    Application.history.bulk_history_create(
        [application], update=True, default_user=actor, default_change_reason=reason
    )
    # Every status change passes here: pending reminders follow the new state (see reminders.py).
    reminders_plan(application, link=site_url("application_detail", application.pk))
    return application


# --- notifications ---------------------------------------------------------------------------------


def session_ics(application: Application, *, cancelled: bool = False) -> str:
    """The event for an accepted helper's calendar; its UID is stable per application."""
    return session_calendar(
        application.session,
        uid=f"application-{application.pk}@otagaisama",
        url=site_url("application_detail", application.pk),
        cancelled=cancelled,
    ).decode()


def tell_helper(
    application: Application, kind: str, subject: Text, body: Text, *, ics: bool = False
) -> None:
    """`subject` and `body` lazy (gettext_lazy) or callables: they are written in the helper's
    language, as are the date and the program's lines added here."""
    session = application.session
    link = site_url("application_detail", application.pk)
    notify(
        recipient_id=application.helper_id,
        municipality_id=session.program.municipality_id,
        kind=kind,
        object_key=f"application:{application.pk}",
        subject=subject,
        body=lambda: f"{render(body)}\n\n{session.program.title}\n{when_text(session)}\n{link}",
        ics=session_ics(application) if ics else "",
    )


def tell_hosts(session: Session, *, kind: str, object_key: str, subject: Text, body: Text) -> None:
    """The nushi's members and the municipality's staff, each in their language (`subject` and `body`
    lazy or callables, as for tell_helper)."""
    program = session.program
    for user_id in sorted(host_ids(session)):
        notify(
            recipient_id=user_id,
            municipality_id=program.municipality_id,
            kind=kind,
            object_key=object_key,
            subject=subject,
            body=lambda: f"{render(body)}\n\n{program.title}\n{when_text(session)}",
        )


# --- services --------------------------------------------------------------------------------------


def _accept_under_lock(session: Session, helper_id: int) -> None:
    """With a place already taken in this transaction: lock the helper and refuse an overlap."""
    lock_helper(helper_id)
    if overlapping_held(helper_id=helper_id, session=session).exists():
        raise Overlap


@_retrying
def application_submit(*, helper: User, session_id: int, message: str = "") -> Application:
    """Apply for a session. First come: accepted while places remain, then waitlisted. Selection: applied,
    waiting for the nushi or staff. Raises NotEligible with every reason, or Overlap."""
    with transaction.atomic(durable=True):
        # A first look, unlocked: every reason that can be explained at once. What it saw may change
        # while this waits for the row (see the module docstring), so nothing below decides on it.
        session = Session.objects.select_related("program__municipality").get(pk=session_id)
        problems = eligibility_problems(helper=helper, session=session)
        if problems:
            raise NotEligible(problems)
        if session.acceptance_mode != Session.AcceptanceMode.SELECTION and take_place(session_id):
            session = _session_now(session_id)
            _accept_under_lock(session, helper.pk)
            status = Status.ACCEPTED
        else:
            # Full, cancelled or a selection: wait for cancellations and session changes in flight
            # (see the module docstring), then look once more at the session as it is now.
            share_lock_session(session_id)
            session = _session_now(session_id)
            _refuse_unless_open(session)
            if session.acceptance_mode == Session.AcceptanceMode.SELECTION:
                status = Status.APPLIED
            elif take_place(session_id):
                _accept_under_lock(session, helper.pk)
                status = Status.ACCEPTED
            else:
                status = Status.WAITLISTED
        application = Application(
            session=session,
            helper=helper,
            message=message,
            status=status,
            decided_at=timezone.now() if status != Status.APPLIED else None,
        )
        application._history_user = helper
        application._change_reason = "submit"
        try:
            application.save()
        except IntegrityError:
            # portal_application_one_active_per_helper: a double submit raced the eligibility check.
            raise NotEligible(
                [Problem("already_applied", _("この日程にはすでに応募しています。"))]
            ) from None
        subjects = {
            Status.ACCEPTED: gettext_lazy("参加が確定しました"),
            Status.WAITLISTED: gettext_lazy("キャンセル待ちで受け付けました"),
            Status.APPLIED: gettext_lazy("応募を受け付けました（選考中）"),
        }
        tell_helper(
            application,
            f"application_{status}",
            subjects[status],
            subjects[status],
            ics=status == Status.ACCEPTED,
        )
        if status == Status.ACCEPTED:
            reminders_plan(application, link=site_url("application_detail", application.pk))
    return application


def _check_decision_time(session: Session, now: datetime) -> None:
    """Selection (選考): the nushi or staff decide until the application deadline, as the helpers were
    told when they applied. First come: taking someone off the waitlist by hand is possible until the
    start, like an automatic promotion."""
    if decisions_open(session, now):
        return
    if not session.is_ahead(now):
        raise TooLate(_("開始した日程や中止になった日程では、参加を確定できません。"))
    raise TooLate(_("申込締切を過ぎたため、選考の結果は変更できません。"))


@_retrying
def application_accept(
    *, application_id: int, actor: User, now: datetime | None = None
) -> Application:
    """The nushi or staff accept an applied (or waitlisted) helper. SessionFull / Overlap / TooLate."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session_id = Application.objects.values_list("session_id", flat=True).get(pk=application_id)
        # Decide on the session as it is now (staff may be cancelling or moving it): lock it first.
        session = lock_session(session_id)
        application = Application.objects.get(pk=application_id)
        _check_decision_time(session, now)
        if application.status not in (Status.APPLIED, Status.WAITLISTED):
            raise InvalidTransition
        if not take_place(session.pk):
            raise SessionFull
        _accept_under_lock(session, application.helper_id)
        application = transition(
            application_id,
            from_statuses=(Status.APPLIED, Status.WAITLISTED),
            to=Status.ACCEPTED,
            actor=actor,
            reason="accept",
            decided_at=timezone.now(),
        )
        tell_helper(
            application,
            "application_accepted",
            gettext_lazy("参加が確定しました"),
            gettext_lazy("参加が確定しました"),
            ics=True,
        )
    return application


def application_decline(
    *, application_id: int, actor: User, note: str = "", now: datetime | None = None
) -> Application:
    """The nushi or staff decline an applied or waitlisted helper (no place was held); TooLate after
    the deadline of a selection, or the start. `note`, if given, is the reason the helper is told."""
    note = note.strip()
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session = Session.objects.get(applications__pk=application_id)
        _check_decision_time(session, now)
        application = transition(
            application_id,
            from_statuses=(Status.APPLIED, Status.WAITLISTED),
            to=Status.DECLINED,
            actor=actor,
            reason="decline",
            decided_at=timezone.now(),
        )
        tell_helper(
            application,
            "application_declined",
            gettext_lazy("今回はお見送りとなりました"),
            lambda: (
                _("ご応募ありがとうございました。今回はお見送りとなりました。")
                + (("\n" + _("主催者より: %(note)s") % {"note": note}) if note else "")
            ),
        )
    return application


@_retrying
def application_cancel(
    *,
    application_id: int,
    actor: User,
    reason: str = "cancel",
    note: str = "",
    now: datetime | None = None,
) -> Application:
    """Cancel an application until the session starts. A held place is freed and the waitlist promoted
    in the same transaction. Within LATE_CANCELLATION_WINDOW of the start the cancellation is flagged as
    late and the nushi and staff are told (not once its times changed, by the rain date or an edit: then
    releasing is expected).

    The helper cancels their own; anyone else must be allowed by can_cancel_for_helper (staff) and give
    a `note`, the reason the helper is told. Only the helper's own cancellation can be late: a host's
    decision is never recorded as the helper's."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        session_id = Application.objects.values_list("session_id", flat=True).get(pk=application_id)
        # Lock the session first (the global lock order), so this cannot deadlock with a session change.
        session = lock_session(session_id)
        application = Application.objects.get(pk=application_id)
        by_helper = actor.pk == application.helper_id
        note = note.strip()
        if not by_helper:
            if not can_cancel_for_helper(actor, session):
                raise NotAllowed
            if not note:
                raise InvalidTransition(
                    _("取り消しの理由を入力してください（参加者に伝わります）。")
                )
        if now >= session.starts_at:
            raise TooLate(
                _("開始時刻を過ぎたため、キャンセルできません。主催者に直接ご連絡ください。")
            )
        held = application.status in Application.HOLDS_PLACE
        late = (
            by_helper
            and held
            and not session.times_changed  # moved (rain date, new times): releasing is expected
            and now >= session.starts_at - LATE_CANCELLATION_WINDOW
        )
        application = transition(
            application_id,
            from_statuses=(Status.APPLIED, Status.ACCEPTED, Status.WAITLISTED),
            to=Status.CANCELLED,
            actor=actor,
            reason=reason,
            cancelled_at=now,
            late_cancellation=late,
        )
        if held:
            release_place(session.pk)
            promote_waitlist(session_id=session.pk, actor=actor)
        if by_helper:
            tell_helper(
                application,
                "application_cancelled",
                gettext_lazy("キャンセルを受け付けました"),
                gettext_lazy("キャンセルを受け付けました。"),
            )
        else:
            tell_helper(
                application,
                "application_cancelled",
                gettext_lazy("参加が取り消されました"),
                lambda: _("事務局が参加を取り消しました。理由: %(note)s") % {"note": note},
            )
        if late:
            name = getattr(getattr(application.helper, "helper_profile", None), "display_name", "")
            tell_hosts(
                session,
                kind="late_cancellation",
                object_key=f"application:{application.pk}",
                subject=gettext_lazy("直前のキャンセルがありました"),
                body=lambda: (
                    _("%(name)sさんが開始48時間以内にキャンセルしました。") % {"name": name}
                ),
            )
    return application


def promote_waitlist(*, session_id: int, actor: User | None) -> list[Application]:
    """Fill free places from the waitlist in application order, skipping a helper who now holds an
    overlapping place. Call inside the transaction that freed the place, after locking the session."""
    session = Session.objects.select_related("program").get(pk=session_id)
    if not session.is_ahead():
        return []
    promoted: list[Application] = []
    skipped: list[int] = []
    while True:
        candidate = (
            Application.objects.filter(session_id=session_id, status=Status.WAITLISTED)
            .exclude(pk__in=skipped)
            .order_by("created_at", "pk")
            .first()
        )
        if candidate is None or not take_place(session_id):
            break
        lock_helper(candidate.helper_id)
        if overlapping_held(helper_id=candidate.helper_id, session=session).exists():
            release_place(session_id)
            skipped.append(candidate.pk)
            continue
        try:
            application = transition(
                candidate.pk,
                from_statuses=(Status.WAITLISTED,),
                to=Status.ACCEPTED,
                actor=actor,
                reason="promote",
                decided_at=timezone.now(),
            )
        except InvalidTransition:
            release_place(session_id)
            skipped.append(candidate.pk)
            continue
        tell_helper(
            application,
            "application_promoted",
            gettext_lazy("キャンセル待ちから参加確定になりました"),
            gettext_lazy("空きが出たため、キャンセル待ちから参加確定になりました。"),
            ics=True,
        )
        promoted.append(application)
    return promoted
