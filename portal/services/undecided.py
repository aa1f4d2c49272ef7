"""Applications nobody can decide any more. A selection (選考) is decided by its application deadline and
a first-come waitlist by the start (portal.selectors.sessions.decisions_open). After that, helpers still
waiting (選考中, キャンセル待ち) are told it did not work out this time, instead of waiting for an answer
that cannot come. A day before a selection closes, the nushi and staff are reminded of the applications
still waiting for them. A beat task runs `sweep` every few minutes (portal/tasks.py)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.services import site_url
from portal.models import Application, Session
from portal.selectors.sessions import decisions_open
from portal.services._state import InvalidTransition
from portal.services.applications import tell_helper, tell_hosts, transition

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
        if status == Status.APPLIED:
            subject = gettext_lazy("今回はお見送りとなりました")
            body = gettext_lazy(
                "選考の締切までに参加が決まらなかったため、今回はお見送りとなりました。"
                "ご応募ありがとうございました。"
            )
        else:
            subject = gettext_lazy("キャンセル待ちを終了しました")
            body = gettext_lazy(
                "開催日を迎えたため、キャンセル待ちを終了しました。ご応募ありがとうございました。"
            )
        with transaction.atomic():
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
            tell_helper(application, "application_declined", subject, body)
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
        with transaction.atomic():
            tell_hosts(
                session,
                kind="selection_due",
                object_key=f"session:{session.pk}",
                subject=lambda: _("選考の締切が近づいています"),
                # mypy cannot type a lambda whose default binds the loop variable (a zero-argument call).
                body=lambda session=session: (  # type: ignore[misc]
                    _(
                        "選考待ちの応募が%(count)d件あります。申込締切（%(deadline)s）までに、参加の確定か"
                        "お見送りを決めてください。締切を過ぎると、決まっていない応募はお見送りとして"
                        "お知らせします。"
                    )
                    % {"count": session.waiting, "deadline": _deadline_text(session)}
                    + "\n"
                    + site_url("session_roster", session.pk)
                ),
            )
        reminded += 1
    return reminded


def _deadline_text(session: Session) -> str:
    return date_format(timezone.localtime(session.apply_deadline), _("Y年n月j日 H:i"))


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
