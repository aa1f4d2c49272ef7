"""Races on PostgreSQL, threads with their own connections: two closes at once, the same attendance
settled from many workers at once, two expiry beats at once, two redemptions from one wallet."""

from datetime import timedelta

import pytest
from django.db.models import Count, Sum

from points import services
from points.models import Account, Entry, Lot, SettleRequest, Transaction
from points.selectors import ledger_mismatches
from portal.services import attendance
from portal.services.errors import AttendanceFinal
from tests.accounts.factories import UserFactory
from tests.points.conftest import ended_session
from tests.portal.apply_helpers import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def _sound():
    assert Entry.objects.aggregate(s=Sum("amount"))["s"] == 0
    assert ledger_mismatches() == []


def test_two_closes_at_once_credit_once(funded, staff):
    helpers = [UserFactory() for _ in range(5)]
    session, _ = ended_session(funded, helpers=helpers, closed=False)
    results = run_concurrently(
        lambda _: attendance.session_close(session_id=session.pk, actor=staff), [1, 2], workers=2
    )
    assert sum(isinstance(r, AttendanceFinal) for r in results) == 1
    assert SettleRequest.objects.count() == 1  # eager here: its task ran after the winner's commit
    # Its work run again twice at once (a redelivery racing the retry job):
    request = SettleRequest.objects.get()
    SettleRequest.objects.filter(pk=request.pk).update(done_at=None)
    run_concurrently(
        lambda _: services.points_settle_request(request_id=request.pk), [1, 2], workers=2
    )
    per_app = (
        Transaction.objects.filter(kind="credit").values("application_id").annotate(n=Count("id"))
    )
    assert sorted(row["n"] for row in per_app) == [1] * 5
    _sound()


def test_one_attendance_settled_by_ten_workers_at_once(funded, helper):
    _, (app,) = ended_session(funded, helpers=[helper])
    results = run_concurrently(
        lambda _: services.points_settle_attendance(application_id=app.pk), range(10), workers=10
    )
    assert sorted(results) == ["credited"] + ["nothing"] * 9
    _sound()


def test_two_expiry_beats_at_once_expire_each_lot_once(funded):
    helpers = [UserFactory() for _ in range(20)]
    _, apps = ended_session(funded, helpers=helpers)
    for app in apps:
        services.points_settle_attendance(application_id=app.pk, tell=False)
    later = Lot.objects.order_by("-expires_at").first().expires_at + timedelta(seconds=1)
    results = run_concurrently(lambda _: services.points_expire_due(now=later), [1, 2], workers=2)
    assert sum(r["expired"] for r in results) == 20
    assert Transaction.objects.filter(kind="expiry").count() == 20
    assert Account.objects.get(kind="expired").balance == 20 * 500
    _sound()


def test_two_redemptions_never_overdraw(funded, helper, staff):
    _, (app,) = ended_session(funded, helpers=[helper])
    services.points_settle_attendance(application_id=app.pk)
    code = Account.objects.get(kind="wallet").code
    results = run_concurrently(
        lambda key: services.wallet_redeem(
            wallet_code=code, municipality_id=funded.pk, amount=300, key=key, actor=staff
        ),
        ["a", "b"],
        workers=2,
    )
    assert sum(isinstance(r, services.PointsError) for r in results) == 1
    assert Account.objects.get(kind="wallet").balance == 200
    _sound()


def test_two_credits_for_the_last_of_the_budget_one_waits(municipality):
    """The budget's row lock orders two credits that read its balance: with room for one, the other
    waits as a pending credit (without the lock both would pass the check, and the second would break
    the balance's CHECK instead)."""
    services.budget_fund(
        municipality_id=municipality.pk, source="一般財源", amount=500, key="fund:last", actor=None
    )
    _, apps = ended_session(municipality, helpers=[UserFactory(), UserFactory()])
    results = run_concurrently(
        lambda app: services.points_settle_attendance(application_id=app.pk, tell=False),
        apps,
        workers=2,
    )
    assert sorted(results) == ["credited", "pending"]
    assert Account.objects.get(kind="budget").balance == 0
    _sound()
