"""Who may see or do what with the marketplace's objects: every such rule lives here; views, selectors and
services ask these functions and never restate them. Roles (staff of, member of) are accounts.permissions.

Two kinds of rule:
- scopes (`staff_scope`, `nushi_scope`, `helper_scope`, `public_programs`): narrow a queryset to the
  rows the user may see, for lists and for fetching one object or 404 (an outsider cannot learn what
  exists);
- predicates (`can_...`): whether the user may see or do something with one object they already have.
"""

from datetime import timedelta

from django.db.models import Model, QuerySet
from django.utils import timezone

from accounts.models import Organization, User
from accounts.permissions import (
    is_member_of,
    is_staff_of,
    organization_ids,
    scope_to_staff,
    staff_municipality_ids,
)
from accounts.scoping import municipality_path
from portal.models import ActivityReport, Application, Impression, Program, Session, ThankYou

# A program anyone may read: published, or closed (past programs stay readable).
PUBLIC_PROGRAM_STATES = (Program.Status.PUBLISHED, Program.Status.CLOSED)


def staff_scope[M: Model](user: User, queryset: QuerySet[M]) -> QuerySet[M]:
    """Staff see and change only their own municipality's rows (superusers all): any model with a
    path to a municipality (accounts.scoping finds it from the foreign keys)."""
    path = municipality_path(queryset.model)
    if path is None:
        raise ValueError(f"{queryset.model.__name__} belongs to no municipality")
    return scope_to_staff(queryset, user, path)


def nushi_scope[M: Model](user: User, queryset: QuerySet[M]) -> QuerySet[M]:
    """A nushi's members see their organisations' needs, programs and sessions; nobody else's."""
    path = {"Need": "nushi_id", "Program": "nushi_id", "Session": "program__nushi_id"}[
        queryset.model.__name__
    ]
    return queryset.filter(**{f"{path}__in": organization_ids(user)})


def helper_scope(user: User, queryset: QuerySet[Application]) -> QuerySet[Application]:
    """A helper sees their own applications only (another helper's does not exist for them)."""
    return queryset.filter(helper_id=user.pk)


def is_nushi(user: User) -> bool:
    """Acts for at least one organisation (has a nushi section on my page)."""
    return bool(organization_ids(user))


def public_programs(queryset: QuerySet[Program]) -> QuerySet[Program]:
    """Programs anyone may read, signed in or not."""
    return queryset.filter(status__in=PUBLIC_PROGRAM_STATES)


def public_nushi(queryset: QuerySet[Organization]) -> QuerySet[Organization]:
    """Nushi anyone may read about (their page: name, story, programs, reports, thank-yous): those
    hosting at least one public program. Never their phone or address (can_see_nushi_contact)."""
    return queryset.filter(
        pk__in=Program.objects.filter(status__in=PUBLIC_PROGRAM_STATES).values("nushi_id")
    )


def public_impressions(queryset: QuerySet[Impression]) -> QuerySet[Impression]:
    """Helpers' impressions shown on public pages: only those the helper agreed to publish, of a
    session they attended, of a public program. Shown with the helper's display name only."""
    return queryset.filter(
        may_publish=True,
        application__status=Application.Status.ATTENDED,
        application__session__program__status__in=PUBLIC_PROGRAM_STATES,
    )


def public_thank_yous(queryset: QuerySet[ThankYou]) -> QuerySet[ThankYou]:
    """A nushi's thank-yous, shown on their public page (the thank-you form says so), for sessions of
    public programs. Text only: the photos went to the helpers who came."""
    return queryset.filter(session__program__status__in=PUBLIC_PROGRAM_STATES)


def public_activity_reports(queryset: QuerySet[ActivityReport]) -> QuerySet[ActivityReport]:
    """Activity reports anyone may read: published, of a public program."""
    return queryset.filter(
        status=ActivityReport.Status.PUBLISHED, program__status__in=PUBLIC_PROGRAM_STATES
    )


def is_public_program(program: Program) -> bool:
    return program.status in PUBLIC_PROGRAM_STATES


def can_preview_program(user: User, program: Program) -> bool:
    """A draft through its preview link: the nushi's members and the municipality's staff."""
    return is_member_of(user, program.nushi_id) or is_staff_of(user, program.municipality_id)


def can_confirm_program(user: User, program: Program) -> bool:
    """Confirming a draft or asking for changes: the nushi's members only (staff may look)."""
    return is_member_of(user, program.nushi_id)


def can_confirm_for_nushi(user: User, program: Program) -> bool:
    """Recording the nushi's confirmation given to staff by phone, on paper or at a visit: staff of the
    municipality (the nushi may not use the web, as at intake)."""
    return is_staff_of(user, program.municipality_id)


def can_change_session(user: User, session: Session) -> bool:
    """Cancelling a session, moving it to its rain date, drafting its activity report: staff of the
    municipality only. `session.program` should be selected."""
    return is_staff_of(user, session.program.municipality_id)


def can_correct_attendance(user: User, session: Session) -> bool:
    """Correcting attended <-> no-show after a session is closed (points follow): staff of the
    municipality only, never the nushi (who marks attendance before closing). `session.program`
    should be selected."""
    return can_change_session(user, session)


def outbox_scope(user: User) -> set[int] | None:
    """The municipalities whose failed notifications this staff member sees; None for superusers (all,
    and the messages about no municipality)."""
    return None if user.is_superuser else staff_municipality_ids(user)


# The nushi's phone and address stay visible to an accepted helper until this long after the session.
CONTACT_GRACE = timedelta(days=7)


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


def can_see_online_details(user: User, program: Program) -> bool:
    """An online program's join link and instructions, private like the nushi's address: staff of the
    municipality and the nushi's members always; a helper while an application of theirs for one of
    the program's sessions holds a place, up to CONTACT_GRACE after that session ends."""
    if not user.is_authenticated:
        return False
    if is_staff_of(user, program.municipality_id) or is_member_of(user, program.nushi_id):
        return True
    return Application.objects.filter(
        session__program_id=program.pk,
        session__ends_at__gte=timezone.now() - CONTACT_GRACE,
        helper_id=user.pk,
        status__in=Application.HOLDS_PLACE,
    ).exists()


def can_host_program(user: User, program: Program) -> bool:
    """Hosting a program's sessions: the nushi's members and the municipality's staff."""
    return is_staff_of(user, program.municipality_id) or is_member_of(user, program.nushi_id)


def can_manage_session(user: User, session: Session) -> bool:
    """Roster, decisions, check-in, attendance, thank-you, the invitation candidates and the allocation
    proposal (matching): the session's hosts."""
    return can_host_program(user, session.program)


def can_cancel_for_helper(user: User, session: Session) -> bool:
    """Taking an accepted helper's place away: staff of the municipality only. The nushi declines
    applicants (with a reason) or asks staff; a host's action is never the helper's cancellation."""
    return can_change_session(user, session)


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
