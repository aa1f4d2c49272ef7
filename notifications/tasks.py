from celery import shared_task

from notifications import services


@shared_task(
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=60,
    soft_time_limit=50,
)
def deliver(message_id: int) -> bool:
    return services.deliver(message_id=message_id)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280)
def deliver_due() -> int:
    return services.deliver_due()
