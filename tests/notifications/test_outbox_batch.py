"""Batch delivery (notifications.delivery.deliver_batch) on PostgreSQL: many rows claimed in one
statement with the lease of the single-row claim, a failing send recorded on its own row while the
others go out, and a batch that runs past its time budget handing the rest back."""

import random
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications import delivery
from notifications.models import OutboxMessage
from tests.portal.apply_helpers import run_concurrently


def due_rows(user, n: int, key: str = "row", **kw) -> list[int]:
    rows = OutboxMessage.objects.bulk_create(
        OutboxMessage(recipient=user, kind="test", object_key=f"{key}:{i}", subject=f"件名 {i}",
                      body="本文", due_at=kw.get("due_at") or timezone.now())
        for i in range(n)
    )  # fmt: skip
    return [row.pk for row in rows]


@pytest.mark.django_db(transaction=True)
def test_concurrent_batch_claims_never_take_the_same_row(staff):
    ids = due_rows(staff, 600)
    for _ in range(3):
        # Eight workers claim overlapping batches at once, each listing the rows in its own order
        # (a sweep's batches, a second sweep's, on-commit tasks...).
        orders = [random.sample(ids, len(ids)) for _ in range(8)]
        results = run_concurrently(
            lambda order: delivery._claim_batch(order, timezone.now()), orders, workers=8
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        claimed = [pk for won in results for pk in won]
        assert sorted(claimed) == sorted(ids)  # every row taken, and by one claim only
        OutboxMessage.objects.update(claimed_at=None)


@pytest.mark.django_db
def test_a_claim_is_retaken_only_after_its_lease(staff):
    stale, fresh, sent, later = due_rows(staff, 4)
    now = timezone.now()
    OutboxMessage.objects.filter(pk=stale).update(
        claimed_at=now - delivery.CLAIM_LEASE - timedelta(seconds=1)
    )
    OutboxMessage.objects.filter(pk=fresh).update(claimed_at=now - timedelta(minutes=1))
    OutboxMessage.objects.filter(pk=sent).update(sent_at=now)
    OutboxMessage.objects.filter(pk=later).update(due_at=now + timedelta(minutes=1))

    assert delivery._claim_batch([stale, fresh, sent, later], now) == [stale]
    assert OutboxMessage.objects.get(pk=stale).claimed_at == now
    assert delivery._claim_batch([stale, fresh, sent, later], now) == []  # now held by that claim


@pytest.mark.django_db
def test_a_failing_send_is_recorded_on_its_row_and_the_others_are_sent(staff, monkeypatch):
    ids = due_rows(staff, 5)
    bad = ids[2]
    send = delivery._send

    def refuse_one(message):
        if message.pk == bad:
            raise ConnectionError("550 mailbox unavailable")
        return send(message)

    monkeypatch.setattr(delivery, "_send", refuse_one)
    assert delivery.deliver_batch(message_ids=ids) == 4
    assert len(mail.outbox) == 4
    rows = {row.pk: row for row in OutboxMessage.objects.filter(pk__in=ids)}
    failed = rows.pop(bad)
    assert failed.sent_at is None and failed.claimed_at is None and failed.attempts == 1
    assert "550 mailbox unavailable" in failed.last_error
    assert failed.due_at > timezone.now()  # tried again later, by the sweep
    assert all(r.sent_at and r.attempts == 0 and not r.last_error for r in rows.values())
    # Each email carries its own row's Message-ID.
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(
        r.message_id for r in rows.values()
    )

    monkeypatch.undo()
    assert delivery.deliver_batch(message_ids=ids) == 0  # the failed row is not due yet
    assert len(mail.outbox) == 4


@pytest.mark.django_db
def test_a_batch_past_its_time_budget_hands_the_rest_back(staff, monkeypatch):
    ids = due_rows(staff, 3)
    send = delivery._send

    def slow(message):
        time.sleep(0.3)
        return send(message)

    monkeypatch.setattr(delivery, "_send", slow)
    monkeypatch.setattr(delivery, "BATCH_SEND_BUDGET", timedelta(seconds=0.2))
    assert delivery.deliver_batch(message_ids=ids) == 1
    first, *rest = OutboxMessage.objects.filter(pk__in=ids).order_by("pk")
    assert first.sent_at is not None
    # Not tried, not failed: unclaimed and due, for the next sweep.
    assert all(r.sent_at is None and r.claimed_at is None and r.attempts == 0 for r in rest)
    assert delivery.due_message_ids(limit=10) == [r.pk for r in rest]


@pytest.mark.django_db
def test_a_batch_sends_each_row_once_when_run_twice(staff):
    ids = due_rows(staff, 3)
    assert delivery.deliver_batch(message_ids=ids) == 3
    assert delivery.deliver_batch(message_ids=ids) == 0  # a redelivered task, a second sweep
    assert len(mail.outbox) == 3
    assert not OutboxMessage.objects.filter(pk__in=ids, sent_at=None).exists()


@pytest.mark.django_db
def test_a_row_withdrawn_after_the_claim_is_skipped(staff, monkeypatch):
    ids = due_rows(staff, 3)
    claim = delivery._claim_batch

    def claim_then_withdraw(message_ids, now):
        won = claim(message_ids, now)
        OutboxMessage.objects.filter(pk=ids[1]).delete()  # a reminder voided by a cancellation
        return won

    monkeypatch.setattr(delivery, "_claim_batch", claim_then_withdraw)
    assert delivery.deliver_batch(message_ids=ids) == 2
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_the_sweep_hands_due_rows_out_in_batches(staff, monkeypatch):
    ids = due_rows(staff, 5)
    due_rows(staff, 1, key="later", due_at=timezone.now() + timedelta(hours=1))  # not due
    monkeypatch.setattr(delivery, "BATCH_SIZE", 2)
    queued: list[list[int]] = []
    from notifications import tasks

    monkeypatch.setattr(tasks.deliver_batch, "delay", lambda batch: queued.append(batch))
    assert tasks.enqueue_due() == 5
    assert sorted(pk for batch in queued for pk in batch) == sorted(ids)
    assert [len(batch) for batch in queued] == [2, 2, 1]


@pytest.mark.django_db
def test_handing_back_leaves_a_row_another_worker_holds(staff, monkeypatch):
    ids = due_rows(staff, 3)
    send = delivery._send
    other_claim = timezone.now() + timedelta(minutes=10)

    def slow(message):
        # While this batch sends its first row, another worker holds the third (its claim lapsed).
        OutboxMessage.objects.filter(pk=ids[2]).update(claimed_at=other_claim)
        time.sleep(0.3)
        return send(message)

    monkeypatch.setattr(delivery, "_send", slow)
    monkeypatch.setattr(delivery, "BATCH_SEND_BUDGET", timedelta(seconds=0.2))
    assert delivery.deliver_batch(message_ids=ids) == 1
    assert OutboxMessage.objects.get(pk=ids[1]).claimed_at is None  # handed back
    assert OutboxMessage.objects.get(pk=ids[2]).claimed_at == other_claim  # not ours to release


def test_a_batch_ends_well_inside_the_lease(settings):
    """Sends start only within the budget, the last one ends within EMAIL_TIMEOUT, and the task's
    limits stop it long before another worker could take its rows."""
    from notifications.tasks import deliver_batch

    lease = delivery.CLAIM_LEASE.total_seconds()
    budget = delivery.BATCH_SEND_BUDGET.total_seconds()
    assert budget + settings.EMAIL_TIMEOUT < deliver_batch.soft_time_limit
    assert deliver_batch.soft_time_limit < deliver_batch.time_limit < lease / 2


@pytest.mark.django_db
def test_a_batch_claims_no_row_given_up_or_skipped(staff):
    given_up, skipped, due = due_rows(staff, 3)
    OutboxMessage.objects.filter(pk=given_up).update(attempts=delivery.MAX_ATTEMPTS)
    OutboxMessage.objects.filter(pk=skipped).update(skipped_at=timezone.now())
    assert delivery._claim_batch([given_up, skipped, due], timezone.now()) == [due]
