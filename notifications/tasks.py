"""Celery tasks over notifications.services.

`deliver` declares no `autoretry_for`: services.deliver catches every error of a send itself, records
it on the row and pushes the row's next try forward, so no exception ever reaches Celery's retry (an
`autoretry_for=(ConnectionError,)` here could never fire). Retrying is the sweep's job: the row, not
the broker, carries the schedule, and it survives a Redis restart.
"""

from celery import shared_task

from notifications import services


# The time limit stays far below services.CLAIM_LEASE, so a try is over before its claim can lapse.
@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def deliver(message_id: int) -> bool:
    return services.deliver(message_id=message_id)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280)
def deliver_due() -> int:
    return services.deliver_due()
