"""Reads for the helper's journey: eligibility (with reasons people can read), who may see a nushi's
contact details, who takes part in a session's thread, rosters and my-page lists.

The contact-visibility rule lives in `can_see_nushi_contact` and nowhere else."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import HelperProfile, User
from accounts.permissions import (
    is_member_of,
    is_staff_of,
    municipality_staff_ids,
    organization_member_ids,
)
from portal.models import Application, Program, Session, SessionMessage

# The nushi's phone and address stay visible to an accepted helper until this long after the session.
CONTACT_GRACE = timedelta(days=7)
# A helper's cancellation this close to the start is "late" and flagged to the nushi and staff.
LATE_CANCELLATION_WINDOW = timedelta(hours=48)
# Check-in opens this long before the start (people arrive early) and stays open until the session closes.
CHECKIN_OPENS_BEFORE = timedelta(hours=3)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


def _age_in_year(birth_year: int, when: datetime) -> int:
    # Only the birth year is known, so the rule is "turns N in the session's year" (年度内に満N歳).
    return timezone.localtime(when).year - birth_year


def overlapping_held(*, helper_id: int, session: Session) -> QuerySet[Application]:
    """The helper's applications holding a place in another session that overlaps this one in time."""
    return Application.objects.filter(
        helper_id=helper_id,
        status__in=Application.HOLDS_PLACE,
        session__starts_at__lt=session.ends_at,
        session__ends_at__gt=session.starts_at,
    ).exclude(session_id=session.pk)


def eligibility_problems(
    *, helper: User, session: Session, now: datetime | None = None
) -> list[Problem]:
    """Every reason this helper cannot apply for this session now; empty when they can.
    `session` should come with `program__municipality` selected."""
    now = now or timezone.now()
    program = session.program
    problems: list[Problem] = []
    if session.status != Session.Status.SCHEDULED or program.status != Program.Status.PUBLISHED:
        problems.append(Problem("not_open", _("この日程は募集していません。")))
    elif now > session.apply_deadline:
        deadline = date_format(timezone.localtime(session.apply_deadline), _("Y年n月j日 H:i"))
        problems.append(
            Problem(
                "deadline", _("申込締切（%(deadline)s）を過ぎています。") % {"deadline": deadline}
            )
        )
    profile = HelperProfile.objects.filter(user_id=helper.pk).first()
    if profile is None or not profile.is_complete:
        problems.append(
            Problem(
                "profile_incomplete",
                _(
                    "応募するには、プロフィール（表示名・お住まい・生まれた年）を完成させてください。"
                ),
            )
        )
    if (
        profile is not None
        and profile.birth_year
        and program.min_age
        and _age_in_year(profile.birth_year, session.starts_at) < program.min_age
    ):
        problems.append(
            Problem(
                "min_age",
                _("このプログラムは%(age)d歳以上の方が対象です。") % {"age": program.min_age},
            )
        )
    if program.residents_only:
        municipality = program.municipality
        lives_there = (
            profile is not None
            and profile.home_prefecture == municipality.prefecture
            and profile.home_municipality.startswith(municipality.name)
        )
        if not lives_there:
            problems.append(
                Problem(
                    "residents_only",
                    _("このプログラムは%(name)s内にお住まいの方限定です。")
                    % {"name": municipality.name},
                )
            )
    if Application.objects.filter(
        session=session, helper_id=helper.pk, status__in=Application.ACTIVE
    ).exists():
        problems.append(Problem("already_applied", _("この日程にはすでに応募しています。")))
    clash = (
        overlapping_held(helper_id=helper.pk, session=session)
        .select_related("session__program")
        .first()
    )
    if clash is not None:
        problems.append(
            Problem(
                "overlap",
                _("同じ時間帯に参加が確定している「%(title)s」があります。")
                % {"title": clash.session.program.title},
            )
        )
    return problems


def decisions_open(session: Session, now: datetime | None = None) -> bool:
    """Whether the nushi or staff may still accept or decline: a selection (選考) until the application
    deadline, as its applicants were told; a first-come waitlist until the start."""
    now = now or timezone.now()
    if not session.is_ahead(now):
        return False
    return not (
        session.acceptance_mode == Session.AcceptanceMode.SELECTION and now > session.apply_deadline
    )


def can_see_nushi_contact(user: User, session: Session) -> bool:
    """The one rule for the nushi's phone and exact address: staff of the municipality and the nushi's own
    members always; a helper only while their application for *this* session holds a place (accepted or
    attended), up to CONTACT_GRACE after the session ends. `session.program` should be selected."""
    if not user.is_authenticated:
        return False
    program = session.program
    if is_staff_of(user, program.municipality_id) or is_member_of(user, program.nushi_id):
        return True
    if timezone.now() > session.ends_at + CONTACT_GRACE:
        return False
    return Application.objects.filter(
        session=session, helper_id=user.pk, status__in=Application.HOLDS_PLACE
    ).exists()


def public_name(user: User) -> str:
    """How a helper is named to hosts and to the other participants: their display name only, never
    their email or full name (which str(user) gives)."""
    profile = getattr(user, "helper_profile", None)
    return (profile.display_name if profile else "") or _("（表示名未設定）")


def can_manage_session(user: User, session: Session) -> bool:
    """Roster, decisions, check-in, attendance, thank-you: the nushi's members and the municipality's staff."""
    program = session.program
    return is_staff_of(user, program.municipality_id) or is_member_of(user, program.nushi_id)


def can_cancel_for_helper(user: User, session: Session) -> bool:
    """Taking an accepted helper's place away: staff of the municipality only. The nushi declines
    applicants (with a reason) or asks staff; a host's action is never the helper's cancellation."""
    return is_staff_of(user, session.program.municipality_id)


def can_use_thread(user: User, session: Session) -> bool:
    """The session's message thread: staff, the nushi's members, helpers holding a place."""
    if not user.is_authenticated:
        return False
    if can_manage_session(user, session):
        return True
    return Application.objects.filter(
        session=session, helper_id=user.pk, status__in=Application.HOLDS_PLACE
    ).exists()


def can_use_private_thread(user: User, application: Application) -> bool:
    """One application's private thread: its helper (whatever the application's state: they may ask
    before a decision) and the hosts, the nushi's members and the municipality's staff. Never another
    helper of the session. `application.session.program` should be selected."""
    if not user.is_authenticated:
        return False
    return user.pk == application.helper_id or can_manage_session(user, application.session)


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


def helper_applications(user: User) -> tuple[list[Application], list[Application]]:
    """(upcoming, past) applications of a helper, each with session and program (3 queries at most)."""
    now = timezone.now()
    rows = list(
        Application.objects.filter(helper=user)
        .select_related("session__program__municipality")
        .prefetch_related(Prefetch("impression"))
        .order_by("session__starts_at", "pk")
    )
    upcoming = [a for a in rows if a.session.ends_at >= now]
    past = [a for a in rows if a.session.ends_at < now][::-1]
    return upcoming, past


def nushi_sessions(user: User) -> QuerySet[Session]:
    """Sessions of the programs of every organisation the user acts for, recent and upcoming first."""
    now = timezone.now()
    return (
        Session.objects.filter(
            program__nushi__memberships__user=user,
            ends_at__gte=now - timedelta(days=30),
        )
        .filter(~Q(status=Session.Status.CANCELLED))
        .select_related("program")
        .order_by("starts_at")
    )


def mypage_context(user: User) -> dict:
    """My page: the helper's upcoming and past applications; sessions the user hosts as nushi."""
    upcoming, past = helper_applications(user)
    return {
        "my_upcoming": upcoming,
        "my_past": past[:20],
        "my_host_sessions": list(nushi_sessions(user)[:30]),
    }
