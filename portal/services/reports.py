"""Activity reports (活動レポート): staff write one after a session, with photos, and publish it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.images import thumbnail_of
from accounts.models import User
from portal.models import ActivityReport, ActivityReportPhoto, Program, Session
from portal.services._state import InvalidTransition, transition
from portal.services.programs import program_touch

MAX_PHOTOS = 12


@transaction.atomic
def report_create(
    *,
    program: Program,
    by: User,
    title: str,
    body: str,
    session: Session | None = None,
    photos: list | None = None,
) -> ActivityReport:
    """A draft report. `photos`: (image from accounts.images.process_upload, caption) pairs."""
    if program.status not in (Program.Status.PUBLISHED, Program.Status.CLOSED):
        raise InvalidTransition(_("公開したプログラムにだけ活動レポートを書けます。"))
    if session is not None and session.program_id != program.pk:
        raise InvalidTransition(_("別のプログラムの開催日です。"))
    photos = photos or []
    if len(photos) > MAX_PHOTOS:
        raise InvalidTransition(_("写真は%(max)d枚までです。") % {"max": MAX_PHOTOS})
    report = ActivityReport(program=program, session=session, title=title, body=body, author=by)
    report.full_clean()
    report._history_user = by
    report.save()
    ActivityReportPhoto.objects.bulk_create(
        ActivityReportPhoto(
            report=report, image=image, thumbnail=thumbnail_of(image), caption=caption, order=i
        )
        for i, (image, caption) in enumerate(photos)
    )
    return report


@transaction.atomic
def report_publish(*, report: ActivityReport, by: User) -> ActivityReport:
    if report.session is not None and report.session.starts_at > timezone.now():
        raise InvalidTransition(_("開催前の日程のレポートは公開できません。"))
    report = transition(
        report,
        from_states=[ActivityReport.Status.DRAFT],
        to_state=ActivityReport.Status.PUBLISHED,
        by=by,
        reason="published",
        published_at=timezone.now(),
    )
    program_touch(program_id=report.program_id)
    return report


@transaction.atomic
def report_unpublish(*, report: ActivityReport, by: User) -> ActivityReport:
    report = transition(
        report,
        from_states=[ActivityReport.Status.PUBLISHED],
        to_state=ActivityReport.Status.DRAFT,
        by=by,
        reason="unpublished",
    )
    program_touch(program_id=report.program_id)
    return report
