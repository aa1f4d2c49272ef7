"""Crediting with a real Celery worker and the Redis broker (not eager): a worker killed with SIGKILL in
the middle of a 500-attendance session, the same task delivered twice, the broker's queue lost (a
private Redis server killed and started again) with a session waiting: every attendance is credited
exactly once and the ledger sums to zero."""

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Sum
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
    """start(broker=...) runs a real worker (solo pool) on the test database and that broker."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_VISIBILITY_TIMEOUT": "5",  # a killed worker's task comes back after 5 s
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    assert BROKER.startswith("redis://"), "this test needs the real broker"
    redis.Redis.from_url(BROKER).flushdb()
    celery_app.conf.update(task_always_eager=False)
    procs: list[subprocess.Popen] = []

    def start(broker: str = BROKER) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
             "--concurrency=1", "--loglevel=WARNING", "--without-heartbeat", "--without-gossip",
             "--without-mingle"],
            cwd=settings.BASE_DIR, env={**env, "CELERY_BROKER_URL": broker},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a warm shutdown waits for a long task: no need
                proc.kill()
                proc.wait()
    celery_app.conf.update(task_always_eager=True)


def _big_session(municipality, attendees: int = ATTENDEES, name: str = "attendee"):
    services.budget_fund(
        municipality_id=municipality.pk,
        source="交付金",
        amount=500 * attendees,
        key=f"big:{name}",
        actor=None,
    )
    helpers = User.objects.bulk_create(
        User(email=f"{name}{i}@example.jp", name=f"参加者{i}") for i in range(attendees)
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


def _assert_each_credited_once(session, attendees: int = ATTENDEES) -> None:
    per_app = (
        Transaction.objects.filter(kind="credit", session_id=session.pk)
        .values("application_id")
        .annotate(n=Count("id"))
    )
    assert not PendingCredit.objects.exists()
    assert len(per_app) == attendees
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


# --- Redis restarted for real ---------------------------------------------------------------------------


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


class PrivateRedis:
    """A redis-server of this test alone, without persistence: killed, it loses every queued task."""

    def __init__(self, directory) -> None:
        self.port = next(p for p in range(6390, 6420) if _port_free(p))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(self.answers, 10, "redis-server")

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def queued(self) -> list[tuple[str, list]]:
        """(task name, arguments) of the messages waiting in the default queue (the credits' outbox
        deliveries wait there too)."""
        found = []
        for raw in redis.Redis.from_url(self.url).lrange("celery", 0, -1):
            message = json.loads(raw)
            body = json.loads(base64.b64decode(message["body"]))
            found.append((message["headers"]["task"], list(body[0])))
        return found


@pytest.fixture
def private_redis(tmp_path, monkeypatch):
    """A private Redis as this process's broker too (what the close enqueues goes there)."""
    server = PrivateRedis(tmp_path)
    server.start()
    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)
    monkeypatch.setattr(celery_app.conf, "broker_url", server.url)
    celery_app._after_fork()  # drop the connection pools made for the shared broker
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.kill()
    monkeypatch.undo()
    celery_app._after_fork()


def test_redis_killed_and_restarted_with_credits_pending(worker, funded, private_redis):
    """A worker busy crediting one session, a second session's task queued behind it: Redis is
    killed (SIGKILL, no persistence: the queue is gone) and started again. The worker finishes what
    it was doing and goes on with the new Redis; the lost session is credited by the retry job (the
    beat's task, sent through the restarted broker; two beats at once) exactly once."""
    busy = _big_session(funded)
    waiting = _big_session(funded, attendees=50, name="waiting")
    worker(broker=private_redis.url)
    with transaction.atomic():
        services.points_request_settlement(session_id=busy.pk)
    _wait(lambda: _credits() >= 1, 180, "the worker crediting")
    with transaction.atomic():
        lost = services.points_request_settlement(session_id=waiting.pk)
    assert ("points.tasks.settle", [lost.pk]) in private_redis.queued(), "queued behind the first"

    private_redis.kill()
    private_redis.start()
    # The task is lost with Redis' data (the worker, still crediting, queues its outbox deliveries
    # on the new one).
    assert ("points.tasks.settle", [lost.pk]) not in private_redis.queued()
    _wait(
        lambda: SettleRequest.objects.filter(session_id=busy.pk, done_at__isnull=False).exists(),
        300,
        "the busy session",
    )
    time.sleep(2)
    assert not Transaction.objects.filter(session_id=waiting.pk).exists()
    assert SettleRequest.objects.get(pk=lost.pk).done_at is None

    # The beat, once the settle request is older than its grace (moved back instead of waiting):
    SettleRequest.objects.filter(pk=lost.pk).update(
        next_try_at=F("next_try_at") - services.SETTLE_GRACE - timedelta(seconds=1)
    )
    tasks.retry_pending.delay()
    tasks.retry_pending.delay()  # a second beat started by mistake
    _wait(
        lambda: SettleRequest.objects.filter(pk=lost.pk, done_at__isnull=False).exists(),
        300,
        "the retry job",
    )
    _wait(
        lambda: not any(name == "points.tasks.retry_pending" for name, _ in private_redis.queued()),
        60,
        "both beats' tasks",
    )
    time.sleep(2)
    _assert_each_credited_once(busy)
    _assert_each_credited_once(waiting, attendees=50)
    assert Transaction.objects.filter(kind="credit").count() == ATTENDEES + 50
