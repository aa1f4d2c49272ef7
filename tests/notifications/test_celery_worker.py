"""The Celery path with a real worker process and the Redis broker (not eager): a message written in a
transaction is delivered by the worker after commit; one whose queued task was lost (Redis flushed, as
after a restart) is delivered by the beat sweep task; and neither is sent twice."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from config.celery import app as celery_app
from notifications import delivery, services, tasks
from notifications.models import OutboxMessage
from notifications.tasks import deliver_due

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

# The suite's broker is a Redis database of its own (Makefile: CELERY_BROKER_URL), apart from the cache
# database that tests flush.
BROKER = settings.CELERY_BROKER_URL


@pytest.fixture
def worker(tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    redis.Redis.from_url(BROKER).flushdb()
    assert BROKER.startswith("redis://"), "this test needs the real broker"
    celery_app.conf.update(task_always_eager=False)

    def start():
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
             "--concurrency=1", "--loglevel=INFO", "--without-heartbeat", "--without-gossip",
             "--without-mingle"],
            cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        procs.append(proc)
        return proc

    procs: list[subprocess.Popen] = []
    yield start, mail_dir
    for proc in procs:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
        print(proc.returncode, output)  # shown by pytest when the test fails
    celery_app.conf.update(task_always_eager=True)


def wait_sent(pk: int, timeout: float = 30) -> OutboxMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = OutboxMessage.objects.get(pk=pk)
        if message.sent_at:
            return message
        time.sleep(0.2)
    raise AssertionError(f"outbox {pk} not sent within {timeout}s")


def mails(mail_dir: Path) -> list[str]:
    return [p.read_text() for p in mail_dir.iterdir()]


def test_worker_delivers_after_commit_and_sweep_recovers_lost_tasks(worker, staff):
    start, mail_dir = worker
    start()
    User.objects.filter(pk=staff.pk).update(language="en")  # an ASCII subject, readable in the file
    with transaction.atomic():
        first = services.notify(recipient_id=staff.pk, kind="program_confirmed", object_key="one",
                                context={"program_title": "first", "url": "https://x.example/"})  # fmt: skip
    wait_sent(first.pk)

    # A message whose queued task was lost before any worker took it (Redis restarted): the row is
    # in the outbox, the task is not in the broker.
    second = OutboxMessage.objects.create(recipient=staff, kind="test", object_key="two",
                                          subject="second", body="本文2", due_at=first.due_at)  # fmt: skip
    redis.Redis.from_url(BROKER).flushdb()
    deliver_due.delay()  # what beat sends every minute
    wait_sent(second.pk)

    deliver_due.delay()  # a second sweep (or a second beat) doubles nothing
    time.sleep(2)
    texts = mails(mail_dir)
    assert sum("Subject: Host approved: first" in t for t in texts) == 1
    assert sum("Subject: second" in t for t in texts) == 1


def test_the_sweep_hands_batches_to_two_workers_and_nothing_goes_twice(worker, staff, monkeypatch):
    """10 due reminders at once: the sweep queues them as batches, two workers share them, and the
    same batches queued again meanwhile (a second beat) send nothing more."""
    start, mail_dir = worker
    monkeypatch.setattr(delivery, "BATCH_SIZE", 3)  # the sweep runs here; the workers only claim
    rows = OutboxMessage.objects.bulk_create(
        OutboxMessage(recipient=staff, kind="test", object_key=f"batch:{i}", subject=f"batch {i}",
                      body="本文", due_at=timezone.now())
        for i in range(10)
    )  # fmt: skip
    assert deliver_due.apply().get() == 10  # the beat task, run here: it only queues (4 batches)
    assert tasks.enqueue_batches([row.pk for row in rows]) == 10  # the same rows again
    start()
    start()
    for row in rows:
        wait_sent(row.pk, timeout=120)  # two workers booting on a busy machine
    time.sleep(2)  # let the repeated batches run out
    message_ids = [
        line.split(":", 1)[1].strip()
        for text in mails(mail_dir)
        for line in text.splitlines()
        if line.startswith("Message-ID:")
    ]
    assert sorted(message_ids) == sorted(row.message_id for row in rows)
