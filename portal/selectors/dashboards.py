"""Reads for the two dashboards people land on after signing in: staff's (their municipality's week,
what waits for a decision, the need queue, drafts with the nushi, failed notifications) and the nushi's
(their sessions, who waits for their decision, messages, thank-yous still to send, drafts to confirm).
Each is a handful of queries whatever the data (tests/portal/test_dashboards.py holds the budgets)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from accounts.permissions import organization_ids
from notifications import selectors as notification_selectors
from notifications.models import OutboxMessage
from portal.models import Application, Need, Program, Session, SessionMessage, ThankYou
from portal.permissions import nushi_scope, outbox_scope, staff_scope
from portal.selectors.needs import QUEUE_NEED_STATES
from portal.selectors.programs import nushi_programs_to_confirm

# How far back the nushi's dashboard looks for messages and for sessions still owed a thank-you.
RECENT = timedelta(days=30)
LIST_LIMIT = 20

_WAITING = Count("applications", filter=Q(applications__status=Application.Status.APPLIED))


def _start_of_today(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class StaffDashboard:
    today: Sequence[Session]
    week: Sequence[Session]  # after today, up to seven days from this morning
    waiting_sessions: Sequence[Session]  # each with `waiting`: applications waiting for a decision
    needs_by_status: dict[str, int]
    new_needs: list[Need]
    with_nushi: list[Program]
    failed_notifications: int

    @property
    def waiting_total(self) -> int:
        return sum(s.waiting for s in self.waiting_sessions)  # type: ignore[attr-defined]

    @property
    def needs_total(self) -> int:
        return sum(self.needs_by_status.values())


def staff_dashboard(user: User, now: datetime | None = None) -> StaffDashboard:
    """Queries: the staff member's municipalities (1, cached on the user), this week's sessions (1),
    sessions with applications waiting (1), the need counts (1), the newest needs (1), drafts with the
    nushi (1), failed notifications (1)."""
    now = now or timezone.now()
    morning = _start_of_today(now)
    week = list(
        staff_scope(
            user,
            Session.objects.filter(
                starts_at__gte=morning, starts_at__lt=morning + timedelta(days=7)
            )
            .exclude(status=Session.Status.CANCELLED)
            .select_related("program")
            .annotate(waiting=_WAITING)
            .order_by("starts_at", "pk"),
        )
    )
    tomorrow = morning + timedelta(days=1)
    waiting_sessions = list(
        staff_scope(
            user,
            Session.objects.filter(status=Session.Status.SCHEDULED, starts_at__gt=now)
            .annotate(waiting=_WAITING)
            .filter(waiting__gt=0)
            .select_related("program")
            .order_by("starts_at", "pk"),
        )[:LIST_LIMIT]
    )
    needs = staff_scope(user, Need.objects.filter(status__in=QUEUE_NEED_STATES))
    needs_by_status = dict(
        needs.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    new_needs = list(
        needs.filter(status=Need.Status.SUBMITTED)
        .select_related("nushi")
        .order_by("-created_at")[:5]
    )
    with_nushi = list(
        staff_scope(user, Program.objects.filter(status=Program.Status.PENDING_NUSHI))
        .select_related("nushi")
        .order_by("updated_at", "pk")[:LIST_LIMIT]
    )
    failed = notification_selectors.outbox_rows(
        outbox_scope(user), OutboxMessage.State.FAILED
    ).count()
    return StaffDashboard(
        today=[s for s in week if s.starts_at < tomorrow],
        week=[s for s in week if s.starts_at >= tomorrow],
        waiting_sessions=waiting_sessions,
        needs_by_status=needs_by_status,
        new_needs=new_needs,
        with_nushi=with_nushi,
        failed_notifications=failed,
    )


@dataclass(frozen=True)
class NushiDashboard:
    upcoming: Sequence[Session]  # each with `waiting`
    waiting: list[Application]
    messages: list[SessionMessage]
    thanks_due: Sequence[
        Session
    ]  # each with `attended`: helpers who came and have not been thanked
    to_confirm: list[Program]


def nushi_dashboard(user: User, now: datetime | None = None) -> NushiDashboard:
    """Queries: the user's organisations (1, cached on the user), upcoming sessions (1), applications
    waiting for a decision (1), recent messages from others (1), past sessions without a thank-you (1),
    drafts to confirm (1)."""
    now = now or timezone.now()
    orgs = organization_ids(user)
    upcoming = list(
        nushi_scope(user, Session.objects.filter(ends_at__gte=now))
        .exclude(status=Session.Status.CANCELLED)
        .select_related("program")
        .annotate(waiting=_WAITING)
        .order_by("starts_at", "pk")[:LIST_LIMIT]
    )
    waiting = list(
        Application.objects.filter(
            session__program__nushi_id__in=orgs,
            status=Application.Status.APPLIED,
            session__status=Session.Status.SCHEDULED,
            session__starts_at__gt=now,
        )
        .select_related("helper__helper_profile", "session__program")
        .order_by("session__starts_at", "created_at", "pk")[:50]
    )
    messages = list(
        SessionMessage.objects.filter(
            session__program__nushi_id__in=orgs, created_at__gte=now - RECENT
        )
        .exclude(author_id=user.pk)
        .select_related("session__program", "author__helper_profile")
        .order_by("-created_at", "-pk")[:10]
    )
    thanks_due = list(
        nushi_scope(
            user,
            Session.objects.filter(ends_at__lt=now, ends_at__gte=now - RECENT).exclude(
                status=Session.Status.CANCELLED
            ),
        )
        .filter(~Exists(ThankYou.objects.filter(session=OuterRef("pk"))))
        .annotate(
            attended=Count(
                "applications", filter=Q(applications__status=Application.Status.ATTENDED)
            )
        )
        .filter(attended__gt=0)
        .select_related("program")
        .order_by("-starts_at", "pk")[:LIST_LIMIT]
    )
    return NushiDashboard(
        upcoming=upcoming,
        waiting=waiting,
        messages=messages,
        thanks_due=thanks_due,
        to_confirm=list(nushi_programs_to_confirm(user)),
    )
