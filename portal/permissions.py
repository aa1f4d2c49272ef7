"""Who may see or do what with the marketplace's objects: every such rule lives here, views and
services ask these functions. Roles (staff of, member of) are accounts.permissions."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from accounts.permissions import (
    is_member_of,
    is_staff_of,
)
from portal.models import Application, Session

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
