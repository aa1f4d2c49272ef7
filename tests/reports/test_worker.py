"""A run through a real Celery worker on the Redis broker (not eager): staff ask for a month, the task
leaves after the commit, the worker computes and stores it; the same task sent again stores nothing."""

import time

import pytest

from reports import services, tasks
from reports.models import MonthlyReport, MonthlyReportRun, Scope
from tests.notifications.test_celery_worker import worker  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def wait_done(pk: int, timeout: float = 60) -> MonthlyReportRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = MonthlyReportRun.objects.get(pk=pk)
        if run.status in (MonthlyReportRun.Status.DONE, MonthlyReportRun.Status.FAILED):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {pk} not done within {timeout}s")


def test_a_worker_computes_a_run_once(worker, october, staff):  # noqa: F811
    start, _mail_dir = worker
    proc = start()
    run = services.monthly_report_request(
        actor=staff, scope=Scope.MUNICIPALITY, municipality_id=october.municipality.pk,
        year=2026, month=10,
    )  # fmt: skip
    run = wait_done(run.pk)
    assert run.status == MonthlyReportRun.Status.DONE, run.error
    assert run.report.figures["participants"]["attendances"] == 5
    tasks.compute_run.delay(run.pk)  # delivered again
    tasks.runs_due.delay()
    time.sleep(3)
    assert proc.poll() is None
    assert MonthlyReport.objects.count() == 1
