"""Needs (困りごと): intake by a resident or by staff on their behalf, edits, withdrawal, rejection.

Needs move submitted → in_design (staff start a program: programs.program_create_from_need)
→ published (its program is published); or → rejected (staff, with a reason) / withdrawn (the
nushi).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import (
    Municipality,
    Organization,
    OrganizationMembership,
    User,
)
from accounts.scoping import require_one_municipality
from portal import notices
from portal.models import Need
from portal.services._state import InvalidTransition, record_history, transition

# What a nushi may still change themselves: before staff start designing, the need is theirs.
NUSHI_EDITABLE = (Need.Status.SUBMITTED,)
NEED_FIELDS = (
    "district", "title", "description", "meeting_place", "postal_code", "address",
    "preferred_dates", "dates_flexible", "helpers_wanted", "okaeshi", "photo",
)  # fmt: skip


@transaction.atomic
def individual_nushi_create(*, user: User, municipality: Municipality, name: str) -> Organization:
    """A resident without an organisation posts as an individual nushi (団体の種類「個人」)."""
    organization = Organization.objects.create(
        municipality=municipality, name=name, kind=Organization.Kind.INDIVIDUAL
    )
    OrganizationMembership.objects.create(
        organization=organization, user=user, role=OrganizationMembership.Role.REPRESENTATIVE
    )
    user._organization_ids = None  # the permission cache on this user object is now stale
    return organization


@transaction.atomic
def need_submit(
    *,
    created_by: User,
    nushi: Organization,
    data: dict,
    channel: str = Need.Channel.WEB,
) -> Need:
    """Record a need (from the web form, or entered by staff from a phone call or paper) and tell
    the municipality's staff, in the same transaction."""
    values = {k: v for k, v in data.items() if k in NEED_FIELDS}
    need = Need(
        municipality_id=nushi.municipality_id,
        nushi=nushi,
        created_by=created_by,
        channel=channel,
        **values,
    )
    require_one_municipality(need)
    need.full_clean()
    need._history_user = created_by
    need.save()
    notices.notice_need_submitted(need)
    return need


@transaction.atomic
def need_update(*, need: Need, by: User, data: dict) -> Need:
    """The nushi corrects their need while it is still waiting for staff."""
    locked = Need.objects.select_for_update().get(pk=need.pk)
    if locked.status not in NUSHI_EDITABLE:
        raise InvalidTransition(
            _("事務局がプログラムの作成を始めたため、変更は事務局にご連絡ください。")
        )
    for key, value in data.items():
        if key in NEED_FIELDS:
            setattr(locked, key, value)
    require_one_municipality(locked, names=data)
    locked.full_clean()
    locked._history_user = by
    locked.save()
    return locked


@transaction.atomic
def need_withdraw(*, need: Need, by: User) -> Need:
    return transition(
        need,
        from_states=[Need.Status.SUBMITTED, Need.Status.IN_DESIGN],
        to_state=Need.Status.WITHDRAWN,
        by=by,
        reason="withdrawn",
    )


@transaction.atomic
def need_start_design(*, need: Need, by: User) -> Need:
    """Staff begin designing a program from the need. Idempotent for a need already in design."""
    if need.status == Need.Status.IN_DESIGN:
        return need
    return transition(
        need,
        from_states=[Need.Status.SUBMITTED],
        to_state=Need.Status.IN_DESIGN,
        by=by,
        reason="design",
    )


@transaction.atomic
def need_reject(*, need: Need, by: User, reason: str) -> Need:
    """Staff decline a need, with a reason the nushi is told."""
    reason = reason.strip()
    if not reason:
        raise InvalidTransition(_("見送りの理由を入力してください。"))
    need = transition(
        need,
        from_states=[Need.Status.SUBMITTED, Need.Status.IN_DESIGN],
        to_state=Need.Status.REJECTED,
        by=by,
        reason="rejected",
        rejection_reason=reason,
    )
    notices.notice_need_rejected(need)
    return need


def need_mark_published(*, need_id: int, by: User) -> None:
    """Called inside program_publish: the need's first program went public. Later programs from the
    same need leave it as it is."""
    need = Need.objects.filter(pk=need_id).first()
    if need is None or need.status == Need.Status.PUBLISHED:
        return
    changed = Need.objects.filter(pk=need_id, status=Need.Status.IN_DESIGN).update(
        status=Need.Status.PUBLISHED
    )
    if changed:
        need.refresh_from_db()
        record_history(need, by=by, reason="published")
