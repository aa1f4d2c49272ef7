"""Reversals reach the issuer: a reversed credit that was pushed to an operator is pushed as a
cancellation (a negative amount, its own idempotency key) through the same retries and sweep, only
after the credit itself is confirmed, and never doubled; a reversed credit of a 'codes' municipality
voids its code if it is not redeemed, and a voided code is never redeemed; a redeemed one is listed
for staff as not taken back."""

from datetime import timedelta

import httpx
import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from points import codes, issuers, services
from points.models import Account, OperatorPush, PointCode, Transaction
from points.selectors import ledger_mismatches, wallet_balance
from portal.models import Application
from tests.points.conftest import ended_session

pytestmark = pytest.mark.django_db


def _attend(municipality, helper):
    _session, (app,) = ended_session(municipality, helpers=[helper])
    services.points_settle_attendance(application_id=app.pk)
    return app


def _no_show(app, reason="別の方の受付でした"):
    Application.objects.filter(pk=app.pk).update(status="no_show")
    return services.points_settle_attendance(application_id=app.pk, reason=reason)


def _far(minutes=10**6):
    return timezone.now() + timedelta(minutes=minutes)


# --- operator ----------------------------------------------------------------------------------------


def test_reversal_is_pushed_as_a_cancellation_with_its_own_key(operated, operator, helper):
    app = _attend(operated, helper)
    credit_push = OperatorPush.objects.get()
    assert issuers.operator_push_send(push_id=credit_push.pk) == "confirmed"
    credit_push.refresh_from_db()
    assert _no_show(app) == "reversed"
    cancel = OperatorPush.objects.get(reverses=credit_push)
    reversal = Transaction.objects.get(kind="reversal")
    assert cancel.transaction == reversal and cancel.amount == -500
    assert cancel.account == credit_push.account and cancel.state == "pending"
    assert issuers.operator_push_send(push_id=cancel.pk) == "confirmed"
    sent = operator.requests[-1]
    assert sent["key"] == reversal.idempotency_key != credit_push.transaction.idempotency_key
    assert sent["amount"] == -500 and sent["cancels"] == credit_push.operator_reference
    assert sent["reason"] == "別の方の受付でした"
    assert operator.balances() == {credit_push.account: 0}
    # the ledger's confirmed pushes net to zero too: a statement with nothing left matches
    assert issuers.statement_differences(
        municipality_id=operated.pk, statement={credit_push.account: 0}
    ) == []  # fmt: skip
    # settling again changes nothing, pushes nothing more
    assert services.points_settle_attendance(application_id=app.pk) == "nothing"
    assert OperatorPush.objects.count() == 2
    assert ledger_mismatches() == []


def test_reversal_waits_until_the_credit_is_confirmed(operated, operator, helper):
    """The guard (SENDABLE in the claim and the sweep) removed once: the cancellation reached the
    operator before its credit and this test failed."""
    operator.fail_next = [503]
    app = _attend(operated, helper)
    credit_push = OperatorPush.objects.get()
    assert issuers.operator_push_send(push_id=credit_push.pk) == "retry"
    _no_show(app)
    cancel = OperatorPush.objects.get(reverses=credit_push)
    # the cancellation is due, the credit not yet: nothing is sent
    assert issuers.operator_push_send(push_id=cancel.pk, now=_far(0.5)) == "skipped"
    assert issuers.operator_push_sweep(now=timezone.now() + timedelta(seconds=30)) == 0
    assert len(operator.requests) == 1
    # later: the sweep confirms the credit; the next one sends the cancellation
    assert issuers.operator_push_sweep(now=_far()) == 1
    assert issuers.operator_push_sweep(now=_far()) == 1
    credit_key, cancel_key = (
        credit_push.transaction.idempotency_key,
        cancel.transaction.idempotency_key,
    )
    assert [r["key"] for r in operator.requests] == [credit_key, credit_key, cancel_key]
    assert operator.balances() == {credit_push.account: 0}


def test_cancellation_failing_then_timing_out_then_answering_twice_counts_once(
    operated, operator, helper, monkeypatch
):
    monkeypatch.setattr(issuers, "SEND_TIMEOUT", httpx.Timeout(0.5))
    app = _attend(operated, helper)
    credit_push = OperatorPush.objects.get()
    issuers.operator_push_send(push_id=credit_push.pk)
    _no_show(app)
    cancel = OperatorPush.objects.get(reverses=credit_push)
    operator.fail_next = [500, 502]
    now = timezone.now()
    for _ in range(2):
        assert issuers.operator_push_send(push_id=cancel.pk, now=now) == "retry"
        cancel.refresh_from_db()
        now = cancel.next_try_at
    operator.stall = 1.5  # the operator takes the cancellation, the answer is lost
    assert issuers.operator_push_send(push_id=cancel.pk, now=now) == "retry"
    cancel.refresh_from_db()
    assert "Timeout" in cancel.last_error
    operator.stall, operator.twice = 0, True
    assert issuers.operator_push_send(push_id=cancel.pk, now=cancel.next_try_at) == "confirmed"
    cancel.refresh_from_db()
    assert cancel.state == "confirmed" and cancel.attempts == 4
    cancels = [c for c in operator.credited if c[2] < 0]
    assert len(cancels) == 1 and operator.balances() == {credit_push.account: 0}


def test_reconcile_page_shows_a_cancellation_waiting_for_its_credit(
    client, staff, operated, operator, helper
):
    operator.fail_next = [503]
    app = _attend(operated, helper)
    issuers.operator_push_send(push_id=OperatorPush.objects.get().pk)
    _no_show(app)
    client.force_login(staff)
    page = client.get(reverse("points_reconcile")).content.decode()
    assert page.count('data-testid="push-row"') == 2
    assert "取り消し -500" in page and 'data-testid="waits-for-credit"' in page


def test_wallet_municipality_reversal_pushes_nothing(funded, helper):
    app = _attend(funded, helper)
    assert _no_show(app) == "reversed"
    assert not OperatorPush.objects.exists()


def test_push_sign_is_checked_by_the_database(operated, operator, helper):
    _attend(operated, helper)
    with pytest.raises(IntegrityError):
        OperatorPush.objects.update(amount=-500)  # a credit's push cannot be negative


# --- point codes -------------------------------------------------------------------------------------


def test_reversal_voids_an_open_code_and_a_voided_code_is_never_redeemed(coded, helper, staff):
    """The guard (the voided check in point_code_redeem and its UPDATE) removed once: only the
    database's CHECK points_code_redeemed_or_voided stopped the redemption, with an IntegrityError
    instead of a message, and this test failed."""
    app = _attend(coded, helper)
    _attend(coded, helper)  # a second credit: the wallet still holds 500 after the reversal
    code = PointCode.objects.get(credit__application_id=app.pk)
    assert _no_show(app) == "reversed"
    code.refresh_from_db()
    assert code.voided_at is not None and code.redeemed_at is None
    assert wallet_balance(helper_id=helper.pk, municipality_id=coded.pk) == 500
    assert code not in codes.open_codes(municipality_id=coded.pk)
    with pytest.raises(services.PointsError, match="取り消された"):
        codes.point_code_redeem(code=code.code, municipality_id=coded.pk, actor=staff)
    code.refresh_from_db()
    assert code.redeemed_at is None
    assert not Transaction.objects.filter(kind="redemption").exists()
    assert wallet_balance(helper_id=helper.pk, municipality_id=coded.pk) == 500
    assert ledger_mismatches() == []


def test_redeemed_code_is_not_taken_back_and_staff_see_it(client, coded, helper, staff):
    app = _attend(coded, helper)
    _attend(coded, helper)
    code = PointCode.objects.get(credit__application_id=app.pk)
    codes.point_code_redeem(code=code.code, municipality_id=coded.pk, actor=staff)
    assert _no_show(app, reason="受付の誤り") == "reversed"
    reversal = Transaction.objects.get(kind="reversal")
    # nothing taken from the wallet: the other code's 500 stay redeemable
    assert not reversal.entries.exists() and "500" in reversal.reason
    wallet = Account.objects.get(kind="wallet", helper=helper)
    assert wallet.balance == 500
    other = PointCode.objects.exclude(pk=code.pk).get()
    codes.point_code_redeem(code=other.code, municipality_id=coded.pk, actor=staff)
    assert list(issuers.codes_not_taken_back(municipality_id=coded.pk)) == [code]
    client.force_login(staff)
    page = client.get(reverse("points_reconcile")).content.decode()
    assert page.count('data-testid="code-not-taken-back"') == 1
    assert code.printed in page and "受付の誤り" in page
    assert ledger_mismatches() == []


def test_a_code_cannot_be_both_redeemed_and_voided(coded, helper):
    _attend(coded, helper)
    now = timezone.now()
    with pytest.raises(IntegrityError):
        PointCode.objects.update(redeemed_at=now, voided_at=now)
