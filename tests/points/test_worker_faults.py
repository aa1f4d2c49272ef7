"""Crediting with a real Celery worker and the Redis broker (not eager): a worker killed with SIGKILL in
the middle of a 500-attendance session, the same task delivered twice, the broker's queue lost (Redis
restarted) with a session waiting: every attendance is credited exactly once and the ledger sums to
zero."""

import os
import subprocess
import sys
import time

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.models import User
from config.celery import app as celery_app
from points import services, tasks
from points.models import Entry, PendingCredit, SettleRequest, Transaction
from points.selectors import ledger_mismatches
from portal.models import Application, Attendance
from tests.points.conftest import ended_session

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
BROKER = settings.CELERY_BROKER_URL
ATTENDEES = 500


@pytest.fixture
def worker():
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_VISIBILITY_TIMEOUT": "5",  # a killed worker's task comes back after 5 s
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    assert BROKER.startswith("redis://"), "this test needs the real broker"
    redis.Redis.from_url(BROKER).flushdb()
    celery_app.conf.update(task_always_eager=False)
    procs: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
             "--concurrency=1", "--loglevel=WARNING", "--without-heartbeat", "--without-gossip",
             "--without-mingle"],
            cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
    celery_app.conf.update(task_always_eager=True)


def _big_session(municipality):
    services.budget_fund(
        municipality_id=municipality.pk,
        source="交付金",
        amount=500 * ATTENDEES,
        key="big",
        actor=None,
    )
    helpers = User.objects.bulk_create(
        User(email=f"attendee{i}@example.jp", name=f"参加者{i}") for i in range(ATTENDEES)
    )
    session, apps = ended_session(municipality, helpers=[], points=500)
    apps = Application.objects.bulk_create(
        Application(session=session, helper=h, status="attended") for h in helpers
    )
    Attendance.objects.bulk_create(
        Attendance(application=a, checked_in_at=session.starts_at, method="qr") for a in apps
    )
    return session


def _credits() -> int:
    return Transaction.objects.filter(kind="credit").count()


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} not within {timeout}s")


def _assert_each_credited_once(session) -> None:
    per_app = (
        Transaction.objects.filter(kind="credit", session_id=session.pk)
        .values("application_id")
        .annotate(n=Count("id"))
    )
    assert not PendingCredit.objects.exists()
    assert len(per_app) == ATTENDEES
    assert {row["n"] for row in per_app} == {1}
    assert Entry.objects.aggregate(s=Sum("amount"))["s"] == 0
    assert ledger_mismatches() == []


def test_kill_9_in_the_middle_then_restart_credits_each_once(worker, funded):
    session = _big_session(funded)
    with transaction.atomic():
        services.points_request_settlement(session_id=session.pk)  # queued after the commit
    first = worker()
    _wait(lambda: _credits() >= 30, 180, "the first credits")
    first.kill()  # SIGKILL: no warm shutdown, the task is neither acked nor finished
    first.wait()
    done_when_killed = _credits()
    assert done_when_killed < ATTENDEES, "the worker finished before it could be killed"
    worker()
    _wait(lambda: SettleRequest.objects.filter(done_at__isnull=False).exists(), 300, "the rest")
    _assert_each_credited_once(session)


def test_the_same_task_twice_and_a_lost_queue(worker, funded):
    session = _big_session(funded)
    with transaction.atomic():
        request = services.points_request_settlement(session_id=session.pk)
    tasks.settle.delay(request.pk)  # delivered twice
    worker()
    _wait(lambda: SettleRequest.objects.filter(done_at__isnull=False).exists(), 300, "the credits")
    time.sleep(1)
    _assert_each_credited_once(session)

    # A correction whose task is lost with Redis' data: the retry job (beat) does it.
    application = Application.objects.filter(session=session).order_by("pk").first()
    Application.objects.filter(pk=application.pk).update(status="no_show")
    with transaction.atomic():
        SettleRequest.objects.create(
            session_id=session.pk, application_id=application.pk, reason="訂正"
        )
    redis.Redis.from_url(BROKER).flushdb()
    assert services.points_retry_requests(now=timezone.now() + services.SETTLE_GRACE) == 1
    assert Transaction.objects.filter(kind="reversal").count() == 1
    assert services.points_retry_requests(now=timezone.now() + services.SETTLE_GRACE) == 0
