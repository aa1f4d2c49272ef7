"""Celery tasks over notifications.delivery.

`deliver` declares no `autoretry_for`: delivery.deliver catches every error of a send itself, records
it on the row and pushes the row's next try forward, so no exception ever reaches Celery's retry (an
`autoretry_for=(ConnectionError,)` here could never fire). Retrying is the sweep's job: the row, not
the broker, carries the schedule, and it survives a Redis restart.
"""

import logging

from celery import shared_task

from notifications import delivery

log = logging.getLogger(__name__)


# The time limit stays far below delivery.CLAIM_LEASE, so a try is over before its claim can lapse.
@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def deliver(message_id: int) -> bool:
    return delivery.deliver(message_id=message_id)


# A batch starts no send after delivery.BATCH_SEND_BUDGET, and the last one may take EMAIL_TIMEOUT more;
# the soft limit still lets it record what it sent. Both limits stay far below delivery.CLAIM_LEASE.
@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def deliver_batch(message_ids: list[int]) -> int:
    return delivery.deliver_batch(message_ids=message_ids)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280)
def deliver_due() -> int:
    """The beat sweep: due rows go to the workers as deliver_batch tasks."""
    return enqueue_due()


def enqueue_batches(message_ids: list[int]) -> int:
    """Hand rows to the workers as deliver_batch tasks of BATCH_SIZE rows; returns how many rows were
    queued. Queuing claims nothing: a row queued twice (two sweeps, or a sweep and the row's on-commit
    task) is sent by whichever task claims it first, and the other finds it taken."""
    queued = 0
    for batch in delivery.batches(message_ids):
        try:
            deliver_batch.delay(batch)
        except Exception as exc:
            # The broker went away mid-sweep: the rest waits for the next sweep.
            log.warning("outbox sweep: %s rows not queued: %r", len(message_ids) - queued, exc)
            break
        queued += len(batch)
    return queued


def enqueue_due(*, limit: int = delivery.SWEEP_LIMIT) -> int:
    """The beat sweep: hand every due, unsent, unclaimed row to the workers in batches; returns how many
    rows were queued. Rows of a backlog still unclaimed at the next sweep are queued again and fold at
    the claim."""
    return enqueue_batches(delivery.due_message_ids(limit=limit))
