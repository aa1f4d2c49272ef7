"""Reads of sessions: staff's session, when decisions are open, a session's hosts, its threads and roster,
a nushi's sessions."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Skill, User
from accounts.permissions import municipality_staff_ids, organization_member_ids
from accounts.selectors import age_band, name_tag, public_name
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


@dataclass(frozen=True)
class RosterRow:
    """What a host needs to choose and greet a helper: the application (its message, its state), the
    display name with a tag telling two helpers of one name apart, home prefecture, age band,
    skills, and how often they helped before: in this municipality and anywhere."""

    application: Application
    name_tag: str
    home_prefecture: str
    age_band: str
    skills: list[str]
    helped_here: int
    helped_total: int


def roster_rows(session: Session) -> list[RosterRow]:
    """The roster's rows in application order. Queries: the applications with their profiles (1), the
    helpers' earlier attendance, here and anywhere (1). `session.program` should be selected."""
    applications = list(roster(session))
    helped: dict[int, tuple[int, int]] = {
        row["helper_id"]: (row["here"], row["total"])
        for row in Application.objects.filter(
            helper_id__in={a.helper_id for a in applications},
            status=Application.Status.ATTENDED,
        )
        .exclude(session_id=session.pk)
        .values("helper_id")
        .annotate(
            total=Count("pk"),
            here=Count(
                "pk", filter=Q(session__program__municipality_id=session.program.municipality_id)
            ),
        )
    }
    rows = []
    for application in applications:
        profile = getattr(application.helper, "helper_profile", None)
        here, total = helped.get(application.helper_id, (0, 0))
        rows.append(
            RosterRow(
                application=application,
                name_tag=name_tag(profile) if profile else "",
                home_prefecture=profile.home_prefecture if profile else "",
                age_band=age_band(profile, session.starts_at) if profile else "",
                skills=[str(Skill(c).label) for c in profile.skills if c in Skill.values]
                if profile
                else [],
                helped_here=here,
                helped_total=total,
            )
        )
    return rows


@dataclass(frozen=True)
class RosterSection:
    key: str
    title: str
    rows: list[RosterRow]


# The roster's sections in order, each listing the applications in its states. The 確定 count the
# roster shows is the number of rows its first section lists (the states that hold a place, as
# Session.places_taken counts them), so the count and the rows under it cannot disagree.
ROSTER_SECTIONS = (
    ("held", gettext_lazy("参加確定"), Application.HOLDS_PLACE),
    (
        "waiting",
        gettext_lazy("選考中・キャンセル待ち"),
        (Application.Status.APPLIED, Application.Status.WAITLISTED),
    ),
    ("no_show", gettext_lazy("欠席"), (Application.Status.NO_SHOW,)),
    (
        "closed",
        gettext_lazy("お見送り・キャンセル"),
        (Application.Status.DECLINED, Application.Status.CANCELLED),
    ),
)


def roster_sections(rows: list[RosterRow]) -> list[RosterSection]:
    return [
        RosterSection(
            key=key,
            title=str(title),
            rows=[row for row in rows if row.application.status in states],
        )
        for key, title, states in ROSTER_SECTIONS
    ]


def nushi_sessions(user: User) -> QuerySet[Session]:
    """Sessions of the programs of every organisation the user acts for, recent and upcoming first."""
    now = timezone.now()
    return (
        nushi_scope(user, Session.objects.filter(ends_at__gte=now - timedelta(days=30)))
        .filter(~Q(status=Session.Status.CANCELLED))
        .select_related("program")
        .order_by("starts_at")
    )
