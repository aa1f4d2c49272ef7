"""Budgets and caps: a credit over a fiscal-year or monthly cap, or over a helper's monthly maximum,
waits (pending) and staff are told; nothing is dropped; funding is idempotent and refuses bad input."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import transaction

from notifications.models import OutboxMessage
from points import services
from points.models import Account, BudgetPeriod, PendingCredit, Policy, Transaction
from points.selectors import ledger_mismatches, wallet_balance
from tests.points.conftest import ended_session

pytestmark = pytest.mark.django_db


def test_fiscal_year_runs_april_to_march_in_tokyo():
    from points.ledger import fiscal_year_start, month_start

    # 2027-03-31 15:30 UTC is 2027-04-01 00:30 in Tokyo: the new fiscal year.
    moment = datetime(2027, 3, 31, 15, 30, tzinfo=UTC)
    assert fiscal_year_start(moment).isoformat() == "2027-04-01"
    assert month_start(moment).isoformat() == "2027-04-01"
    assert fiscal_year_start(datetime(2027, 3, 31, 14, 0, tzinfo=UTC)).isoformat() == "2026-04-01"


def test_year_cap_makes_credits_wait(funded, make_helpers, staff):
    BudgetPeriod.objects.create(
        municipality=funded, kind="year", starts_on=services.fiscal_year_start(services.timezone.now()),
        cap=1000,
    )  # fmt: skip
    _, apps = ended_session(funded, helpers=make_helpers(3))
    outcomes = [services.points_settle_attendance(application_id=a.pk) for a in apps]
    assert outcomes == ["credited", "credited", "pending"]
    assert PendingCredit.objects.get().reason == "year_cap"
    assert OutboxMessage.objects.filter(recipient=staff, kind="points_pending").count() == 1
    # Raising the cap lets the retry job credit it.
    BudgetPeriod.objects.filter(kind="year").update(cap=2000)
    later = services.timezone.now() + services.PENDING_RETRY
    services.points_retry_pending(now=later)
    assert Transaction.objects.filter(kind="credit").count() == 3
    assert BudgetPeriod.objects.get(kind="year").issued == 1500
    assert ledger_mismatches() == []


def test_the_cap_holds_in_the_database(funded):
    period = BudgetPeriod.objects.create(
        municipality=funded, kind="month", starts_on="2026-12-01", cap=100
    )
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetPeriod.objects.filter(pk=period.pk).update(issued=101)


def test_monthly_cap_from_the_policy(funded, make_helpers):
    Policy.objects.create(municipality=funded, monthly_cap=500)
    _, apps = ended_session(funded, helpers=make_helpers(2))
    outcomes = [services.points_settle_attendance(application_id=a.pk) for a in apps]
    assert outcomes == ["credited", "pending"]
    assert PendingCredit.objects.get().reason == "month_cap"


def test_helper_monthly_maximum_waits_for_next_month(funded, helper):
    Policy.objects.create(municipality=funded, helper_monthly_max=800)
    _, (first,) = ended_session(funded, helpers=[helper])
    _, (second,) = ended_session(funded, helpers=[helper])
    with time_machine.travel(datetime(2026, 12, 10, 3, tzinfo=UTC), tick=False):
        assert services.points_settle_attendance(application_id=first.pk) == "credited"
        assert services.points_settle_attendance(application_id=second.pk) == "pending"
    assert PendingCredit.objects.get().reason == "helper_max"
    with time_machine.travel(datetime(2027, 1, 2, 3, tzinfo=UTC), tick=False):
        assert services.points_retry_pending() == 1
    assert wallet_balance(helper_id=helper.pk, municipality_id=funded.pk) == 1000
    assert PendingCredit.objects.get().settled_at is not None


def test_a_pending_credit_no_longer_due_is_settled_without_credit(municipality, helper):
    _, (app,) = ended_session(municipality, helpers=[helper])  # no budget at all
    assert services.points_settle_attendance(application_id=app.pk) == "pending"
    from portal.models import Application

    Application.objects.filter(pk=app.pk).update(status="no_show")
    services.points_settle_attendance(application_id=app.pk)
    assert PendingCredit.objects.get().settled_at is not None
    assert not Transaction.objects.filter(kind="credit").exists()


def test_funding_is_idempotent_and_can_be_taken_back(municipality, staff):
    for _ in range(2):
        services.budget_fund(
            municipality_id=municipality.pk, source="企業版ふるさと納税", amount=5000, key="k1",
            actor=staff,
        )  # fmt: skip
    assert Account.objects.get(kind="budget").balance == 5000
    assert Account.objects.get(kind="source").balance == -5000
    services.budget_fund(
        municipality_id=municipality.pk, source="企業版ふるさと納税", amount=-2000, key="k2",
        actor=staff,
    )  # fmt: skip
    assert Account.objects.get(kind="budget").balance == 3000
    with pytest.raises(services.PointsError, match="予算の残高"):
        services.budget_fund(
            municipality_id=municipality.pk, source="一般財源", amount=-3001, key="k3", actor=staff
        )
    with pytest.raises(services.PointsError, match="財源"):
        services.budget_fund(
            municipality_id=municipality.pk, source=" ", amount=1, key="k4", actor=staff
        )
    with pytest.raises(services.PointsError, match="0 以外"):
        services.budget_fund(
            municipality_id=municipality.pk, source="x", amount=0, key="k5", actor=staff
        )
    assert Transaction.objects.count() == 2


def test_a_period_total_never_passes_its_cap_even_if_a_check_before_it_was_passed(municipality):
    """The totals move by a compare-and-set UPDATE: whatever a read before it concluded, a credit
    that would pass a cap moves no total and is refused (the whole credit rolls back with it)."""
    year = BudgetPeriod.objects.create(
        municipality=municipality, kind="year", starts_on=date(2026, 4, 1), cap=1_000,
        issued=800,
    )  # fmt: skip
    month = BudgetPeriod.objects.create(
        municipality=municipality, kind="month", starts_on=date(2026, 12, 1), cap=None
    )
    with pytest.raises(services.PointsError), transaction.atomic():  # as inside a credit
        services._count_issued([year, month], 300)
    year.refresh_from_db()
    month.refresh_from_db()
    assert (year.issued, month.issued) == (800, 0)
    services._count_issued([year, month], 200)
    year.refresh_from_db()
    assert year.issued == 1_000
