"""Bulk decisions on a session's applicants (the roster's 「選んだ人を採用」「残りをお断り」, after the
confirmation page): each application through the one-by-one decision services, so that capacity,
overlap and deadline are checked as for a single decision."""

from dataclasses import dataclass, field

from accounts.models import User
from accounts.selectors import public_name
from portal.models import Application, Session
from portal.permissions import can_manage_session
from portal.services import applications as application_services
from portal.services.errors import NotAllowed, ServiceError


@dataclass
class Decided:
    accepted: int = 0
    declined: int = 0
    # One line per application that could not be decided ("name: why"); the others were.
    problems: list[str] = field(default_factory=list)


def applications_decide(
    *,
    session: Session,
    accept_ids: list[int],
    decline_ids: list[int],
    actor: User,
    note: str = "",
) -> Decided:
    """Accept `accept_ids`, then decline `decline_ids` with `note` as the reason they are told.
    Each decision is its own transaction (the decision services are durable): one helper whose
    place cannot be given (full, overlapping, too late) is reported and the others still decided.
    Accepting first: a refusal there never turns into a decline."""
    if not can_manage_session(actor, session):
        raise NotAllowed
    rows = {
        a.pk: a
        for a in Application.objects.filter(
            session=session, pk__in=[*accept_ids, *decline_ids]
        ).select_related("helper__helper_profile")
    }
    decided = Decided()
    for pk in accept_ids:
        if pk in rows:
            try:
                application_services.application_accept(application_id=pk, actor=actor)
            except ServiceError as exc:
                decided.problems.append(f"{public_name(rows[pk].helper)}: {exc.message}")
            else:
                decided.accepted += 1
    for pk in decline_ids:
        if pk in rows:
            try:
                application_services.application_decline(application_id=pk, actor=actor, note=note)
            except ServiceError as exc:
                decided.problems.append(f"{public_name(rows[pk].helper)}: {exc.message}")
            else:
                decided.declined += 1
    return decided
