"""Celery tasks over notifications.delivery.

`deliver` declares no `autoretry_for`: delivery.deliver catches every error of a send itself, records
it on the row and pushes the row's next try forward, so no exception ever reaches Celery's retry (an
`autoretry_for=(ConnectionError,)` here could never fire). Retrying is the sweep's job: the row, not
the broker, carries the schedule, and it survives a Redis restart.
"""

from celery import shared_task

from notifications import delivery


# The time limit stays far below delivery.CLAIM_LEASE, so a try is over before its claim can lapse.
@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def deliver(message_id: int) -> bool:
    return delivery.deliver(message_id=message_id)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280)
def deliver_due() -> int:
    return delivery.deliver_due()
