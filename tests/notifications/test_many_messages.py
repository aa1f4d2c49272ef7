"""notifications.services.many_messages(): a run of short transactions that each notify (a closed
session's credits) renders each distinct text once and hands the committed rows to the workers in
deliver_batch tasks, not one deliver task per row; a rolled-back row is never handed over. And the
outbox row written by write_message's own INSERT is the row the ORM would have written."""

from datetime import date

import pytest
from django.db import transaction
from django.utils import timezone

from notifications import delivery, rendering, tasks
from notifications.kinds import Kind
from notifications.models import OutboxMessage
from notifications.services import many_messages, notify

CONTEXT = {
    "amount": 500,
    "points_name": "さるぼぼコイン",
    "memo": "和紙の原料の皮むき 2026-12-05",
    "expires_on": date(2027, 6, 3),
    "url": "https://example.jp/mypage/points/",
}


@pytest.fixture
def queued(monkeypatch):
    """What reached the broker: each task's name and its argument."""
    sent: list[tuple[str, object]] = []
    monkeypatch.setattr(tasks.deliver, "delay", lambda pk: sent.append(("deliver", pk)))
    monkeypatch.setattr(tasks.deliver_batch, "delay", lambda ids: sent.append(("batch", ids)))
    return sent


def credited(recipient, n: int) -> OutboxMessage | None:
    return notify(
        recipient_id=recipient.pk,
        kind=Kind.POINTS_CREDITED,
        object_key=f"points:test:{n}",
        context=CONTEXT,
    )


@pytest.mark.django_db
def test_committed_rows_go_to_the_workers_together_at_the_end(
    helper, staff, queued, django_capture_on_commit_callbacks
):
    rows = []
    with many_messages():
        for n, person in enumerate([helper, staff, helper]):
            with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
                rows.append(credited(person, n))
        assert queued == []  # nothing before the end of the run
    assert queued == [("batch", [row.pk for row in rows])]


@pytest.mark.django_db
def test_without_it_each_row_goes_alone_after_its_commit(
    helper, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row = credited(helper, 1)
    assert queued == [("deliver", row.pk)]


@pytest.mark.django_db
def test_a_rolled_back_row_is_not_handed_over(
    helper, staff, queued, django_capture_on_commit_callbacks
):
    with many_messages():
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            kept = credited(helper, 1)
        with django_capture_on_commit_callbacks(execute=True) as hooks, transaction.atomic():
            credited(staff, 2)
            transaction.set_rollback(True)
        assert hooks == []  # a rolled-back transaction runs no on-commit hook
    assert queued == [("batch", [kept.pk])]


@pytest.mark.django_db
def test_a_long_run_is_handed_over_batch_by_batch(
    helper, queued, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(delivery, "BATCH_SIZE", 2)
    with many_messages():
        rows = []
        for n in range(5):
            with django_capture_on_commit_callbacks(execute=True):
                rows.append(credited(helper, n).pk)
        assert queued == [("batch", rows[:2]), ("batch", rows[2:4])]
    assert queued[-1] == ("batch", rows[4:])


@pytest.mark.django_db
def test_each_distinct_text_is_rendered_once(helper, staff, monkeypatch):
    rendered = []
    real = rendering._render
    monkeypatch.setattr(rendering, "_render", lambda *args: rendered.append(args[0]) or real(*args))
    staff.language = "en"
    staff.save(update_fields=["language"])
    with many_messages():
        first, second = credited(helper, 1), credited(helper, 2)
        in_english = credited(staff, 3)
        other = notify(
            recipient_id=helper.pk,
            kind=Kind.POINTS_CREDITED,
            object_key="points:test:4",
            context={**CONTEXT, "amount": 300},
        )
    # The two alike once; English and another amount each their own.
    assert len(rendered) == 3
    assert first.body == second.body and "500 さるぼぼコイン" in first.body
    assert in_english.subject.startswith("You received 500 ")
    assert "300 さるぼぼコイン" in other.body
    # Outside the run every message is rendered.
    credited(helper, 5)
    assert len(rendered) == 4


@pytest.mark.django_db
def test_the_outbox_insert_writes_what_the_orm_writes(helper):
    before = timezone.now()
    ours = credited(helper, 1)
    orm = OutboxMessage.objects.create(
        recipient=helper,
        kind=ours.kind,
        object_key="points:test:orm",
        subject=ours.subject,
        body=ours.body,
        line_text=ours.line_text,
        html_body=ours.html_body,
        due_at=ours.due_at,
    )
    ours_row = OutboxMessage.objects.values().get(pk=ours.pk)
    orm_row = OutboxMessage.objects.values().get(pk=orm.pk)
    assert ours_row["created_at"] >= before  # auto_now_add
    for differs in ("id", "object_key", "created_at"):
        ours_row.pop(differs), orm_row.pop(differs)
    assert ours_row == orm_row
