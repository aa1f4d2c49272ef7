"""Needs (困りごと): intake by a resident or by staff on their behalf, edits, withdrawal, rejection.

Needs move submitted → in_design (staff start a program: programs.program_create_from_need)
→ published (its program is published); or → rejected (staff, with a reason) / withdrawn (the
nushi).
"""

from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.images import StoredFiles
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
from portal.services.form_tokens import form_token_claim, form_token_fulfil
from portal.services.locking import lock_need

# What a nushi may still change themselves: before staff start designing, the need is theirs.
NUSHI_EDITABLE = (Need.Status.SUBMITTED,)
NEED_FIELDS = (
    "district", "title", "description", "meeting_place", "postal_code", "address",
    "preferred_dates", "dates_flexible", "helpers_wanted", "okaeshi", "photo",
)  # fmt: skip


@transaction.atomic(durable=True)
def individual_nushi_create(*, user: User, municipality: Municipality, name: str) -> Organization:
    """A resident without an organisation posts as an individual nushi (団体の種類「個人」)."""
    return _individual_nushi_create(user=user, municipality=municipality, name=name)


def _individual_nushi_create(*, user: User, municipality: Municipality, name: str) -> Organization:
    organization = Organization.objects.create(
        municipality=municipality, name=name, kind=Organization.Kind.INDIVIDUAL
    )
    OrganizationMembership.objects.create(
        organization=organization, user=user, role=OrganizationMembership.Role.REPRESENTATIVE
    )
    user._organization_ids = None  # the permission cache on this user object is now stale
    return organization


def need_submit(
    *,
    actor: User,
    nushi: Organization,
    data: dict,
    channel: str = Need.Channel.WEB,
    form_token: UUID | None = None,
) -> Need:
    """Record a need (from the web form, or entered by staff from a phone call or paper) and tell
    the municipality's staff, in the same transaction. A photo is written before the transaction and
    removed if it fails. The form's one-time token is claimed in that transaction: the same form
    sent again raises AlreadySubmitted with the need it created."""
    with StoredFiles() as stored:
        data = stored.save_uploads(Need, data)
        with transaction.atomic(durable=True):
            claim = form_token_claim(actor=actor, token=form_token)
            need = _need_submit(actor=actor, nushi=nushi, data=data, channel=channel)
            form_token_fulfil(claim, object_id=need.pk)
            return need


def need_submit_as_individual(
    *,
    actor: User,
    municipality: Municipality,
    name: str,
    data: dict,
    form_token: UUID | None = None,
) -> Need:
    """A resident without an organisation: their individual nushi and the need, in one transaction
    (no nushi is left behind when the need is refused)."""
    with StoredFiles() as stored:
        data = stored.save_uploads(Need, data)
        with transaction.atomic(durable=True):
            claim = form_token_claim(actor=actor, token=form_token)
            nushi = _individual_nushi_create(user=actor, municipality=municipality, name=name)
            need = _need_submit(actor=actor, nushi=nushi, data=data, channel=Need.Channel.WEB)
            form_token_fulfil(claim, object_id=need.pk)
            return need


def _need_submit(*, actor: User, nushi: Organization, data: dict, channel: str) -> Need:
    values = {k: v for k, v in data.items() if k in NEED_FIELDS}
    need = Need(
        municipality_id=nushi.municipality_id,
        nushi=nushi,
        created_by=actor,
        channel=channel,
        **values,
    )
    require_one_municipality(need)
    need.full_clean()
    need._history_user = actor
    need.save()
    notices.notice_need_submitted(need)
    return need


def need_update(*, need: Need, actor: User, data: dict) -> Need:
    """The nushi corrects their need while it is still waiting for staff. A new photo is written
    before the transaction and removed if it fails."""
    with StoredFiles() as stored:
        data = stored.save_uploads(Need, data)
        with transaction.atomic(durable=True):
            return _need_update(need=need, actor=actor, data=data)


def _need_update(*, need: Need, actor: User, data: dict) -> Need:
    locked = lock_need(need.pk)
    if locked.status not in NUSHI_EDITABLE:
        raise InvalidTransition(
            _("事務局がプログラムの作成を始めたため、変更は事務局にご連絡ください。")
        )
    for key, value in data.items():
        if key in NEED_FIELDS:
            setattr(locked, key, value)
    require_one_municipality(locked, names=data)
    locked.full_clean()
    locked._history_user = actor
    locked.save()
    return locked


@transaction.atomic(durable=True)
def need_withdraw(*, need: Need, actor: User) -> Need:
    return transition(
        need,
        from_states=[Need.Status.SUBMITTED, Need.Status.IN_DESIGN],
        to_state=Need.Status.WITHDRAWN,
        actor=actor,
        reason="withdrawn",
    )


@transaction.atomic(durable=True)
def need_start_design(*, need: Need, actor: User) -> Need:
    """Staff begin designing a program from the need. Idempotent for a need already in design."""
    return need_start_design_in_transaction(need=need, actor=actor)


def need_start_design_in_transaction(*, need: Need, actor: User) -> Need:
    """need_start_design for a caller that already holds a transaction (program_create_from_need)."""
    if need.status == Need.Status.IN_DESIGN:
        return need
    return transition(
        need,
        from_states=[Need.Status.SUBMITTED],
        to_state=Need.Status.IN_DESIGN,
        actor=actor,
        reason="design",
    )


@transaction.atomic(durable=True)
def need_reject(*, need: Need, actor: User, reason: str) -> Need:
    """Staff decline a need, with a reason the nushi is told."""
    reason = reason.strip()
    if not reason:
        raise InvalidTransition(_("見送りの理由を入力してください。"))
    need = transition(
        need,
        from_states=[Need.Status.SUBMITTED, Need.Status.IN_DESIGN],
        to_state=Need.Status.REJECTED,
        actor=actor,
        reason="rejected",
        rejection_reason=reason,
    )
    notices.notice_need_rejected(need)
    return need


def need_mark_published(*, need_id: int, actor: User) -> None:
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
        record_history(need, actor=actor, reason="published")
