"""points.selectors.municipality_month_figures: what the monthly reports read for one municipality and
one Asia/Tokyo month."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from points import services
from points.ledger import local_midnight
from points.selectors import municipality_month_figures
from portal.models import Application
from tests.points.conftest import ended_session

pytestmark = pytest.mark.django_db
DECEMBER = (local_midnight(date(2026, 12, 1)), local_midnight(date(2027, 1, 1)))


def test_month_figures(
    municipality, other_municipality, helper, other_helper, staff, django_assert_num_queries
):
    with time_machine.travel(
        datetime(2026, 11, 30, 14, 59, tzinfo=UTC), tick=False
    ):  # Nov 30 23:59 JST
        services.budget_fund(
            municipality_id=municipality.pk, source="一般財源", amount=1200, key="f1", actor=None
        )
    _, (a, b) = ended_session(municipality, helpers=[helper, other_helper])
    _, (c,) = ended_session(other_municipality, helpers=[helper])  # another town: not counted
    # 2026-11-30 15:00 UTC is December 1st in Tokyo.
    with time_machine.travel(datetime(2026, 11, 30, 15, 0, tzinfo=UTC), tick=False):
        for app in (a, b, c):
            services.points_settle_attendance(application_id=app.pk)  # c: no budget there
        wallet = helper.points_wallets.get(municipality=municipality)
        services.wallet_redeem(
            wallet_code=wallet.code,
            municipality_id=municipality.pk,
            amount=100,
            key="r",
            actor=staff,
        )
        Application.objects.filter(pk=a.pk).update(status="no_show")
        services.points_settle_attendance(application_id=a.pk, reason="訂正")
    # The entries' sums from the month's start, the cached balances, the pending credits.
    with django_assert_num_queries(3):
        figures = municipality_month_figures(
            municipality_id=municipality.pk, start=DECEMBER[0], end=DECEMBER[1]
        )
    assert figures.issued == 1000
    assert figures.redeemed == 100
    assert figures.reversed == 400  # what was left of the credit
    assert figures.expired == 0
    assert figures.outstanding == 500  # other_helper's
    assert figures.budget_funded == 0  # funded in November (Tokyo time)
    assert figures.budget_balance == 1200 - 1000 + 400
    assert figures.pending == 0
    november = municipality_month_figures(
        municipality_id=municipality.pk, start=local_midnight(date(2026, 11, 1)), end=DECEMBER[0]
    )
    assert november.budget_funded == 1200 and november.issued == 0
    # Balances as at November's end, though December moved them since.
    assert november.budget_balance == 1200 and november.outstanding == 0


def test_pending_counts_until_settled(municipality, helper):
    _, (app,) = ended_session(municipality, helpers=[helper])
    with time_machine.travel(datetime(2026, 12, 5, tzinfo=UTC), tick=False):
        services.points_settle_attendance(application_id=app.pk)  # no budget: waits
    figures = municipality_month_figures(
        municipality_id=municipality.pk, start=DECEMBER[0], end=DECEMBER[1]
    )
    assert figures.pending == 500 and figures.issued == 0
