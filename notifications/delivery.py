"""Delivering outbox rows: claim, send, record.

Delivery is at-least-once, not exactly-once. A worker claims a row (`_claim`), sends, then records
`sent_at`; if it dies between the mail server's acceptance and that write, the claim lapses after
CLAIM_LEASE and the sweep sends the row again. Every try of a row carries the same Message-ID
(`OutboxMessage.message_id`), so the recipient's mail client folds the repeat. The lease must outlast a
send: EMAIL_TIMEOUT (settings) and the task's time limit keep one try far shorter than CLAIM_LEASE, so a
slow send is not taken over by a second worker while it is still running.

A row that fails MAX_ATTEMPTS times stops being retried and is listed for its municipality's staff
(`failed_messages`), who can put it back in the queue (`message_retry`).
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q, QuerySet
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.rendering import one_line_subject

log = logging.getLogger(__name__)

# A claim older than this is considered abandoned (the worker died mid-send) and is taken again.
CLAIM_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


def _claim(message_id: int) -> bool:
    """Compare-and-set: only one worker may send a row. True when this caller won the claim."""
    now = timezone.now()
    return (
        OutboxMessage.objects.filter(pk=message_id, sent_at=None, due_at__lte=now)
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - CLAIM_LEASE))
        .update(claimed_at=now)
        == 1
    )


def deliver(*, message_id: int) -> bool:
    """Send one outbox row if it is still unsent and nobody else holds it. True when sent now."""
    if not _claim(message_id):
        return False
    message = OutboxMessage.objects.select_related("recipient").filter(pk=message_id).first()
    if message is None:
        return False  # withdrawn (e.g. a reminder voided by a cancellation) after the claim
    try:
        _send(message)
    except Exception as exc:
        # Push the next try forward (exponential) so one bad row cannot crash-loop the sweep.
        attempts = message.attempts + 1
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=attempts,
            last_error=repr(exc)[:2000],
            claimed_at=None,
            due_at=timezone.now() + timedelta(minutes=2**attempts),
        )
        if attempts >= MAX_ATTEMPTS:
            # The sweep stops here; the row waits on the staff page of failed sends.
            log.error("outbox %s failed %s times, given up: %r", message.pk, attempts, exc)
        else:
            log.warning("outbox %s failed (attempt %s): %r", message.pk, attempts, exc)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now())
    return True


def _send(message: OutboxMessage) -> None:
    email = EmailMultiAlternatives(
        subject=one_line_subject(message.subject),  # rows written before notify() made it one line
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient.email],
        headers={"Message-ID": message.message_id},
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    if message.ics:
        email.attach("event.ics", message.ics, "text/calendar")
    email.send()


def deliver_due(*, limit: int = 500) -> int:
    """The beat sweep: send every due, unsent, unclaimed row; returns how many were sent."""
    now = timezone.now()
    ids = list(
        OutboxMessage.objects.filter(sent_at=None, due_at__lte=now, attempts__lt=MAX_ATTEMPTS)
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - CLAIM_LEASE))
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(deliver(message_id=pk) for pk in ids)


def failed_messages(municipality_ids: Iterable[int] | None) -> QuerySet[OutboxMessage]:
    """Rows that used up their attempts and are no longer retried, newest first. `None` means every
    municipality (superusers), including rows about none."""
    rows = OutboxMessage.objects.filter(sent_at=None, attempts__gte=MAX_ATTEMPTS)
    if municipality_ids is not None:
        rows = rows.filter(municipality_id__in=municipality_ids)
    return rows.select_related("recipient", "municipality").order_by("-due_at")


def message_retry(*, message: OutboxMessage) -> bool:
    """Put a failed row back in the queue: the next sweep tries it again, MAX_ATTEMPTS more times.
    Compare-and-set on the failed state, so a row sent or retried meanwhile is left alone; True when
    this call re-queued it."""
    return (
        OutboxMessage.objects.filter(
            pk=message.pk, sent_at=None, attempts__gte=MAX_ATTEMPTS
        ).update(attempts=0, claimed_at=None, due_at=timezone.now())
        == 1
    )
