"""The session's group thread, an application's private thread, the nushi's thank-you to attendees and
helpers' impressions (staff pull both into a draft activity report: portal.services.reports)."""

from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.images import StoredFiles, process_upload, thumbnail_of
from accounts.models import User
from portal import notices
from portal.models import (
    Application,
    Impression,
    Session,
    SessionMessage,
    ThankYou,
    ThankYouPhoto,
)
from portal.services.errors import InvalidTransition, TooLate
from portal.services.form_tokens import form_token_claim, form_token_fulfil


def session_message_post(
    *, session: Session, actor: User, body: str, form_token: UUID | None = None
) -> SessionMessage:
    """Post to the session's thread (the view checked can_use_thread) and tell everyone else in it."""
    with transaction.atomic(durable=True):
        claim = form_token_claim(actor=actor, token=form_token)
        message = SessionMessage.objects.create(session=session, author=actor, body=body)
        form_token_fulfil(claim, object_id=message.pk)
        helpers = Application.objects.filter(
            session=session, status__in=Application.HOLDS_PLACE
        ).values_list("helper_id", flat=True)
        notices.notice_session_message(message, helper_ids=helpers)
    return message


def application_message_post(
    *, application: Application, actor: User, body: str, form_token: UUID | None = None
) -> SessionMessage:
    """Post to one application's private thread (the view checked can_use_private_thread) and tell the
    other side: the helper when a host writes, the hosts when the helper writes (and the other hosts
    either way, who share the conversation)."""
    session = application.session
    with transaction.atomic(durable=True):
        claim = form_token_claim(actor=actor, token=form_token)
        message = SessionMessage.objects.create(
            session=session, application=application, author=actor, body=body
        )
        form_token_fulfil(claim, object_id=message.pk)
        notices.notice_application_message(message, application)
    return message


def thank_you_send(
    *, session: Session, actor: User, body: str, photos=(), form_token: UUID | None = None
) -> ThankYou:
    """The nushi thanks the helpers who attended. Photos are cleaned (process_upload), made into
    thumbnails and written to storage before the transaction: image work is slow I/O and stays outside
    it, and StoredFiles removes the files again if the transaction fails."""
    if timezone.now() < session.starts_at:
        raise TooLate(_("お礼のメッセージは開催後に送れます。"))
    cleaned = [process_upload(photo) for photo in photos]
    thumbnails = [thumbnail_of(content) for content in cleaned]
    with StoredFiles() as stored, transaction.atomic(durable=True):
        claim = form_token_claim(actor=actor, token=form_token)
        thank_you = ThankYou.objects.create(session=session, author=actor, body=body)
        form_token_fulfil(claim, object_id=thank_you.pk)
        for content, thumbnail in zip(cleaned, thumbnails, strict=True):
            ThankYouPhoto.objects.create(
                thank_you=thank_you,
                image=stored.save(ThankYouPhoto, "image", content),
                thumbnail=stored.save(ThankYouPhoto, "thumbnail", thumbnail),
            )
        notices.notice_thank_you(thank_you)
    return thank_you


@transaction.atomic(durable=True)
def impression_save(*, application: Application, body: str, may_publish: bool) -> Impression:
    """A helper's impression after attending (one per application; saving again replaces the text)."""
    if application.status != Application.Status.ATTENDED:
        raise InvalidTransition(_("感想は参加した日程にだけ書けます。"))
    impression, _created = Impression.objects.update_or_create(
        application=application, defaults={"body": body, "may_publish": may_publish}
    )
    return impression
