"""What an action that cannot be undone will tell whom, for its confirmation page: the recipients in
groups (helpers by the state of their application, the nushi, the hosts), each group with the message it
will receive, rendered from the kind's templates in the page's language.

The notices themselves decide who is told and with what (notices.dry_run collects what they would
write), so a preview cannot drift from what the service then sends. Nothing is written."""

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import municipality_staff_ids, organization_member_ids
from accounts.selectors import public_name
from notifications.rendering import Rendered, one_line_subject, render_message
from portal import notices
from portal.models import Application, Program, Session
from portal.selectors.applications import overlapping_held
from portal.selectors.sessions import program_sessions_to_cancel

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Status = Application.Status
# The applications a session change reaches, in the order the groups are shown.
OPEN = (Status.ACCEPTED, Status.APPLIED, Status.WAITLISTED)
GROUP_LABELS: dict[str, "StrOrPromise"] = {
    Status.ACCEPTED: gettext_lazy("参加確定の方"),
    Status.APPLIED: gettext_lazy("選考中の方"),
    Status.WAITLISTED: gettext_lazy("キャンセル待ちの方"),
}


@dataclass
class Group:
    """People who receive one message: `names` are helpers' display names, or the nushi's name."""

    label: str
    names: list[str]
    count: int
    message: Rendered


@dataclass
class Preview:
    groups: list[Group] = field(default_factory=list)

    @property
    def told(self) -> int:
        return sum(group.count for group in self.groups)


def _render(told: notices.Told) -> Rendered:
    rendered = render_message(
        told.kind, {**told.context, "site_url": settings.SITE_URL}, translation.get_language()
    )
    return replace(rendered, subject=one_line_subject(rendered.subject))


def _dry(call: Callable[[], None]) -> list[notices.Told]:
    with notices.dry_run() as told:
        call()
    return told


def _by_status(application: Application) -> str:
    return str(GROUP_LABELS[application.status])


def _helper_groups(
    applications: Iterable[Application],
    notice: Callable[[Application], None],
    label_of: Callable[[Application], str] = _by_status,
) -> list[Group]:
    """One group per label (by default the application's state), each with the message its first
    member receives (the others' differ only in their own page's link)."""
    groups: dict[str, Group] = {}
    for application in applications:
        label = label_of(application)
        name = public_name(application.helper)
        if label in groups:
            groups[label].names.append(name)
            groups[label].count += 1
            continue
        with notices.dry_run() as told:
            notice(application)
        groups[label] = Group(label=label, names=[name], count=1, message=_render(told[0]))
    return list(groups.values())


def _host_group(session: Session, told: list[notices.Told]) -> Group | None:
    """The hosts' copy: the nushi's members and the municipality's staff."""
    if not told:
        return None
    program = session.program
    members = set(organization_member_ids(program.nushi_id))
    staff = set(municipality_staff_ids(program.municipality_id)) - members
    names = (
        [_("%(name)s %(n)d人") % {"name": program.nushi.name, "n": len(members)}] if members else []
    )
    if staff:
        names.append(_("事務局 %(n)d人") % {"n": len(staff)})
    return Group(label=_("ヌシと事務局"), names=names, count=len(told), message=_render(told[0]))


def _open_applications(session_ids: Iterable[int]) -> list[Application]:
    applications = list(
        Application.objects.filter(session_id__in=list(session_ids), status__in=OPEN)
        .select_related("helper__helper_profile", "session__program")
        .order_by("session__starts_at", "created_at", "pk")
    )
    return sorted(applications, key=lambda a: OPEN.index(a.status))


def session_cancel_preview(session: Session, *, reason: str) -> Preview:
    """What session_cancel tells: each helper with an open application, then the hosts."""
    applications = _open_applications([session.pk])
    groups = _helper_groups(
        applications,
        lambda a: notices.notice_session_cancelled_to_helper(
            a, reason=reason, had_place=a.status == Status.ACCEPTED
        ),
    )
    hosts = _host_group(
        session, _dry(lambda: notices.notice_session_cancelled(session, reason=reason))
    )
    return Preview(groups=[*groups, *([hosts] if hosts else [])])


def session_rain_date_preview(session: Session) -> Preview:
    """What session_move_to_rain_date tells, on the session as it will be: an accepted helper whose
    rain date overlaps another place they hold loses this one (their own message), everyone else
    with an open application hears of the move, then the hosts."""
    if session.rain_starts_at is None or session.rain_ends_at is None:
        raise ValueError("the session has no rain date")
    moved = Session(
        pk=session.pk,
        program=session.program,
        starts_at=session.rain_starts_at,
        ends_at=session.rain_ends_at,
        moved_to_rain_date=True,
        times_changed=session.times_changed + 1,
    )
    applications = _open_applications([session.pk])
    for application in applications:
        application.session = moved
    released = {
        a.pk
        for a in applications
        if a.status == Status.ACCEPTED
        and overlapping_held(helper_id=a.helper_id, session=moved).exists()
    }
    released_label = _("参加確定の方のうち、予備日が別の参加と重なるため取り消しになる方")

    def notice(application: Application) -> None:
        if application.pk in released:
            notices.notice_session_moved_released(application, before=session, rain_date=True)
        else:
            notices.notice_session_moved_to_helper(application, before=session, rain_date=True)

    groups = _helper_groups(
        applications,
        notice,
        label_of=lambda a: released_label if a.pk in released else _by_status(a),
    )
    hosts = _host_group(
        session,
        _dry(lambda: notices.notice_session_moved(moved, before=session, rain_date=True)),
    )
    return Preview(groups=[*groups, *([hosts] if hosts else [])])


def program_cancel_preview(program: Program, *, reason: str) -> tuple[Preview, list[Session]]:
    """What program_cancel tells, and the sessions it cancels: every helper with an open application
    on one of them (the hosts of the program are not told by it)."""
    sessions = list(program_sessions_to_cancel(program.pk, timezone.now()))
    groups = _helper_groups(
        _open_applications(s.pk for s in sessions),
        lambda a: notices.notice_session_cancelled_to_helper(
            a, reason=reason, had_place=a.status == Status.ACCEPTED
        ),
    )
    return Preview(groups=groups), sessions


def program_reject_preview(program: Program, *, reason: str) -> Preview:
    """What program_reject tells: the nushi's members, with the reason."""
    rejected = copy.copy(program)
    rejected.status_note = reason  # what the notice reads the reason from
    told = _dry(lambda: notices.notice_program_rejected(rejected))
    if not told:
        return Preview()
    return Preview(
        groups=[
            Group(
                label=_("ヌシ"),
                names=[program.nushi.name],
                count=len(told),
                message=_render(told[0]),
            )
        ]
    )


def decisions_preview(
    *, accept: list[Application], decline: list[Application], note: str
) -> Preview:
    """What a bulk decision tells (portal.services.decisions): the helpers to be accepted their
    acceptance, the helpers to be declined their decline with `note`; each on the application as it
    will be."""
    declining = {a.pk for a in decline}
    several = len({a.session_id for a in [*accept, *decline]}) > 1

    def label_of(application: Application) -> str:
        """By decision, and by session when they span several (each is told its own date)."""
        if application.pk in declining:
            label = _("お見送りになる方（下の理由が届きます）")
        else:
            label = _("参加確定になる方")
        if not several:
            return label
        when = date_format(timezone.localtime(application.session.starts_at), _("n月j日(D) H:i"))
        return f"{when} {label}"

    def as_decided(application: Application) -> Application:
        decided = copy.copy(application)
        decided.status = Status.DECLINED if application.pk in declining else Status.ACCEPTED
        return decided

    def notice(application: Application) -> None:
        if application.pk in declining:
            notices.notice_application_declined(as_decided(application), note=note)
        else:
            notices.notice_application_accepted(as_decided(application))

    return Preview(groups=_helper_groups([*accept, *decline], notice, label_of=label_of))
