"""Celery tasks: thin wrappers over points.services. Each is safe to run twice, at once or after a
worker died in the middle (acks_late + task_reject_on_worker_lost redeliver it): a credit is keyed by
its attendance, so a re-run only does what is still missing."""

from celery import shared_task

from points import issuers, services


# acks_late + reject_on_worker_lost: a worker killed in the middle leaves the message to be redelivered;
# any error retries with growing pauses (the retry job takes over after the last one).
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
    time_limit=900,
    soft_time_limit=880,
)
def settle(request_id: int) -> dict[str, int]:
    """A closed session (every attendance, one transaction each) or one corrected attendance."""
    return services.points_settle_request(request_id=request_id)


@shared_task(acks_late=True, time_limit=900, soft_time_limit=880)
def retry_pending() -> dict[str, int]:
    """Every few minutes (CELERY_BEAT_SCHEDULE): settle requests whose task was lost, and credits
    waiting for budget, tried again."""
    return {
        "requests": services.points_retry_requests(),
        "pending": services.points_retry_pending(),
    }


@shared_task(acks_late=True, time_limit=600, soft_time_limit=580)
def expire_due() -> dict:
    """Every few minutes (CELERY_BEAT_SCHEDULE): expiry warnings a month before, then expiries."""
    return services.points_expire_due()


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def push_credit(push_id: int) -> str:
    """Send one credit to the municipality's operator, right after the credit's commit."""
    return issuers.operator_push_send(push_id=push_id)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=580)
def push_due() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): credits the operator has not confirmed, sent again when due."""
    return issuers.operator_push_sweep()
