"""Delivering outbox rows: claim, send, record.

Delivery is at-least-once, not exactly-once. A worker claims a row (`_claim`), sends, then records
`sent_at`; if it dies between the mail server's acceptance and that write, the claim lapses after
CLAIM_LEASE and the sweep sends the row again. Every try of a row carries the same Message-ID
(`OutboxMessage.message_id`), so the recipient's mail client folds the repeat. The lease must outlast a
send: EMAIL_TIMEOUT (settings) and the task's time limit keep one try far shorter than CLAIM_LEASE, so a
slow send is not taken over by a second worker while it is still running.

A row that fails MAX_ATTEMPTS times stops being retried and is listed for its municipality's staff
(`failed_messages`), who can put it back in the queue (`message_retry`).

Two ways in: `deliver()` sends one row (the task enqueued after the commit that wrote it), and
`deliver_batch()` sends many (the beat sweep's fan-out, `enqueue_due`: 10,000 reminders due at 08:00
go to the workers as tasks of BATCH_SIZE rows, each batch claimed in one statement and recorded in one,
instead of 10,000 tasks of three queries each). Both claim with the same lease and record a failure the
same way, on its own row.
"""

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.services import one_line_subject

log = logging.getLogger(__name__)

# A claim older than this is considered abandoned (the worker died mid-send) and is taken again.
CLAIM_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
# Rows per deliver_batch task: its claim and its record cost little beside 200 sends, and a burst of
# 10,000 is 50 tasks that every worker shares (bench reminder_fanout). A batch is claimed at once, so all its sends must end inside the lease:
# deliver_batch starts no send after BATCH_SEND_BUDGET (the one under way may take EMAIL_TIMEOUT more)
# and hands the rest back to the sweep.
BATCH_SIZE = 200
BATCH_SEND_BUDGET = timedelta(seconds=60)
# Rows one sweep hands out; a larger backlog goes on the next sweeps.
SWEEP_LIMIT = 20_000


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
        _record_failure(message, exc)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now())
    return True


def _record_failure(message: OutboxMessage, exc: Exception) -> None:
    """Count a failed try on the row, release its claim and push its next try forward (exponential), so
    that one bad row cannot crash-loop the sweep."""
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


# _claim for many rows in one statement (PostgreSQL), with the same conditions. FOR UPDATE re-checks
# them on the newest version of a row that another claim changed meanwhile, so a row another worker
# claimed and committed is not taken again; SKIP LOCKED passes over rows another claim is taking right
# now instead of waiting for them, so two overlapping batches never deadlock.
CLAIM_BATCH_SQL = """
WITH claimable AS (
    SELECT id FROM {table}
    WHERE id = ANY(%(ids)s) AND sent_at IS NULL AND due_at <= %(now)s
        AND (claimed_at IS NULL OR claimed_at < %(lapsed)s)
    ORDER BY id
    FOR UPDATE SKIP LOCKED
)
UPDATE {table} SET claimed_at = %(now)s FROM claimable WHERE {table}.id = claimable.id
RETURNING {table}.id
"""


def _claim_batch(message_ids: list[int], now: datetime) -> list[int]:
    """Compare-and-set for many rows: claim, as of `now`, those of `message_ids` that are due, unsent
    and held by nobody. Returns the ids this caller won."""
    if connection.vendor != "postgresql":
        # The embedded default (SQLite, one writer at a time): the same claim, row by row.
        return [pk for pk in message_ids if _claim(pk)]
    sql = CLAIM_BATCH_SQL.format(table=connection.ops.quote_name(OutboxMessage._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": list(message_ids), "now": now, "lapsed": now - CLAIM_LEASE})
        return [row[0] for row in cursor.fetchall()]


def deliver_batch(*, message_ids: list[int]) -> int:
    """Send those of `message_ids` that are still unsent and that nobody else holds; returns how many
    were sent now. One claim and one `sent_at` write for the whole batch; a failing send is recorded on
    its own row, as deliver() does, and the others go on. Past BATCH_SEND_BUDGET the rows not yet tried
    are handed back unclaimed for the next sweep, so that no send of the batch outlasts the lease."""
    started, claimed_at = time.monotonic(), timezone.now()
    claimed = _claim_batch(message_ids, claimed_at)
    if not claimed:
        return 0
    # Rows withdrawn after the claim (a reminder voided by a cancellation) are simply not found.
    messages = (
        OutboxMessage.objects.select_related("recipient").filter(pk__in=claimed).order_by("pk")
    )
    sent: list[int] = []
    untried: list[int] = []
    budget = BATCH_SEND_BUDGET.total_seconds()
    try:
        for message in messages:
            if untried or time.monotonic() - started > budget:
                untried.append(message.pk)
                continue
            try:
                _send(message)
            except Exception as exc:
                _record_failure(message, exc)
            else:
                sent.append(message.pk)
    finally:
        # Also when the task is stopped mid-batch (its soft time limit): what went out is recorded.
        OutboxMessage.objects.filter(pk__in=sent).update(sent_at=timezone.now())
        if untried:
            OutboxMessage.objects.filter(
                pk__in=untried, claimed_at=claimed_at, sent_at=None
            ).update(claimed_at=None)
            log.warning(
                "outbox batch over its time budget: %s rows left to the sweep", len(untried)
            )
    return len(sent)


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


def due_message_ids(*, limit: int) -> list[int]:
    """Due, unsent rows that nobody holds and that have attempts left, oldest first."""
    now = timezone.now()
    return list(
        OutboxMessage.objects.filter(sent_at=None, due_at__lte=now, attempts__lt=MAX_ATTEMPTS)
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - CLAIM_LEASE))
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )


def batches(message_ids: list[int]) -> list[list[int]]:
    return [message_ids[i : i + BATCH_SIZE] for i in range(0, len(message_ids), BATCH_SIZE)]


def deliver_due(*, limit: int = 500) -> int:
    """Send every due, unsent, unclaimed row in this process, batch by batch; returns how many were
    sent. (The beat task hands the rows to the workers instead: enqueue_due.)"""
    return sum(deliver_batch(message_ids=b) for b in batches(due_message_ids(limit=limit)))


def enqueue_batches(message_ids: list[int]) -> int:
    """Hand rows to the workers as deliver_batch tasks of BATCH_SIZE rows; returns how many rows were
    queued. Queuing claims nothing: a row queued twice (two sweeps, or a sweep and the row's on-commit
    task) is sent by whichever task claims it first, and the other finds it taken."""
    from notifications.tasks import deliver_batch  # the tasks import this module

    queued = 0
    for batch in batches(message_ids):
        try:
            deliver_batch.delay(batch)
        except Exception as exc:
            # The broker went away mid-sweep: the rest waits for the next sweep.
            log.warning("outbox sweep: %s rows not queued: %r", len(message_ids) - queued, exc)
            break
        queued += len(batch)
    return queued


def enqueue_due(*, limit: int = SWEEP_LIMIT) -> int:
    """The beat sweep: hand every due, unsent, unclaimed row to the workers in batches; returns how many
    rows were queued. Rows of a backlog still unclaimed at the next sweep are queued again and fold at
    the claim."""
    return enqueue_batches(due_message_ids(limit=limit))


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
