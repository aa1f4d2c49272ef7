from celery import shared_task

from portal.services import matching, undecided


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280)
def close_undecided_due() -> dict:
    """Every few minutes (CELERY_BEAT_SCHEDULE): remind hosts of selections closing within a day, and
    tell helpers still waiting when no decision can come any more. Idempotent: a closed application is
    no longer waiting, and each reminder is one outbox row per host and session."""
    return undecided.sweep()


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def send_digests_due() -> int:
    """Every hour (CELERY_BEAT_SCHEDULE): the weekly digest of new programs to every helper whose digest
    is due. A second beat doubles nothing: each helper is claimed (and made due a week later) before
    anything is ranked or written."""
    return matching.digests_send_due()
