"""Writing to the outbox and handing rows to the workers.

`notify()` is called inside the transaction of the change that causes the message; it writes the row
(notifications.outbox) and enqueues the send with `transaction.on_commit`, so a rolled-back change sends
nothing. The beat sweep (notifications.tasks.deliver_due) picks up anything the on-commit task did not
finish (worker lost, Redis restarted, a failing provider).

Texts come from the kind's templates (notifications.rendering), rendered in the recipient's language
and stored on the row; notifications.delivery sends them.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from notifications import delivery, rendering, tasks
from notifications.models import OutboxMessage
from notifications.outbox import write_message
from notifications.rendering import one_line_subject, site_url

__all__ = ["enqueue_delivery", "many_messages", "notify", "one_line_subject", "site_url"]

# Inside many_messages(): the ids of committed rows not yet handed to a worker.
_committed: ContextVar[list[int] | None] = ContextVar("notifications_committed", default=None)

log = logging.getLogger(__name__)


def notify(
    *,
    recipient_id: int,
    kind: str,
    object_key: str,
    context: dict,
    due_at: datetime | None = None,
    ics: str = "",
    municipality_id: int | None = None,
    language: str = "",
    new_object: bool = False,
) -> OutboxMessage | None:
    """Write one outbox row (notifications.outbox.write_message: once per recipient, kind and object;
    nothing for a topic the recipient switched off; a kind not in notifications.kinds.Kind is refused)
    and, when it is due now, hand it to a worker once the caller's transaction commits. Returns the row,
    or None when none was written. Must be called inside the caller's transaction.

    `municipality_id` names the municipality the message is about, so that its staff see the row if
    sending it fails for good. `language`: the recipient's, when the caller read it already; `new_object`: see write_message."""
    message = write_message(
        recipient_id=recipient_id,
        kind=kind,
        object_key=object_key,
        context=context,
        due_at=due_at,
        ics=ics,
        municipality_id=municipality_id,
        language=language,
        new_object=new_object,
    )
    if message is not None and message.due_at <= timezone.now():
        # robust: enqueue_delivery already catches a broker outage; anything else it raises must not
        # turn the caller's committed change into an error page either.
        pk = message.pk
        committed = _committed.get()
        if committed is None:
            transaction.on_commit(lambda: enqueue_delivery(pk), robust=True)
        else:
            transaction.on_commit(lambda: _collect(committed, pk), robust=True)
    return message


@contextmanager
def many_messages() -> Iterator[None]:
    """For a run of many short transactions that each notify (a closed session's credits, one per
    attendance): each distinct text is rendered once (rendering.reusing_renders), and the committed
    rows go to the workers as deliver_batch tasks of delivery.BATCH_SIZE, not as one task per row
    after each commit. Every row is in the outbox from its own commit on: if the process dies before a
    batch is handed over, the sweep (deliver_due) sends it."""
    committed: list[int] = []
    token = _committed.set(committed)
    try:
        with rendering.reusing_renders():
            yield
    finally:
        _committed.reset(token)
        if committed:
            tasks.enqueue_batches(committed)


def _collect(committed: list[int], message_id: int) -> None:
    committed.append(message_id)
    if len(committed) >= delivery.BATCH_SIZE:
        tasks.enqueue_batches(committed[:])
        committed.clear()


def enqueue_delivery(message_id: int) -> None:
    """Hand a committed row to a worker now. With the broker unreachable the row simply waits for the
    sweep (deliver_due): PostgreSQL holds the message, the queue is only a shortcut."""
    try:
        tasks.deliver.delay(message_id)
    except Exception as exc:  # kombu's OperationalError, redis' ConnectionError, a timeout
        log.warning("outbox %s not queued, the sweep will send it: %r", message_id, exc)
