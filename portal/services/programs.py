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

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.images import thumbnail_of
from accounts.models import Organization, User
from accounts.permissions import municipality_staff_ids, organization_member_ids
from accounts.scoping import require_one_municipality
from notifications.services import Text, notify, render, site_url
from portal.models import Need, Program, ProgramPhoto, Session
from portal.services._state import InvalidTransition, transition
from portal.services.applications import lock_session
from portal.services.needs import need_mark_published, need_start_design
from portal.services.session_changes import cancel_locked_session

S = Program.Status
EDITABLE = (S.DRAFT, S.PENDING_NUSHI, S.CHANGES_REQUESTED, S.CONFIRMED, S.PUBLISHED)
# Edits in these states invalidate the nushi's view of the draft (they must see it again).
BACK_TO_DRAFT = (S.PENDING_NUSHI, S.CONFIRMED)
BEFORE_PUBLISH = (S.DRAFT, S.PENDING_NUSHI, S.CHANGES_REQUESTED, S.CONFIRMED)
PROGRAM_FIELDS = (
    "district", "title", "summary", "story", "background", "about_nushi", "category",
    "relationship_type", "tags", "min_age", "residents_only", "required_skills", "what_to_bring",
    "points_per_participant", "okaeshi", "is_online", "meeting_place", "meeting_postal_code",
    "meeting_address", "latitude",
    "longitude", "cover_image",
)  # fmt: skip
MAX_PHOTOS = 8


def program_touch(*, program_id: int) -> None:
    """Bump updated_at: the public page caches its text, photos and reports per program version
    (templates/portal/programs/detail.html), so changes to photos or reports must move it."""
    Program.objects.filter(pk=program_id).update(updated_at=timezone.now())


def _apply(program: Program, data: dict) -> None:
    for key, value in data.items():
        if key in PROGRAM_FIELDS:
            if key == "cover_image":
                if value is False:  # ClearableFileInput's "clear" checkbox
                    value = ""
                if isinstance(value, ContentFile):  # a new upload (process_upload's result)
                    program.cover_thumbnail = thumbnail_of(value)
                elif not value:
                    program.cover_thumbnail = ""
            setattr(program, key, value)


def _preview_url(program: Program) -> str:
    return site_url("program_preview", program.pk, program.preview_token)


def _staff_url(program: Program) -> str:
    return site_url("staff_program_detail", program.pk)


@transaction.atomic
def program_create_from_need(*, need: Need, by: User, data: dict) -> Program:
    """Staff draft a program from a need; the need moves to in_design."""
    need_start_design(need=need, by=by)
    return program_create(nushi=need.nushi, by=by, data=data, need=need)


@transaction.atomic
def program_create(
    *, nushi: Organization, by: User, data: dict, need: Need | None = None
) -> Program:
    program = Program(
        municipality_id=nushi.municipality_id, nushi=nushi, need=need, created_by=by, status=S.DRAFT
    )
    if need is not None and "district" not in data:
        program.district_id = need.district_id
    _apply(program, data)
    require_one_municipality(program)  # the need and the district are the nushi's municipality's
    program.full_clean(exclude=["search_text"])
    program._history_user = by
    program.save()
    return program


@transaction.atomic
def program_update(*, program: Program, by: User, data: dict) -> Program:
    """Save staff edits. Content the nushi already saw goes back to draft, to be sent again."""
    locked = Program.objects.select_for_update().get(pk=program.pk)
    if locked.status not in EDITABLE:
        raise InvalidTransition(
            _("「%(status)s」のプログラムは編集できません。")
            % {"status": locked.get_status_display()}
        )
    _apply(locked, data)
    require_one_municipality(locked, names=data)
    reason = "edit"
    if locked.status in BACK_TO_DRAFT:
        locked.status = S.DRAFT
        reason = "edit: back to draft"
    locked.full_clean(exclude=["search_text"])
    locked._history_user = by
    locked._change_reason = reason
    locked.save()
    return locked


@transaction.atomic
def program_send_to_nushi(*, program: Program, by: User) -> Program:
    """Ask the nushi to look at the draft (preview link) and confirm it or ask for changes. The
    preview token rotates, so a link to an older version stops working."""
    if not Session.objects.filter(program_id=program.pk).exists():
        raise InvalidTransition(_("開催日を1つ以上登録してから、ヌシに確認を依頼してください。"))
    program = transition(
        program,
        from_states=[S.DRAFT, S.CHANGES_REQUESTED],
        to_state=S.PENDING_NUSHI,
        by=by,
        reason="sent to nushi",
        preview_token=uuid.uuid4(),
        status_note="",
    )
    for member_id in organization_member_ids(program.nushi_id):
        notify(
            recipient_id=member_id,
            municipality_id=program.municipality_id,
            kind="program_confirm_request",
            object_key=f"program:{program.pk}:{program.preview_token}",
            subject=lambda: _("プログラム案の確認のお願い: %(title)s") % {"title": program.title},
            body=lambda: (
                _(
                    "事務局がプログラム案を作りました。内容を確認して「この内容でよい」または「修正をお願いする」を"
                    "選んでください。\n%(url)s"
                )
                % {"url": _preview_url(program)}
            ),
        )
    return program


def _tell_staff(program: Program, *, kind: str, subject: Text, body: Text) -> None:
    for staff_id in municipality_staff_ids(program.municipality_id):
        notify(
            recipient_id=staff_id,
            municipality_id=program.municipality_id,
            kind=kind,
            object_key=f"program:{program.pk}:{program.preview_token}",
            subject=subject,
            body=lambda: render(body) + "\n" + _staff_url(program),
        )


@transaction.atomic
def program_confirm(*, program: Program, by: User) -> Program:
    """The nushi approves the draft as shown in the preview."""
    program = transition(
        program,
        from_states=[S.PENDING_NUSHI],
        to_state=S.CONFIRMED,
        by=by,
        reason="confirmed by nushi",
    )
    _tell_staff(
        program,
        kind="program_confirmed",
        subject=lambda: _("ヌシが確認しました: %(title)s") % {"title": program.title},
        body=gettext_lazy("公開できます。"),
    )
    return program


@transaction.atomic
def program_request_changes(*, program: Program, by: User, note: str) -> Program:
    """The nushi asks staff to change the draft, saying what."""
    note = note.strip()
    if not note:
        raise InvalidTransition(_("どこを直してほしいか、ひとこと書いてください。"))
    program = transition(
        program,
        from_states=[S.PENDING_NUSHI],
        to_state=S.CHANGES_REQUESTED,
        by=by,
        reason="changes requested",
        status_note=note,
    )
    _tell_staff(
        program,
        kind="program_changes_requested",
        subject=lambda: _("ヌシから修正の依頼: %(title)s") % {"title": program.title},
        body=note,
    )
    return program


@transaction.atomic
def program_reject(*, program: Program, by: User, reason: str) -> Program:
    """Staff stop a draft for good, with a reason the nushi is told."""
    reason = reason.strip()
    if not reason:
        raise InvalidTransition(_("見送りの理由を入力してください。"))
    program = transition(
        program,
        from_states=BEFORE_PUBLISH,
        to_state=S.REJECTED,
        by=by,
        reason="rejected",
        status_note=reason,
    )
    for member_id in organization_member_ids(program.nushi_id):
        notify(
            recipient_id=member_id,
            municipality_id=program.municipality_id,
            kind="program_rejected",
            object_key=f"program:{program.pk}",
            subject=lambda: _("プログラム案「%(title)s」について") % {"title": program.title},
            body=lambda: _("今回は公開を見送ります。理由: %(reason)s") % {"reason": reason},
        )
    return program


@transaction.atomic
def program_publish(*, program: Program, by: User) -> Program:
    """Staff publish a program the nushi confirmed. It needs a session people can still apply to."""
    now = timezone.now()
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
        by=by,
        reason="published",
        published_at=now,
    )
    if program.need_id:
        need_mark_published(need_id=program.need_id, by=by)
    for member_id in organization_member_ids(program.nushi_id):
        notify(
            recipient_id=member_id,
            municipality_id=program.municipality_id,
            kind="program_published",
            object_key=f"program:{program.pk}",
            subject=lambda: _("プログラムを公開しました: %(title)s") % {"title": program.title},
            body=site_url("program_detail", program.pk),
        )
    return program


@transaction.atomic
def program_close(*, program: Program, by: User) -> Program:
    """Stop taking applications; the page stays public (past sessions, reports)."""
    return transition(program, from_states=[S.PUBLISHED], to_state=S.CLOSED, by=by, reason="closed")


@transaction.atomic
def program_cancel(*, program: Program, by: User, reason: str) -> Program:
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
        by=by,
        reason="cancelled",
        status_note=reason,
    )
    upcoming = Session.objects.filter(
        program_id=program.pk, status=Session.Status.SCHEDULED, starts_at__gt=timezone.now()
    ).order_by("pk")
    # Lock order: the program (locked by the transition above), then its sessions one by one.
    for session_id in upcoming.values_list("pk", flat=True):
        session = lock_session(session_id)
        if session.status == Session.Status.SCHEDULED:  # may have been cancelled meanwhile
            cancel_locked_session(
                session, actor=by, reason=reason, history_reason="program_cancelled"
            )
    return program


@transaction.atomic
def program_photo_add(*, program: Program, by: User, image, caption: str = "") -> ProgramPhoto:
    """`image` must come from accounts.images.process_upload (checked, resized, EXIF stripped)."""
    Program.objects.select_for_update().filter(pk=program.pk).first()
    if ProgramPhoto.objects.filter(program=program).count() >= MAX_PHOTOS:
        raise InvalidTransition(_("写真は%(max)d枚までです。") % {"max": MAX_PHOTOS})
    order = ProgramPhoto.objects.filter(program=program).count()
    photo = ProgramPhoto.objects.create(
        program=program, image=image, thumbnail=thumbnail_of(image), caption=caption, order=order
    )
    program_touch(program_id=program.pk)
    return photo


@transaction.atomic
def program_photo_delete(*, photo: ProgramPhoto, by: User) -> None:
    names, storage = [photo.image.name, photo.thumbnail.name], photo.image.storage
    photo.delete()
    program_touch(program_id=photo.program_id)

    # The files go only once the row is surely gone (a rollback must not orphan the row).
    def delete_files() -> None:
        for name in names:
            if name:
                storage.delete(name)

    transaction.on_commit(delete_files)
