"""Writing to and delivering from the outbox.

`notify()` is called inside the transaction of the change that causes the message; it enqueues the send
with `transaction.on_commit`, so a rolled-back change sends nothing. `deliver_due()` is the beat sweep that
(notifications.delivery) picks up anything the on-commit task did not finish (worker lost, Redis restarted, a failing provider).

Texts come from the kind's templates (notifications.rendering), rendered here in the recipient's language
and stored on the row; notifications.delivery sends them.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from notifications.models import OutboxMessage
from notifications.rendering import one_line_subject, render_message

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

log = logging.getLogger(__name__)

# A text given to notify() as it stands, as a lazy translation, or as a callable: all are rendered in
# the recipient's language.
type Text = str | StrPromise | Callable[[], str]


def site_url(viewname: str, *args) -> str:
    """An absolute URL for a message: emails are read outside the site, so a path from reverse() alone
    would not work. Every link put into a notification is built here."""
    return settings.SITE_URL.rstrip("/") + reverse(viewname, args=args)


def render(text: Text) -> str:
    """A message text as a string, in the language active now (notify() makes it the recipient's)."""
    return str(text() if callable(text) else text)


def notify(
    *,
    recipient_id: int,
    kind: str,
    object_key: str,
    context: dict | None = None,
    subject: Text | None = None,
    body: Text | None = None,
    due_at: datetime | None = None,
    ics: str = "",
    municipality_id: int | None = None,
) -> OutboxMessage | None:
    """Write one outbox row unless this (recipient, kind, object) was already written. Returns the row,
    or None when it existed. Must be called inside the caller's transaction.

    The texts are the kind's templates (templates/notifications/<kind>/) rendered with `context` in the
    recipient's language (User.language). [Transition: `subject` and `body` as lazy translations or
    callables are still accepted for kinds not yet moved to templates.]

    `municipality_id` names the municipality the message is about, so that its staff see the row if
    sending it fails for good."""
    language = (
        User.objects.filter(pk=recipient_id).values_list("language", flat=True).first()
        or settings.LANGUAGE_CODE
    )
    line_text = html_body = ""
    if context is not None:
        rendered = render_message(kind, {**context, "site_url": settings.SITE_URL}, language)
        subject_text, body_text = one_line_subject(rendered.subject), rendered.body
        line_text, html_body = rendered.line, rendered.html
    else:
        with translation.override(language):
            subject_text, body_text = one_line_subject(render(subject or "")), render(body or "")
    try:
        with transaction.atomic():  # savepoint: a duplicate must not break the caller's transaction
            message = OutboxMessage.objects.create(
                recipient_id=recipient_id,
                kind=kind,
                object_key=object_key,
                subject=subject_text,
                body=body_text,
                line_text=line_text,
                html_body=html_body,
                ics=ics,
                due_at=due_at or timezone.now(),
                municipality_id=municipality_id,
            )
    except IntegrityError:
        return None
    if message.due_at <= timezone.now():
        # robust: enqueue_delivery already catches a broker outage; anything else it raises must not
        # turn the caller's committed change into an error page either.
        transaction.on_commit(lambda: enqueue_delivery(message.pk), robust=True)
    return message


def enqueue_delivery(message_id: int) -> None:
    """Hand a committed row to a worker now. With the broker unreachable the row simply waits for the
    sweep (deliver_due): PostgreSQL holds the message, the queue is only a shortcut."""
    from notifications.tasks import deliver  # tasks import services: import here, not at the top

    try:
        deliver.delay(message_id)
    except Exception as exc:  # kombu's OperationalError, redis' ConnectionError, a timeout
        log.warning("outbox %s not queued, the sweep will send it: %r", message_id, exc)
