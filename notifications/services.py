"""Writing to and delivering from the outbox.

`notify()` is called inside the transaction of the change that causes the message; it enqueues the send
with `transaction.on_commit`, so a rolled-back change sends nothing. `deliver_due()` is the beat sweep that
(notifications.delivery) picks up anything the on-commit task did not finish (worker lost, Redis restarted, a failing provider).

Texts come from the kind's templates (notifications.rendering), rendered here in the recipient's language
and stored on the row; notifications.delivery sends them.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.text import single_line
from notifications.kinds import Kind
from notifications.models import OutboxMessage
from notifications.preferences import is_opted_out
from notifications.rendering import render_message

log = logging.getLogger(__name__)


def site_url(viewname: str, *args) -> str:
    """An absolute URL for a message: emails are read outside the site, so a path from reverse() alone
    would not work. Every link put into a notification is built here."""
    return settings.SITE_URL.rstrip("/") + reverse(viewname, args=args)


def one_line_subject(text: str) -> str:
    """A subject as an email header takes it: one line (Django refuses a header with a line break at
    send time, so a title typed over two lines would silence every message about it) that fits the
    column (a long title must not fail the change that notifies)."""
    text = single_line(text).strip()
    limit = OutboxMessage._meta.get_field("subject").max_length
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notify(
    *,
    recipient_id: int,
    kind: str,
    object_key: str,
    context: dict,
    due_at: datetime | None = None,
    ics: str = "",
    municipality_id: int | None = None,
) -> OutboxMessage | None:
    """Write one outbox row unless this (recipient, kind, object) was already written. Returns the row,
    or None when it existed. Must be called inside the caller's transaction.

    The texts are the kind's templates (templates/notifications/<kind>/) rendered with `context` in the
    recipient's language (User.language). A kind not in notifications.kinds.Kind is refused
    (ValueError): every message has its templates.

    `municipality_id` names the municipality the message is about, so that its staff see the row if
    sending it fails for good.

    A message of a topic the recipient switched off is not written (None is returned)."""
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}: add it to notifications.kinds.Kind")
    if is_opted_out(recipient_id, kind):
        return None
    language = (
        User.objects.filter(pk=recipient_id).values_list("language", flat=True).first()
        or settings.LANGUAGE_CODE
    )
    rendered = render_message(kind, {**context, "site_url": settings.SITE_URL}, language)
    try:
        with transaction.atomic():  # savepoint: a duplicate must not break the caller's transaction
            message = OutboxMessage.objects.create(
                recipient_id=recipient_id,
                kind=kind,
                object_key=object_key,
                subject=one_line_subject(rendered.subject),
                body=rendered.body,
                line_text=rendered.line,
                html_body=rendered.html,
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
