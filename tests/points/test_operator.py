"""The operator adapter (points.issuers): each credit of an operator municipality is pushed with its
idempotency key, retried with growing pauses, confirmed once; failing, timing out and answering twice
never double a credit at the operator."""

import threading
import time
from datetime import timedelta

import httpx
import pytest
from django.db import connection
from django.utils import timezone

from points import issuers, services
from points.models import Account, Issuer, OperatorPush
from tests.points.conftest import ended_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def quick_timeout(monkeypatch):
    monkeypatch.setattr(issuers, "SEND_TIMEOUT", httpx.Timeout(0.5))


def _credit(municipality, helper):
    _session, apps = ended_session(municipality, helpers=[helper])
    services.points_settle_attendance(application_id=apps[0].pk)
    return OperatorPush.objects.get(transaction__application_id=apps[0].pk)


def _later(push, minutes=1000):
    return push.next_try_at + timedelta(minutes=minutes)


def test_credit_is_pushed_after_commit_and_confirmed(
    operated, operator, helper, django_capture_on_commit_callbacks
):
    _session, apps = ended_session(operated, helpers=[helper])
    with django_capture_on_commit_callbacks(execute=True):
        services.points_settle_attendance(application_id=apps[0].pk)
    push = OperatorPush.objects.get()
    wallet = Account.objects.get(kind="wallet", helper=helper)
    assert push.state == "confirmed" and push.operator_reference.startswith("OP-")
    assert push.attempts == 1 and push.account == wallet.code and push.amount == 500
    assert operator.requests[0]["key"] == push.transaction.idempotency_key
    assert operator.balances() == {wallet.code: 500}


def test_wallet_municipality_pushes_nothing(funded, helper):
    _session, apps = ended_session(funded, helpers=[helper])
    services.points_settle_attendance(application_id=apps[0].pk)
    assert not OperatorPush.objects.exists()


def test_account_mapping_names_the_operator_account(operated, operator, helper):
    wallet = services.account(municipality_id=operated.pk, kind="wallet", helper_id=helper.pk)
    Issuer.objects.filter(municipality=operated).update(account_map={wallet.code: "HIDA-0001"})
    push = _credit(operated, helper)
    assert push.account == "HIDA-0001"
    issuers.operator_push_send(push_id=push.pk)
    assert operator.balances() == {"HIDA-0001": 500}


def test_failures_retry_with_growing_pauses_then_confirm_once(operated, operator, helper):
    operator.fail_next = [503, 500, 502]
    push = _credit(operated, helper)
    pauses = []
    now = push.next_try_at
    for _ in range(3):
        assert issuers.operator_push_send(push_id=push.pk, now=now) == "retry"
        push.refresh_from_db()
        assert push.state == "pending" and push.last_error.startswith("HTTP 5")
        pauses.append(push.next_try_at - now)
        # not due yet: nothing is sent
        assert (
            issuers.operator_push_send(push_id=push.pk, now=now + timedelta(seconds=1)) == "skipped"
        )
        now = push.next_try_at
    assert pauses[0] < pauses[1] < pauses[2]
    assert issuers.operator_push_sweep(now=now) == 1
    push.refresh_from_db()
    assert push.state == "confirmed" and push.attempts == 4 and push.last_error == ""
    assert len(operator.credited) == 1


def test_gives_up_after_max_attempts_and_staff_can_send_again(operated, operator, helper):
    operator.fail_next = [500] * issuers.MAX_ATTEMPTS
    push = _credit(operated, helper)
    for _ in range(issuers.MAX_ATTEMPTS):
        issuers.operator_push_send(push_id=push.pk, now=_later(push, 10**6))
        push.refresh_from_db()
    assert push.state == "failed"
    assert issuers.operator_push_sweep(now=_later(push, 10**6)) == 0
    assert issuers.operator_push_retry(push_id=push.pk, municipality_id=operated.pk + 1) == 0
    assert issuers.operator_push_retry(push_id=push.pk, municipality_id=operated.pk) == 1
    assert issuers.operator_push_sweep(now=timezone.now() + timedelta(seconds=1)) == 1
    assert len(operator.credited) == 1


def test_timeout_then_retry_credits_once(operated, operator, helper, quick_timeout):
    operator.stall = 1.5  # the operator credits, then answers too late
    push = _credit(operated, helper)
    assert issuers.operator_push_send(push_id=push.pk) == "retry"
    push.refresh_from_db()
    assert "Timeout" in push.last_error and push.state == "pending"
    operator.stall = 0
    assert issuers.operator_push_send(push_id=push.pk, now=_later(push)) == "confirmed"
    assert len(operator.credited) == 1
    assert (
        len(operator.requests) == 2 and operator.requests[0]["key"] == operator.requests[1]["key"]
    )


def test_answering_twice_records_one_reference(operated, operator, helper):
    operator.twice = True
    push = _credit(operated, helper)
    assert issuers.operator_push_send(push_id=push.pk) == "confirmed"
    push.refresh_from_db()
    first = push.operator_reference
    # a stale worker's late second send of the same row (its claim lapsed): nothing changes
    OperatorPush.objects.filter(pk=push.pk).update(state="pending", next_try_at=timezone.now())
    OperatorPush.objects.filter(pk=push.pk).update(state="confirmed")
    assert issuers.operator_push_send(push_id=push.pk, now=_later(push)) == "skipped"
    push.refresh_from_db()
    assert push.operator_reference == first and push.attempts == 1
    assert len(operator.credited) == 1


def test_bad_key_is_an_error_not_a_confirmation(operated, operator, helper):
    Issuer.objects.filter(municipality=operated).update(api_key="wrong")
    push = _credit(operated, helper)
    assert issuers.operator_push_send(push_id=push.pk) == "retry"
    push.refresh_from_db()
    assert push.last_error.startswith("HTTP 401") and not operator.credited


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_once(operated, operator, helper):
    operator.fail_next = [503]  # the task sent at the commit fails; then five workers find it due
    push = _credit(operated, helper)
    OperatorPush.objects.filter(pk=push.pk).update(next_try_at=timezone.now())
    operator.stall = 0.3
    results = []

    def worker():
        try:
            results.append(issuers.operator_push_send(push_id=push.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["confirmed"] + ["skipped"] * 4
    assert len(operator.requests) == 2 and len(operator.credited) == 1


@pytest.mark.django_db(transaction=True)
def test_a_second_answer_for_the_same_key_is_recorded_once(operated, operator, helper):
    """A worker whose claim lapsed (its send is slow) and a second worker both send; the operator
    folds the repeat and answers both with one reference; only the first answer is recorded."""
    operator.fail_next = [503]  # the task sent at the commit fails
    push = _credit(operated, helper)
    start = timezone.now()
    OperatorPush.objects.filter(pk=push.pk).update(next_try_at=start)
    operator.stall = 0.6
    results = {}

    def slow_first():
        try:
            results["first"] = issuers.operator_push_send(push_id=push.pk, now=start)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_first)
    thread.start()
    time.sleep(0.3)
    operator.stall = 1.0  # the second answer comes after the first
    results["second"] = issuers.operator_push_send(
        push_id=push.pk, now=start + issuers.CLAIM + timedelta(seconds=1)
    )
    thread.join()
    push.refresh_from_db()
    assert results == {"first": "confirmed", "second": "skipped"}
    assert push.confirmed_at == start and push.attempts == 3
    assert len(operator.credited) == 1
