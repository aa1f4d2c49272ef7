"""Celery tasks over reports.services: thin, idempotent (a run is claimed with a conditional update; the
beat job writes version 1 only)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from reports import services
from reports.models import MonthlyReportRun

log = logging.getLogger(__name__)


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def monthly_reports_due() -> int:
    """Daily at 02:00 Japan time (CELERY_BEAT_SCHEDULE): last month's snapshot of every municipality
    that has none yet."""
    return services.monthly_reports_due()


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def compute_run(run_id: int) -> int | None:
    run = services.monthly_report_run(run_id=run_id)
    return run.report_id if run else None


def enqueue_run(run_id: int) -> None:
    try:
        compute_run.delay(run_id)
    except Exception as exc:
        # The broker is away: runs_due hands the run to a worker later.
        log.warning("monthly report run %s not queued: %r", run_id, exc)


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def runs_due() -> int:
    """Every five minutes: runs whose task never reached a worker (queued for over a minute) or whose
    worker was lost (running past the lease). Queuing twice is harmless: the claim decides."""
    now = timezone.now()
    ids = list(
        MonthlyReportRun.objects.filter(
            Q(status=MonthlyReportRun.Status.QUEUED, created_at__lt=now - timedelta(minutes=1))
            | Q(
                status=MonthlyReportRun.Status.RUNNING,
                started_at__lt=now - services.RUN_LEASE,
            )
        ).values_list("pk", flat=True)[:100]
    )
    for run_id in ids:
        enqueue_run(run_id)
    return len(ids)
