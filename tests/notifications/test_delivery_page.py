"""The staff's delivery page: the messages about their municipality, sent (and on which channel), waiting,
failed (with the error and a retry button) or skipped, filtered by state, a page at a time. Another
municipality's staff see none of it and cannot retry it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications import delivery
from notifications.models import MAX_ATTEMPTS, OutboxMessage

pytestmark = pytest.mark.django_db

PAGE = "staff_outbox"


def row(user, municipality, subject, **fields) -> OutboxMessage:
    return OutboxMessage.objects.create(
        recipient=user, kind="need_submitted", object_key=subject, subject=subject, body="…",
        due_at=fields.pop("due_at", timezone.now()), municipality=municipality, **fields,
    )  # fmt: skip


@pytest.fixture
def rows(helper, municipality, other_municipality):
    now = timezone.now()
    return {
        "sent": row(helper, municipality, "LINE で届いた通知", sent_at=now, channel="line"),
        "fallback": row(helper, municipality, "メールに切り替えた通知", sent_at=now,
                        last_error="LINE 400: Failed to send messages (sent by email instead)"),
        "waiting": row(helper, municipality, "送信待ちの通知", due_at=now + timedelta(minutes=4),
                       attempts=1, last_error="SMTPServerDisconnected('421')"),
        "failed": row(helper, municipality, "送れなかった通知", attempts=MAX_ATTEMPTS,
                      last_error="SMTPRecipientsRefused('550 mailbox unavailable')"),
        "skipped": row(helper, municipality, "配信停止で送らなかった通知", skipped_at=now),
        "other": row(helper, other_municipality, "郡上市の通知", attempts=MAX_ATTEMPTS,
                     last_error="550"),
    }  # fmt: skip


def page(client, **params) -> str:
    return client.get(reverse(PAGE), params).content.decode()


def test_staff_see_every_state_of_their_municipality(client, staff, rows, helper):
    client.force_login(staff)
    html = page(client)
    for name in ("sent", "fallback", "waiting", "failed", "skipped"):
        assert rows[name].subject in html, name
    assert rows["other"].subject not in html
    assert "送信済み（LINE）" in html and "送信済み（メール）" in html
    assert "LINE 400: Failed to send messages" in html and "550 mailbox unavailable" in html
    assert "SMTPServerDisconnected" in html and helper.email in html
    assert html.count('action="/staff/notifications/') == 1  # one retry button: the failed row
    assert reverse("staff_outbox_retry", args=[rows["failed"].pk]) in html


@pytest.mark.parametrize("state", ["sent", "waiting", "failed", "skipped"])
def test_the_filter_shows_one_state(client, staff, rows, state):
    client.force_login(staff)
    html = page(client, state=state)
    shown = {name for name, r in rows.items() if r.subject in html}
    expected = {"sent": {"sent", "fallback"}}.get(state, {state})
    assert shown == expected
    assert 'aria-current="page"' in html


def test_an_unknown_filter_shows_everything(client, staff, rows):
    client.force_login(staff)
    assert rows["sent"].subject in page(client, state="gone'; DROP TABLE")


def test_the_page_is_paginated_and_keeps_its_filter(client, staff, helper, municipality):
    for i in range(55):
        row(helper, municipality, f"通知{i:02d}", attempts=MAX_ATTEMPTS)
    client.force_login(staff)
    first = page(client, state="failed")
    assert first.count('data-testid="outbox-row"') == 50
    assert "通知54" in first and "通知04" not in first  # newest first
    assert "?state=failed&amp;page=2" in first
    second = page(client, state="failed", page=2)
    assert second.count('data-testid="outbox-row"') == 5 and "通知00" in second
    assert page(client, state="failed", page="x").count('data-testid="outbox-row"') == 50


def test_the_page_costs_the_same_queries_for_any_number_of_rows(
    client, staff, helper, municipality
):
    row(helper, municipality, "最初の通知", sent_at=timezone.now())
    client.force_login(staff)
    client.get(reverse(PAGE))  # warm the session and the MFA check's caches

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            client.get(reverse(PAGE))
        return len(context.captured_queries)

    few = count()
    for i in range(30):
        row(helper, municipality, f"通知{i}", sent_at=timezone.now())
    # The session and user, the MFA check, the staff's municipalities, the count, one page of rows
    # with their recipients: the same number of queries for 1 row and for 31.
    assert count() == few
    assert few <= 8


def test_the_old_failed_page_leads_to_the_filter(client, staff):
    client.force_login(staff)
    response = client.get(reverse("staff_outbox_failures"))
    assert response.status_code == 302 and response["Location"].endswith("?state=failed")


def test_other_municipality_staff_see_and_retry_nothing(client, other_municipality_staff, rows):
    client.force_login(other_municipality_staff)
    html = page(client)
    assert rows["other"].subject in html
    assert not [name for name, r in rows.items() if name != "other" and r.subject in html]
    response = client.post(reverse("staff_outbox_retry", args=[rows["failed"].pk]))
    assert response.status_code == 404
    rows["failed"].refresh_from_db()
    assert rows["failed"].attempts == MAX_ATTEMPTS


def test_only_a_failed_row_can_be_retried(client, staff, rows):
    client.force_login(staff)
    for name in ("sent", "waiting", "skipped"):
        assert client.post(reverse("staff_outbox_retry", args=[rows[name].pk])).status_code == 404
    response = client.post(reverse("staff_outbox_retry", args=[rows["failed"].pk]))
    assert response.status_code == 302
    rows["failed"].refresh_from_db()
    assert rows["failed"].state == OutboxMessage.State.WAITING
    assert delivery.deliver(message_id=rows["failed"].pk) is True


def test_helpers_and_anonymous_visitors_are_kept_out(client, helper, rows):
    assert client.get(reverse(PAGE)).status_code == 302
    client.force_login(helper)
    assert client.get(reverse(PAGE)).status_code == 403
