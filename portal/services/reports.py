"""Activity reports (活動レポート, `ActivityReport`): staff write one after a session, with photos, or
draft one from the session's thank-you loop, and publish it.

Not to be confused with the monthly statistics, 月次参加レポート (`reports.MonthlyReport`, the
`reports/` app): in this module "report" always means an activity report."""

from dataclasses import dataclass
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.images import StoredFiles, thumbnail_of
from accounts.models import User
from portal.models import (
    ActivityReport,
    ActivityReportPhoto,
    Impression,
    Program,
    Session,
    ThankYou,
)
from portal.services._state import InvalidTransition, transition
from portal.services.form_tokens import form_token_claim, form_token_fulfil
from portal.services.programs import program_touch

MAX_PHOTOS = 12


@dataclass(frozen=True)
class StoredPhoto:
    """A photo already in storage (its image and thumbnail names), ready for a report's row."""

    image: str
    thumbnail: str
    caption: str = ""


def _check(*, program: Program, session: Session | None, photo_count: int) -> None:
    """What every activity report must satisfy, however it is written."""
    if program.status not in (Program.Status.PUBLISHED, Program.Status.CLOSED):
        raise InvalidTransition(_("公開したプログラムにだけ活動レポートを書けます。"))
    if session is not None and session.program_id != program.pk:
        raise InvalidTransition(_("別のプログラムの開催日です。"))
    if photo_count > MAX_PHOTOS:
        raise InvalidTransition(_("写真は%(max)d枚までです。") % {"max": MAX_PHOTOS})


def _write(
    *,
    program: Program,
    session: Session | None,
    actor: User,
    title: str,
    body: str,
    photos: list[StoredPhoto],
) -> ActivityReport:
    """The one writer of ActivityReport rows: checks, then the report and its photos. Call inside
    the caller's transaction, with the photos' files already stored."""
    _check(program=program, session=session, photo_count=len(photos))
    report = ActivityReport(program=program, session=session, title=title, body=body, author=actor)
    report.full_clean()
    report._history_user = actor
    report.save()
    ActivityReportPhoto.objects.bulk_create(
        ActivityReportPhoto(
            report=report, image=p.image, thumbnail=p.thumbnail, caption=p.caption, order=i
        )
        for i, p in enumerate(photos)
    )
    return report


def activity_report_create(
    *,
    program: Program,
    actor: User,
    title: str,
    body: str,
    session: Session | None = None,
    photos: list | None = None,
    form_token: UUID | None = None,
) -> ActivityReport:
    """A draft activity report. `photos`: (image from accounts.images.process_upload, caption) pairs.
    Thumbnails are made and files written before the transaction; if it fails, they are removed."""
    photos = photos or []
    # Refuse before any image work (the same checks run again in the transaction).
    _check(program=program, session=session, photo_count=len(photos))
    thumbnails = [thumbnail_of(image) for image, _caption in photos]
    with StoredFiles() as stored:
        rows = [
            StoredPhoto(
                stored.save(ActivityReportPhoto, "image", image),
                stored.save(ActivityReportPhoto, "thumbnail", thumbnail),
                caption,
            )
            for (image, caption), thumbnail in zip(photos, thumbnails, strict=True)
        ]
        with transaction.atomic(durable=True):
            claim = form_token_claim(actor=actor, token=form_token)
            program = Program.objects.get(pk=program.pk)
            report = _write(
                program=program, session=session, actor=actor, title=title, body=body, photos=rows
            )
            form_token_fulfil(claim, object_id=report.pk)
            return report


def activity_report_draft_from_session(
    *, session: Session, actor: User, form_token: UUID | None = None
) -> ActivityReport:
    """Staff pull the thank-you messages, their photos and the publishable impressions into a draft
    activity report, to edit and publish on the report pages. Written by the same writer, with the
    same checks, as activity_report_create. The photos are the thank-you's own files (no copy): the
    first MAX_PHOTOS of them, in the order they were sent."""
    thank_yous = list(ThankYou.objects.filter(session=session).prefetch_related("photos"))
    impressions = list(
        Impression.objects.filter(application__session=session, may_publish=True).select_related(
            "application__helper__helper_profile"
        )
    )
    parts = [t.body for t in thank_yous]
    if impressions:
        parts.append(_("参加したみなさんの感想"))
        for impression in impressions:
            profile = getattr(impression.application.helper, "helper_profile", None)
            name = profile.display_name if profile else ""
            parts.append(f"「{impression.body}」（{name}さん）")
    photos = [
        StoredPhoto(photo.image.name or "", photo.thumbnail.name or "", photo.caption)
        for thank_you in thank_yous
        for photo in thank_you.photos.all()
    ][:MAX_PHOTOS]
    with transaction.atomic(durable=True):
        claim = form_token_claim(actor=actor, token=form_token)
        program = Program.objects.get(pk=session.program_id)
        report = _write(
            program=program,
            session=session,
            actor=actor,
            title=program.title,
            body="\n\n".join(parts) or _("（本文を書いてください）"),
            photos=photos,
        )
        form_token_fulfil(claim, object_id=report.pk)
        return report


@transaction.atomic(durable=True)
def activity_report_publish(*, report: ActivityReport, actor: User) -> ActivityReport:
    if report.session is not None and report.session.starts_at > timezone.now():
        raise InvalidTransition(_("開催前の日程のレポートは公開できません。"))
    report = transition(
        report,
        from_states=[ActivityReport.Status.DRAFT],
        to_state=ActivityReport.Status.PUBLISHED,
        actor=actor,
        reason="published",
        published_at=timezone.now(),
    )
    program_touch(program_id=report.program_id)
    return report


@transaction.atomic(durable=True)
def activity_report_unpublish(*, report: ActivityReport, actor: User) -> ActivityReport:
    report = transition(
        report,
        from_states=[ActivityReport.Status.PUBLISHED],
        to_state=ActivityReport.Status.DRAFT,
        actor=actor,
        reason="unpublished",
    )
    program_touch(program_id=report.program_id)
    return report
