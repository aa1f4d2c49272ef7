"""The session's group thread, an application's private thread, the nushi's thank-you to attendees,
helpers' impressions, and pulling both into a draft activity report for staff."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.images import process_upload, thumbnail_of
from accounts.models import User
from portal import notices
from portal.models import (
    ActivityReport,
    ActivityReportPhoto,
    Application,
    Impression,
    Session,
    SessionMessage,
    ThankYou,
    ThankYouPhoto,
)
from portal.services.errors import InvalidTransition, TooLate


def session_message_post(*, session: Session, author: User, body: str) -> SessionMessage:
    """Post to the session's thread (the view checked can_use_thread) and tell everyone else in it."""
    with transaction.atomic():
        message = SessionMessage.objects.create(session=session, author=author, body=body)
        helpers = Application.objects.filter(
            session=session, status__in=Application.HOLDS_PLACE
        ).values_list("helper_id", flat=True)
        notices.notice_session_message(message, helper_ids=helpers)
    return message


def application_message_post(
    *, application: Application, author: User, body: str
) -> SessionMessage:
    """Post to one application's private thread (the view checked can_use_private_thread) and tell the
    other side: the helper when a host writes, the hosts when the helper writes (and the other hosts
    either way, who share the conversation)."""
    session = application.session
    with transaction.atomic():
        message = SessionMessage.objects.create(
            session=session, application=application, author=author, body=body
        )
        notices.notice_application_message(message, application)
    return message


def thank_you_send(*, session: Session, author: User, body: str, photos=()) -> ThankYou:
    """The nushi thanks the helpers who attended. Photos are cleaned (process_upload) before the
    transaction: image work is slow I/O and stays outside it."""
    if timezone.now() < session.starts_at:
        raise TooLate(_("お礼のメッセージは開催後に送れます。"))
    cleaned = [process_upload(photo) for photo in photos]
    thumbnails = [thumbnail_of(content) for content in cleaned]
    with transaction.atomic():
        thank_you = ThankYou.objects.create(session=session, author=author, body=body)
        for content, thumbnail in zip(cleaned, thumbnails, strict=True):
            ThankYouPhoto.objects.create(thank_you=thank_you, image=content, thumbnail=thumbnail)
        notices.notice_thank_you(thank_you)
    return thank_you


def impression_save(*, application: Application, body: str, may_publish: bool) -> Impression:
    """A helper's impression after attending (one per application; saving again replaces the text)."""
    if application.status != Application.Status.ATTENDED:
        raise InvalidTransition(_("感想は参加した日程にだけ書けます。"))
    impression, _created = Impression.objects.update_or_create(
        application=application, defaults={"body": body, "may_publish": may_publish}
    )
    return impression


def activity_report_draft_from_session(*, session: Session, author: User) -> ActivityReport:
    """Staff pull the thank-you messages, their photos and the publishable impressions into a draft
    activity report, to edit and publish on the report pages."""
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
    with transaction.atomic():
        report = ActivityReport.objects.create(
            program=session.program,
            session=session,
            title=session.program.title,
            body="\n\n".join(parts) or _("（本文を書いてください）"),
            author=author,
        )
        order = 0
        for thank_you in thank_yous:
            for photo in thank_you.photos.all():
                ActivityReportPhoto.objects.create(
                    report=report,
                    image=photo.image.name,
                    thumbnail=photo.thumbnail.name,
                    caption=photo.caption,
                    order=order,
                )
                order += 1
    return report
