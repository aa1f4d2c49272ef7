"""Reads of sessions: staff's session, when decisions are open, a session's hosts, its threads and roster,
a nushi's sessions."""

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import municipality_staff_ids, organization_member_ids
from accounts.selectors import public_name
from portal.models import Application, Session, SessionMessage
from portal.permissions import nushi_scope, staff_scope


def session_for_staff(user: User, pk: int) -> Session:
    return get_object_or_404(staff_scope(user, Session.objects.select_related("program")), pk=pk)


# Check-in opens this long before the start (people arrive early) and stays open until the session closes.
CHECKIN_OPENS_BEFORE = timedelta(hours=3)


def checkin_opens_at(session: Session) -> datetime:
    return session.starts_at - CHECKIN_OPENS_BEFORE


def checkin_open(session: Session, now: datetime | None = None) -> bool:
    """Whether hosts may check helpers in: the one rule, which attendance_check_in applies under the
    session's lock and the pages use to show the 受付 button (before, they say from when)."""
    now = now or timezone.now()
    return session.status == Session.Status.SCHEDULED and now >= checkin_opens_at(session)


def program_sessions_to_cancel(program_id: int, now: datetime) -> QuerySet[Session]:
    """The sessions a program's cancellation cancels: the scheduled ones not yet started."""
    return Session.objects.filter(
        program_id=program_id, status=Session.Status.SCHEDULED, starts_at__gt=now
    ).order_by("pk")


def decisions_open(session: Session, now: datetime | None = None) -> bool:
    """Whether the nushi or staff may still accept or decline: a selection (選考) until the application
    deadline, as its applicants were told; a first-come waitlist until the start."""
    now = now or timezone.now()
    if not session.is_ahead(now):
        return False
    return not (
        session.acceptance_mode == Session.AcceptanceMode.SELECTION and now > session.apply_deadline
    )


def host_ids(session: Session) -> set[int]:
    """The hosts of a session: the nushi's members and the municipality's staff."""
    program = session.program
    return set(organization_member_ids(program.nushi_id)) | set(
        municipality_staff_ids(program.municipality_id)
    )


def thread_messages(
    session: Session, application: Application | None = None
) -> list[SessionMessage]:
    """The group thread (no `application`) or one application's private thread, in order, each message
    with `author_label`: the nushi's name for its members, 事務局 for staff, a helper's display name
    (never an email or full name, which every participant would read)."""
    program = session.program
    members = set(organization_member_ids(program.nushi_id))
    staff = set(municipality_staff_ids(program.municipality_id))
    messages = list(
        SessionMessage.objects.filter(session=session, application=application).select_related(
            "author__helper_profile"
        )
    )
    for message in messages:
        if message.author_id in members:
            message.author_label = _("%(name)s（主催者）") % {"name": program.nushi.name}
        elif message.author_id in staff:
            message.author_label = _("事務局")
        else:
            message.author_label = public_name(message.author)
    return messages


def roster(session: Session) -> QuerySet[Application]:
    """One session's applications with the helper's profile, in application order."""
    return (
        Application.objects.filter(session=session)
        .select_related("helper__helper_profile", "attendance")
        .order_by("created_at", "pk")
    )


def nushi_sessions(user: User) -> QuerySet[Session]:
    """Sessions of the programs of every organisation the user acts for, recent and upcoming first."""
    now = timezone.now()
    return (
        nushi_scope(user, Session.objects.filter(ends_at__gte=now - timedelta(days=30)))
        .filter(~Q(status=Session.Status.CANCELLED))
        .select_related("program")
        .order_by("starts_at")
    )
