"""reminder_fanout: 10,000 due reminders delivered from the outbox by a real Celery worker.

Set-up: 10,000 bench helpers (created once) and one due reminder row each, written with bulk_create
and holding its rendered texts, as notify() writes them. Timed: from handing the rows to the workers
the way the beat sweep does (notifications.tasks.enqueue_batches: deliver_batch tasks on the Redis broker) until
the last row has `sent_at`, through a `celery -A config worker` subprocess (prefork, one child per
core by default: BENCH_FANOUT_CONCURRENCY) whose email backend is bench.mailbox.CountingBackend (locmem
that also logs each Message-ID to a file). In messages/s. Every row must be sent, and no Message-ID may
appear twice in the worker's log (non-zero exit otherwise).

Floor: the same 10,000 emails rendered from the same templates (notifications.rendering.render_message)
and sent in a plain loop in this process: the same EmailMultiAlternatives with its Message-ID header
and the same backend, no database, no broker.

Templates: the kind's own (templates/notifications/reminder_day_before/), with the context
portal.services.reminders.reminder_context gives them.
"""

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from bench.harness import emit
from bench.mailbox import logged_message_ids

KIND = "reminder_day_before"
KEY_PREFIX = "bench-reminder:"
N = int(os.environ.get("BENCH_FANOUT_MESSAGES", "10000"))
WARMUP = 400
# Rows sent one task each afterwards, for the comparison only (per_row_rate); 0 skips it.
PER_ROW = int(os.environ.get("BENCH_FANOUT_PER_ROW", "500"))
MAIL_BACKEND = "bench.mailbox.CountingBackend"


class BenchError(RuntimeError):
    pass


def _recipients(n: int) -> list:
    from accounts.models import User

    emails = [f"bench-reminder-{i:05d}@bench.example.jp" for i in range(n)]
    have = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    User.objects.bulk_create(
        [User(email=e, name=f"お手伝い {e[15:20]}", password="!") for e in emails if e not in have],  # noqa: S106 - unusable
        batch_size=2000,
    )
    return list(User.objects.filter(email__in=emails).order_by("email"))


def _context(user, i: int) -> dict:
    """What portal.services.reminders.reminder_context gives the reminder templates."""
    starts_at = dt.datetime(2027, 6, 12, 0, 0, tzinfo=dt.UTC)  # 09:00 in Asia/Tokyo
    return {
        "program_title": f"みょうが畑づくり体験 {i % 50}",
        "starts_at": starts_at,
        "ends_at": starts_at + dt.timedelta(hours=3),
        "is_online": False,
        "online_url": "",
        "meeting_place": "古川町公民館",
        "meeting_address": "岐阜県飛騨市古川町本町2-22",
        "what_to_bring": "軍手、長靴、帽子、飲み物",
        "rain_starts_at": starts_at + dt.timedelta(days=1),
        "application_url": f"{settings.SITE_URL}/applications/{100000 + i}/",
        "site_url": settings.SITE_URL,
    }


def _write_rows(users, prefix: str) -> list[int]:
    """One due reminder per user, texts rendered as notify() renders them. Returns the ids."""
    from notifications.models import OutboxMessage
    from notifications.rendering import render_message
    from notifications.services import one_line_subject

    due_at = timezone.now() - timedelta(minutes=1)
    rows = []
    for i, user in enumerate(users):
        rendered = render_message(KIND, _context(user, i), user.language)
        rows.append(
            OutboxMessage(
                recipient=user,
                kind=KIND,
                object_key=f"{prefix}{i}",
                subject=one_line_subject(rendered.subject),
                body=rendered.body,
                line_text=rendered.line,
                html_body=rendered.html,
                due_at=due_at,
            )
        )
    with transaction.atomic():
        created = OutboxMessage.objects.bulk_create(rows, batch_size=2000)
    return [row.pk for row in created]


def _clean() -> None:
    from notifications.models import OutboxMessage

    OutboxMessage.objects.filter(kind=KIND, object_key__startswith="bench-").delete()


def _floor(users, mail_log: str) -> float:
    """Render and send the same emails in a plain loop, in this process, through the same backend
    (logging each Message-ID to a file as the worker does)."""
    from notifications.rendering import render_message

    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    recipients = [(u, u.email, u.language) for u in users]
    started = time.perf_counter()
    for i, (user, email, language) in enumerate(recipients):
        rendered = render_message(KIND, _context(user, i), language)
        message = EmailMultiAlternatives(
            subject=rendered.subject, body=rendered.body, from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email], headers={"Message-ID": f"<outbox-{i}@{domain}>"},
        )  # fmt: skip
        if rendered.html:
            message.attach_alternative(rendered.html, "text/html")
        message.send()
    elapsed = time.perf_counter() - started
    sent = len(set(logged_message_ids(mail_log)))
    mail.outbox.clear()
    if sent != len(recipients):
        raise BenchError(f"floor: {sent} of {len(recipients)} sent")
    return len(recipients) / elapsed


def _start_worker(mail_log: str, concurrency: int) -> subprocess.Popen:
    env = {
        **os.environ,
        # Production flags: no query log kept in memory, as a deployed worker runs.
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-secret-key-" + "x" * 40,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_BACKEND": MAIL_BACKEND,
        "BENCH_MAIL_LOG": mail_log,
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork",
         f"--concurrency={concurrency}", "--loglevel=WARNING", "--without-heartbeat",
         "--without-gossip", "--without-mingle"],
        cwd=settings.BASE_DIR, env=env, stdout=sys.stderr,  # stdout carries only the JSON lines
    )  # fmt: skip


def _stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_sent(ids: list[int], worker: subprocess.Popen, timeout: float) -> None:
    from notifications.models import OutboxMessage

    deadline = time.monotonic() + timeout
    low, high = min(ids), max(ids)
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise BenchError(f"the worker exited with {worker.returncode}")
        if not OutboxMessage.objects.filter(pk__gte=low, pk__lte=high, sent_at=None).exists():
            return
        time.sleep(0.2)
    raise BenchError(f"reminder_fanout: not all sent within {timeout}s")


def _per_row(users, worker: subprocess.Popen) -> float:
    """For comparison: the same rows sent by one `deliver` task each (the on-commit path), as the
    sweep did before batches. In messages/s."""
    from django.db.models import Max

    from notifications.models import OutboxMessage
    from notifications.tasks import deliver

    ids = _write_rows(users, "bench-per-row:")
    enqueued_at = timezone.now()
    for pk in ids:
        deliver.delay(pk)
    _wait_sent(ids, worker, timeout=600)
    last = OutboxMessage.objects.filter(pk__in=ids).aggregate(last=Max("sent_at"))["last"]
    return len(ids) / (last - enqueued_at).total_seconds()


def reminder_fanout() -> dict:
    from django.db.models import Max

    from notifications import delivery, tasks
    from notifications.models import OutboxMessage

    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        raise BenchError("reminder_fanout needs the Redis broker (CELERY_BROKER_URL)")
    concurrency = int(os.environ.get("BENCH_FANOUT_CONCURRENCY", str(os.cpu_count() or 2)))
    users = _recipients(N)
    _clean()
    # The benches before this one leave tasks in the broker (their web requests queue each message's
    # send, and no worker runs during them): those rows stay in the outbox for a sweep, but their
    # tasks would sit in front of this bench's batches. The queue starts empty, as for a fresh burst.
    tasks.deliver_batch.app.control.purge()
    warmup_ids = _write_rows(users[:WARMUP], "bench-warmup:")
    ids = _write_rows(users, KEY_PREFIX)
    with tempfile.TemporaryDirectory() as mail_log:
        worker = _start_worker(mail_log, concurrency)
        try:
            # Each child connects to the database and imports what it sends with on its first task.
            tasks.enqueue_batches(warmup_ids)
            _wait_sent(warmup_ids, worker, timeout=120)
            enqueued_at = timezone.now()
            tasks.enqueue_batches(ids)
            _wait_sent(ids, worker, timeout=600)
            per_row_rate = _per_row(users[:PER_ROW], worker) if PER_ROW else None
        finally:
            _stop_worker(worker)
        logged = logged_message_ids(mail_log)
    rows = OutboxMessage.objects.filter(pk__in=ids)
    last = rows.aggregate(last=Max("sent_at"))["last"]
    elapsed = (last - enqueued_at).total_seconds()
    sent = rows.exclude(sent_at=None).count()
    wanted = {f"<outbox-{pk}@" for pk in ids}
    timed = [m for m in logged if m.split("@")[0] + "@" in wanted]
    twice = len(timed) - len(set(timed))
    with tempfile.TemporaryDirectory() as floor_log:
        email_backend = settings.EMAIL_BACKEND
        settings.EMAIL_BACKEND, os.environ["BENCH_MAIL_LOG"] = MAIL_BACKEND, floor_log
        try:
            floor = _floor(users, floor_log)
        finally:
            settings.EMAIL_BACKEND = email_backend
            del os.environ["BENCH_MAIL_LOG"]
    line = emit(
        "reminder_fanout", N / elapsed, "messages/s", floor,
        sent=sent, sent_twice=twice, logged=len(timed), batch_size=delivery.BATCH_SIZE,
        concurrency=concurrency, per_row_rate=per_row_rate and round(per_row_rate, 1),
    )  # fmt: skip
    _clean()
    if sent != N or len(set(timed)) != N or twice:
        raise BenchError(
            f"reminder_fanout: {sent} rows sent, {len(set(timed))} emails, {twice} twice"
        )
    return line


def run() -> list[dict]:
    return [reminder_fanout()]
