"""Reads for the helper's journey: eligibility (with reasons people can read), names shown to others, and
the my-page lists."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import HelperProfile, Municipality, User
from portal.models import Application, Program, Session
from portal.selectors.sessions import nushi_sessions

# A helper's cancellation this close to the start is "late" and flagged to the nushi and staff.
LATE_CANCELLATION_WINDOW = timedelta(hours=48)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


def _age_in_year(birth_year: int, when: datetime) -> int:
    # Only the birth year is known, so the rule is "turns N in the session's year" (年度内に満N歳).
    return timezone.localtime(when).year - birth_year


def lives_in(profile: HelperProfile | None, municipality: Municipality) -> bool:
    """The residents-only rule (市内在住の方限定): the profile's home is in that municipality."""
    return profile is not None and lives_in_home(
        profile.home_prefecture,
        profile.home_municipality,
        prefecture=municipality.prefecture,
        name=municipality.name,
    )


def lives_in_home(
    home_prefecture: str, home_municipality: str, *, prefecture: str, name: str
) -> bool:
    """lives_in on plain values (the matching engine's features read 100,000 profiles as values)."""
    return home_prefecture == prefecture and home_municipality.startswith(name)


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
        if not lives_in(profile, municipality):
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


def mypage_context(user: User) -> dict:
    """My page: the helper's upcoming and past applications; sessions the user hosts as nushi."""
    upcoming, past = helper_applications(user)
    return {
        "my_upcoming": upcoming,
        "my_past": past[:20],
        "my_host_sessions": list(nushi_sessions(user)[:30]),
    }
