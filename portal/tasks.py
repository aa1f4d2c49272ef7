from celery import shared_task

from portal.services import undecided


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280)
def close_undecided_due() -> dict:
    """Every few minutes (CELERY_BEAT_SCHEDULE): remind hosts of selections closing within a day, and
    tell helpers still waiting when no decision can come any more. Idempotent: a closed application is
    no longer waiting, and each reminder is one outbox row per host and session."""
    return undecided.sweep()
