"""Programs: staff co-design a program from a need with the nushi, then publish, close or cancel it.

    draft ─send─> pending_nushi ─confirm (nushi)─> confirmed ─publish─> published ─close─> closed
      ^               │ request changes (nushi)                               │
      └─ edit ─ changes_requested                                             └─cancel─> cancelled
    any state before published ──reject (staff, with a reason)──> rejected

Editing content after the nushi saw it sends the draft back to `draft`: the nushi confirms what is
published, not an earlier version. A published program may still be corrected by staff; the history
keeps every version (who, when, what).
"""

import uuid
from uuid import UUID

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.images import StoredFiles, thumbnail_of
from accounts.models import Organization, User
from accounts.scoping import require_one_municipality
from portal import notices
from portal.models import Need, Program, ProgramPhoto, Session
from portal.permissions import can_confirm_for_nushi
from portal.search import program_search_text
from portal.selectors.sessions import program_sessions_to_cancel
from portal.services import reminders
from portal.services._state import InvalidTransition, transition
from portal.services.errors import NotAllowed
from portal.services.form_tokens import form_token_claim, form_token_fulfil
from portal.services.locking import lock_program, lock_session
from portal.services.needs import need_mark_published, need_start_design_in_transaction
from portal.services.session_changes import cancel_locked_session

S = Program.Status
EDITABLE = (S.DRAFT, S.PENDING_NUSHI, S.CHANGES_REQUESTED, S.CONFIRMED, S.PUBLISHED)
# Edits in these states invalidate the nushi's view of the draft (they must see it again).
BACK_TO_DRAFT = (S.PENDING_NUSHI, S.CONFIRMED)
BEFORE_PUBLISH = (S.DRAFT, S.PENDING_NUSHI, S.CHANGES_REQUESTED, S.CONFIRMED)
PROGRAM_FIELDS = (
    "district", "title", "summary", "story", "background", "about_nushi", "category",
    "relationship_type", "tags", "min_age", "residents_only", "required_skills", "what_to_bring",
    "points_per_participant", "okaeshi", "is_online", "online_url", "online_instructions", "meeting_place", "meeting_postal_code",
    "meeting_address", "latitude",
    "longitude", "cover_image",
)  # fmt: skip
MAX_PHOTOS = 8


def program_touch(*, program_id: int) -> None:
    """Bump updated_at: the public page caches its text, photos and reports per program version
    (templates/portal/programs/detail.html), so changes to photos or reports must move it."""
    Program.objects.filter(pk=program_id).update(updated_at=timezone.now())


def _store_cover(data: dict, stored: StoredFiles) -> dict:
    """A new cover (process_upload's result): its thumbnail made and both files written before the
    transaction (image work stays outside it); `data` then names the stored files."""
    value = data.get("cover_image")
    if not isinstance(value, ContentFile):
        return data
    thumbnail = thumbnail_of(value)
    return {
        **data,
        "cover_image": stored.save(Program, "cover_image", value),
        "cover_thumbnail": stored.save(Program, "cover_thumbnail", thumbnail),
    }


def _apply(program: Program, data: dict) -> None:
    for key, value in data.items():
        if key in PROGRAM_FIELDS:
            if key == "cover_image":
                if value is False:  # ClearableFileInput's "clear" checkbox
                    value = ""
                if "cover_thumbnail" in data:  # a new upload, stored by _store_cover
                    program.cover_thumbnail = data["cover_thumbnail"]
                elif not value:
                    program.cover_thumbnail = ""
            setattr(program, key, value)
    # The one place a program's text changes: its search text follows (folded, with readings).
    program.search_text = program_search_text(program)


def program_create_from_need(
    *, need: Need, actor: User, data: dict, form_token: UUID | None = None
) -> Program:
    """Staff draft a program from a need; the need moves to in_design. The form's one-time token is
    claimed in the same transaction (portal.services.form_tokens)."""
    with StoredFiles() as stored:
        data = _store_cover(data, stored)
        with transaction.atomic(durable=True):
            claim = form_token_claim(actor=actor, token=form_token)
            need_start_design_in_transaction(need=need, actor=actor)
            program = _program_create(nushi=need.nushi, actor=actor, data=data, need=need)
            form_token_fulfil(claim, object_id=program.pk)
            return program


def program_create(
    *, nushi: Organization, actor: User, data: dict, need: Need | None = None
) -> Program:
    with StoredFiles() as stored:
        data = _store_cover(data, stored)
        with transaction.atomic(durable=True):
            return _program_create(nushi=nushi, actor=actor, data=data, need=need)


def _program_create(*, nushi: Organization, actor: User, data: dict, need: Need | None) -> Program:
    program = Program(
        municipality_id=nushi.municipality_id,
        nushi=nushi,
        need=need,
        created_by=actor,
        status=S.DRAFT,
    )
    if need is not None and "district" not in data:
        program.district_id = need.district_id
    _apply(program, data)
    require_one_municipality(program)  # the need and the district are the nushi's municipality's
    program.full_clean(exclude=["search_text"])
    program._history_user = actor
    program.save()
    return program


def program_update(*, program: Program, actor: User, data: dict) -> Program:
    """Save staff edits. Content the nushi already saw goes back to draft, to be sent again. A new
    cover is written before the transaction and removed if it fails."""
    with StoredFiles() as stored:
        data = _store_cover(data, stored)
        with transaction.atomic(durable=True):
            return _program_update(program=program, actor=actor, data=data)


def program_update_in_transaction(*, program: Program, actor: User, data: dict) -> Program:
    """program_update for a caller that already holds a transaction: the admin's change form, which
    Django runs inside its own atomic block. The cover is still stored (and thumbnailed) first, and
    removed when this raises; a rollback of the caller's transaction after it returns is the
    caller's (the admin saves nothing else after it)."""
    with StoredFiles() as stored:
        return _program_update(program=program, actor=actor, data=_store_cover(data, stored))


def _program_update(*, program: Program, actor: User, data: dict) -> Program:
    locked = lock_program(program.pk)
    if locked.status not in EDITABLE:
        raise InvalidTransition(
            _("「%(status)s」のプログラムは編集できません。")
            % {"status": locked.get_status_display()}
        )
    shown = [getattr(locked, name) for name in reminders.PROGRAM_FIELDS]
    _apply(locked, data)
    require_one_municipality(locked, names=data)
    reason = "edit"
    if locked.status in BACK_TO_DRAFT:
        locked.status = S.DRAFT
        locked.confirmed_via = ""
        reason = "edit: back to draft"
    locked.full_clean(exclude=["search_text"])
    locked._history_user = actor
    locked._change_reason = reason
    locked.save()
    if shown != [getattr(locked, name) for name in reminders.PROGRAM_FIELDS]:
        # The reminders already planned carry the old place, belongings or link.
        reminders.reminders_replan(session_ids=list(locked.sessions.values_list("pk", flat=True)))
    return locked


@transaction.atomic(durable=True)
def program_send_to_nushi(*, program: Program, actor: User) -> Program:
    """Ask the nushi to look at the draft (preview link) and confirm it or ask for changes. The
    preview token rotates, so a link to an older version stops working."""
    if not Session.objects.filter(program_id=program.pk).exists():
        raise InvalidTransition(_("開催日を1つ以上登録してから、ヌシに確認を依頼してください。"))
    program = transition(
        program,
        from_states=[S.DRAFT, S.CHANGES_REQUESTED],
        to_state=S.PENDING_NUSHI,
        actor=actor,
        reason="sent to nushi",
        preview_token=uuid.uuid4(),
        status_note="",
        confirmed_via="",
    )
    notices.notice_program_confirm_request(program)
    return program


@transaction.atomic(durable=True)
def program_confirm(*, program: Program, actor: User) -> Program:
    """The nushi approves the draft as shown in the preview."""
    program = transition(
        program,
        from_states=[S.PENDING_NUSHI],
        to_state=S.CONFIRMED,
        actor=actor,
        reason="confirmed by nushi",
        confirmed_via=Need.Channel.WEB,
    )
    notices.notice_program_confirmed(program)
    return program


# How a nushi who does not use the web gives staff their confirmation (as staff take needs).
ON_BEHALF_CHANNELS = (Need.Channel.PHONE, Need.Channel.PAPER, Need.Channel.VISIT)


@transaction.atomic(durable=True)
def program_confirm_for_nushi(*, program: Program, actor: User, channel: str) -> Program:
    """Staff record the confirmation the nushi gave them by phone, on paper or at a visit, for the
    draft the nushi was sent. The channel is kept on the program and the history row names the staff
    member who recorded it."""
    if not can_confirm_for_nushi(actor, program):
        raise NotAllowed(_("ヌシに代わって確認を記録できるのは、この自治体の事務局だけです。"))
    if channel not in ON_BEHALF_CHANNELS:
        raise InvalidTransition(_("ヌシから確認を受けた方法を選んでください。"))
    program = transition(
        program,
        from_states=[S.PENDING_NUSHI],
        to_state=S.CONFIRMED,
        actor=actor,
        reason=f"confirmed for the nushi by staff ({channel})",
        confirmed_via=channel,
    )
    notices.notice_program_confirmed(program)
    return program


@transaction.atomic(durable=True)
def program_request_changes(*, program: Program, actor: User, note: str) -> Program:
    """The nushi asks staff to change the draft, saying what."""
    note = note.strip()
    if not note:
        raise InvalidTransition(_("どこを直してほしいか、ひとこと書いてください。"))
    program = transition(
        program,
        from_states=[S.PENDING_NUSHI],
        to_state=S.CHANGES_REQUESTED,
        actor=actor,
        reason="changes requested",
        status_note=note,
    )
    notices.notice_program_changes_requested(program)
    return program


@transaction.atomic(durable=True)
def program_reject(*, program: Program, actor: User, reason: str) -> Program:
    """Staff stop a draft for good, with a reason the nushi is told."""
    reason = reason.strip()
    if not reason:
        raise InvalidTransition(_("見送りの理由を入力してください。"))
    program = transition(
        program,
        from_states=BEFORE_PUBLISH,
        to_state=S.REJECTED,
        actor=actor,
        reason="rejected",
        status_note=reason,
    )
    notices.notice_program_rejected(program)
    return program


@transaction.atomic(durable=True)
def program_publish(*, program: Program, actor: User) -> Program:
    """Staff publish a program the nushi confirmed. It needs a cover photo (cards and the page show
    it) and a session people can still apply to."""
    now = timezone.now()
    if not Program.objects.filter(pk=program.pk).exclude(cover_image="").exists():
        raise InvalidTransition(
            _("メイン写真がありません。「内容を編集」でメイン写真を登録してから公開してください。")
        )
    if not Session.objects.filter(
        program_id=program.pk, status=Session.Status.SCHEDULED, apply_deadline__gt=now
    ).exists():
        raise InvalidTransition(
            _("申込を受け付けられる開催日がありません。開催日を追加してください。")
        )
    program = transition(
        program,
        from_states=[S.CONFIRMED],
        to_state=S.PUBLISHED,
        actor=actor,
        reason="published",
        published_at=now,
    )
    if program.need_id:
        need_mark_published(need_id=program.need_id, actor=actor)
    notices.notice_program_published(program)
    return program


@transaction.atomic(durable=True)
def program_close(*, program: Program, actor: User) -> Program:
    """Stop taking applications; the page stays public (past sessions, reports)."""
    return transition(
        program, from_states=[S.PUBLISHED], to_state=S.CLOSED, actor=actor, reason="closed"
    )


@transaction.atomic(durable=True)
def program_cancel(*, program: Program, actor: User, reason: str) -> Program:
    """Call the whole program off. Each future session is cancelled by the one rule for a session's
    cancellation (session_changes.cancel_locked_session): applications cancelled, places given back,
    reminders withdrawn, every helper told with the reason and a cancelled calendar event. Refused as a
    whole if one of them has already checked people in."""
    reason = reason.strip()
    if not reason:
        raise InvalidTransition(_("中止の理由を入力してください。"))
    program = transition(
        program,
        from_states=[*BEFORE_PUBLISH, S.PUBLISHED, S.CLOSED],
        to_state=S.CANCELLED,
        actor=actor,
        reason="cancelled",
        status_note=reason,
    )
    upcoming = program_sessions_to_cancel(program.pk, timezone.now())
    # Lock order: the program (locked by the transition above), then its sessions one by one.
    for session_id in upcoming.values_list("pk", flat=True):
        session = lock_session(session_id)
        if session.status == Session.Status.SCHEDULED:  # may have been cancelled meanwhile
            cancel_locked_session(
                session, actor=actor, reason=reason, history_reason="program_cancelled"
            )
    return program


def program_photo_add(
    *, program: Program, actor: User, image, caption: str = "", form_token: UUID | None = None
) -> ProgramPhoto:
    """`image` must come from accounts.images.process_upload (checked, resized, EXIF stripped). The
    thumbnail is made and both files written before the transaction; a refusal removes them."""
    thumbnail = thumbnail_of(image)
    with StoredFiles() as stored:
        image_name = stored.save(ProgramPhoto, "image", image)
        thumbnail_name = stored.save(ProgramPhoto, "thumbnail", thumbnail)
        with transaction.atomic(durable=True):
            claim = form_token_claim(actor=actor, token=form_token)
            lock_program(program.pk)
            order = ProgramPhoto.objects.filter(program=program).count()
            if order >= MAX_PHOTOS:
                raise InvalidTransition(_("写真は%(max)d枚までです。") % {"max": MAX_PHOTOS})
            photo = ProgramPhoto.objects.create(
                program=program,
                image=image_name,
                thumbnail=thumbnail_name,
                caption=caption,
                order=order,
            )
            form_token_fulfil(claim, object_id=photo.pk)
            program_touch(program_id=program.pk)
            return photo


@transaction.atomic(durable=True)
def program_photo_delete(*, photo: ProgramPhoto, actor: User) -> None:
    names, storage = [photo.image.name, photo.thumbnail.name], photo.image.storage
    photo.delete()
    program_touch(program_id=photo.program_id)

    # The files go only once the row is surely gone (a rollback must not orphan the row).
    def delete_files() -> None:
        for name in names:
            if name:
                storage.delete(name)

    transaction.on_commit(delete_files)
