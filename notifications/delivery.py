"""Delivering outbox rows: claim, send, record.

Delivery is at-least-once, not exactly-once. A worker claims a row (`_claim`), sends, then records
`sent_at`; if it dies between the provider's acceptance and that write, the claim lapses after
CLAIM_LEASE and the sweep sends the row again. Every try of a row carries the same Message-ID
(`OutboxMessage.message_id`), so the recipient's mail client folds the repeat, and a LINE push the same
retry key (notifications.line), so LINE answers the repeat with 409 and shows nothing twice. The lease
must outlast a send: EMAIL_TIMEOUT and LINE_API_TIMEOUT (settings) and the task's time limit keep one
try far shorter than CLAIM_LEASE, so a slow send is not taken over by a second worker while it runs.

The channel is decided at send time (`_send`): LINE when the recipient chose it, linked a LINE account
and the site has a Messaging API token; email otherwise, and also when LINE refuses the push (a 4xx:
not a friend of the official account, an unknown user, the monthly quota used up), at once and in the
same try. A LINE 5xx or timeout is a failed try like a failed email: the row is tried again later, on
LINE, under the same retry key. The row records the channel the message actually went out on.

A message of a topic the recipient switched off after it was written is skipped at send time
(`skipped_at`), not sent.

A row that fails MAX_ATTEMPTS times stops being retried: its municipality's staff get one alert (a
DELIVERY_FAILED message; an alert that cannot be delivered raises none) and see it on their delivery
page, where they can put it back in the queue (`message_retry`).

`deliver(message_id=)` is the entry point for one row and `_send()` the send itself; a caller that
sends rows another way must also skip opted-out rows (`_opted_out`), record `Sent.channel` with
`sent_at`, and record failures with `_record_failure`.

Two ways in: `deliver()` sends one row (the task enqueued after the commit that wrote it), and
`deliver_batch()` sends many (the beat sweep's fan-out, `notifications.tasks.enqueue_due`: 10,000 reminders due at 08:00
go to the workers as tasks of BATCH_SIZE rows, each batch claimed in one statement and recorded in one,
instead of 10,000 tasks of three queries each). Both claim with the same lease and record a failure the
same way, on its own row.
"""

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext as _

from accounts.mail import ReadableEmailMessage
from accounts.permissions import municipality_staff_ids
from notifications import line, preferences
from notifications.kinds import TOPIC_OF, Kind
from notifications.models import MAX_ATTEMPTS, OutboxMessage, Preference
from notifications.outbox import write_message
from notifications.rendering import one_line_subject, site_url

log = logging.getLogger(__name__)

# A claim older than this is considered abandoned (the worker died mid-send) and is taken again.
CLAIM_LEASE = timedelta(minutes=5)
# Rows per deliver_batch task: its claim and its record cost little beside 200 sends, and a burst of
# 10,000 is 50 tasks that every worker shares (bench reminder_fanout). A batch is claimed at once, so
# all its sends must end inside the lease:
# deliver_batch starts no send after BATCH_SEND_BUDGET (the one under way may take EMAIL_TIMEOUT more)
# and hands the rest back to the sweep.
BATCH_SIZE = 200
BATCH_SEND_BUDGET = timedelta(seconds=60)
# Rows one sweep hands out; a larger backlog goes on the next sweeps.
SWEEP_LIMIT = 20_000


@dataclass(frozen=True)
class Sent:
    """How a row went out: the channel used, and why LINE was not, when it was preferred but refused."""

    channel: str
    note: str = ""


def _claim(message_id: int) -> bool:
    """Compare-and-set: only one worker may send a row. True when this caller won the claim. A row
    given up (MAX_ATTEMPTS) or skipped is not claimed: only staff put a given-up row back."""
    now = timezone.now()
    return (
        OutboxMessage.objects.filter(
            pk=message_id,
            sent_at=None,
            skipped_at=None,
            due_at__lte=now,
            attempts__lt=MAX_ATTEMPTS,
        )
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - CLAIM_LEASE))
        .update(claimed_at=now)
        == 1
    )


def deliver(*, message_id: int) -> bool:
    """Send one outbox row if it is still unsent and nobody else holds it. True when sent now."""
    if not _claim(message_id):
        return False
    message = (
        OutboxMessage.objects.select_related("recipient", "recipient__notification_preference")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return False  # withdrawn (e.g. a reminder voided by a cancellation) after the claim
    if _opted_out(message):
        OutboxMessage.objects.filter(pk=message.pk, sent_at=None).update(
            skipped_at=timezone.now(), claimed_at=None
        )
        return False
    try:
        sent = _send(message)
    except Exception as exc:
        _record_failure(message, exc)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=timezone.now(), channel=sent.channel, last_error=sent.note
    )
    return True


# _claim for many rows in one statement (PostgreSQL), with the same conditions. FOR UPDATE re-checks
# them on the newest version of a row that another claim changed meanwhile, so a row another worker
# claimed and committed is not taken again; SKIP LOCKED passes over rows another claim is taking right
# now instead of waiting for them, so two overlapping batches never deadlock.
CLAIM_BATCH_SQL = """
WITH claimable AS (
    SELECT id FROM {table}
    WHERE id = ANY(%(ids)s) AND sent_at IS NULL AND skipped_at IS NULL AND due_at <= %(now)s
        AND attempts < %(max_attempts)s
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
        cursor.execute(
            sql,
            {
                "ids": list(message_ids),
                "now": now,
                "lapsed": now - CLAIM_LEASE,
                "max_attempts": MAX_ATTEMPTS,
            },
        )
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
        OutboxMessage.objects.select_related("recipient", "recipient__notification_preference")
        .filter(pk__in=claimed)
        .order_by("pk")
    )
    sent: dict[Sent, list[int]] = {}
    skipped: list[int] = []
    untried: list[int] = []
    budget = BATCH_SEND_BUDGET.total_seconds()
    try:
        for message in messages:
            if untried or time.monotonic() - started > budget:
                untried.append(message.pk)
                continue
            if _opted_out(message):
                skipped.append(message.pk)
                continue
            try:
                how = _send(message)
            except Exception as exc:
                _record_failure(message, exc)
            else:
                sent.setdefault(how, []).append(message.pk)
    finally:
        # Also when the task is stopped mid-batch (its soft time limit): what went out is recorded.
        now = timezone.now()
        for how, ids in sent.items():
            OutboxMessage.objects.filter(pk__in=ids).update(
                sent_at=now, channel=how.channel, last_error=how.note
            )
        OutboxMessage.objects.filter(pk__in=skipped, sent_at=None).update(
            skipped_at=now, claimed_at=None
        )
        if untried:
            OutboxMessage.objects.filter(
                pk__in=untried, claimed_at=claimed_at, sent_at=None
            ).update(claimed_at=None)
            log.warning(
                "outbox batch over its time budget: %s rows left to the sweep", len(untried)
            )
    return sum(len(ids) for ids in sent.values())


def _opted_out(message: OutboxMessage) -> bool:
    """The recipient switched the message's topic off since it was written."""
    return preferences.is_opted_out(message.recipient_id, message.kind)


def _send(message: OutboxMessage) -> Sent:
    """Send the row on the recipient's channel; returns how it went out. Raises when the try failed
    and should be repeated later (a mail server or LINE down, a timeout)."""
    note = ""
    line_id = _line_recipient(message)
    if line_id:
        try:
            line.push(
                to=line_id, text=_line_text(message), retry_key=line.retry_key(message.message_id)
            )
        except line.LineRefused as exc:
            # LINE will give the same answer to every retry: the person gets the email now instead.
            log.info("outbox %s: %s, sending by email", message.pk, exc)
            note = f"{exc} (sent by email instead)"[:2000]
        else:
            return Sent(channel=OutboxMessage.Channel.LINE)
    _send_email(message)
    return Sent(channel=OutboxMessage.Channel.EMAIL, note=note)


def _line_recipient(message: OutboxMessage) -> str | None:
    """The LINE user id to push the row to, or None when it goes by email."""
    if not line.is_configured():
        return None
    try:
        channel = message.recipient.notification_preference.channel
    except Preference.DoesNotExist:
        return None  # never chose: email, the default
    if channel != OutboxMessage.Channel.LINE:
        return None
    return line.line_user_id(message.recipient_id)


def _line_text(message: OutboxMessage) -> str:
    """The row's LINE text; a row written without one (a kind with no LINE template) sends its email
    subject and body."""
    return message.line_text or f"{message.subject}\n\n{message.body}"


def _send_email(message: OutboxMessage) -> None:
    body, html = message.body, message.html_body
    headers = {"Message-ID": message.message_id}
    topic = TOPIC_OF.get(message.kind)
    if topic is not None:
        # RFC 8058 one-click unsubscribe (mail clients show an "unsubscribe" button and POST to the
        # link), and the same link in the text for people who read the message.
        url = unsubscribe_url(message.recipient_id, topic)
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        with translation.override(message.recipient.language or settings.LANGUAGE_CODE):
            label = _("このお知らせの配信を停止する")
            body = f"{body.rstrip()}\n\n--\n{label}: {url}\n"
            if html:
                html += format_html('<p><a href="{}">{}</a></p>', url, label)
    email = ReadableEmailMessage(
        subject=one_line_subject(message.subject),  # rows written before notify() made it one line
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient.email],
        headers=headers,
    )
    if html:
        email.attach_alternative(html, "text/html")
    if message.ics:
        email.attach("event.ics", message.ics, "text/calendar")
    email.send()


def unsubscribe_url(user_id: int, topic: str) -> str:
    return site_url("notifications_unsubscribe", preferences.unsubscribe_token(user_id, topic))


def _record_failure(message: OutboxMessage, exc: Exception) -> None:
    """Count a failed try and push the next one forward (exponential), so one bad row cannot
    crash-loop the sweep. The try that uses up MAX_ATTEMPTS gives the row up and alerts its staff, in
    the same transaction: the alert is written exactly when the row is given up."""
    attempts = message.attempts + 1
    error = repr(exc)[:2000]
    now = timezone.now()
    with transaction.atomic():
        recorded = OutboxMessage.objects.filter(pk=message.pk, sent_at=None).update(
            attempts=attempts,
            last_error=error,
            claimed_at=None,
            due_at=now + timedelta(minutes=2**attempts),
        )
        if recorded and attempts >= MAX_ATTEMPTS:
            # The sweep stops here; the row waits on the staff's delivery page.
            log.error("outbox %s failed %s times, given up: %r", message.pk, attempts, exc)
            _alert_staff(message, error, now)
        elif recorded:
            log.warning("outbox %s failed (attempt %s): %r", message.pk, attempts, exc)


def _alert_staff(message: OutboxMessage, error: str, now) -> None:
    """Tell the staff of the row's municipality that it was given up. Never about an alert: an alert
    that cannot be delivered waits on the page like any other row, without an alert of its own."""
    if message.kind == Kind.DELIVERY_FAILED or message.municipality_id is None:
        return
    context = {
        "failed_subject": message.subject,
        "failed_kind": message.kind,
        "failed_recipient": message.recipient.email,
        "error": error[:300],
        "attempts": MAX_ATTEMPTS,
        "url": site_url("staff_outbox") + "?state=failed",
    }
    # One alert per give-up: a row that staff put back and that fails again alerts again.
    object_key = f"outbox:{message.pk}:{now:%Y%m%d%H%M%S}"
    for staff_id in municipality_staff_ids(message.municipality_id):
        write_message(
            recipient_id=staff_id,
            kind=Kind.DELIVERY_FAILED,
            object_key=object_key,
            context=context,
            municipality_id=message.municipality_id,
        )


def due_message_ids(*, limit: int) -> list[int]:
    """Due, unsent rows that nobody holds and that have attempts left, oldest first."""
    now = timezone.now()
    return list(
        OutboxMessage.objects.filter(
            sent_at=None, skipped_at=None, due_at__lte=now, attempts__lt=MAX_ATTEMPTS
        )
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - CLAIM_LEASE))
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )


def batches(message_ids: list[int]) -> list[list[int]]:
    return [message_ids[i : i + BATCH_SIZE] for i in range(0, len(message_ids), BATCH_SIZE)]


def deliver_due(*, limit: int = 500) -> int:
    """Send every due, unsent, unclaimed row in this process, batch by batch; returns how many were
    sent. (The beat task hands the rows to the workers instead: notifications.tasks.enqueue_due.)"""
    return sum(deliver_batch(message_ids=b) for b in batches(due_message_ids(limit=limit)))


def failed_messages(municipality_ids: Iterable[int] | None) -> QuerySet[OutboxMessage]:
    """Rows that used up their attempts and are no longer retried, newest first. `None` means every
    municipality (superusers), including rows about none."""
    rows = OutboxMessage.objects.filter(OutboxMessage.in_state(OutboxMessage.State.FAILED))
    if municipality_ids is not None:
        rows = rows.filter(municipality_id__in=municipality_ids)
    return rows.select_related("recipient", "municipality").order_by("-due_at")


def message_retry(*, message: OutboxMessage) -> bool:
    """Put a failed row back in the queue: the next sweep tries it again, MAX_ATTEMPTS more times.
    Compare-and-set on the failed state, so a row sent or retried meanwhile is left alone; True when
    this call re-queued it."""
    return (
        OutboxMessage.objects.filter(OutboxMessage.in_state(OutboxMessage.State.FAILED))
        .filter(pk=message.pk)
        .update(attempts=0, claimed_at=None, due_at=timezone.now())
        == 1
    )
