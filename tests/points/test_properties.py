"""Property test: random sequences of credit, reversal, re-credit, redemption, expiry and budget changes
keep the ledger sound: every transaction balances (the database's deferred check is forced after each
step), no wallet or budget goes below zero, cached balances and lots equal the sums of entries, and
each attendance holds at most one credit that is not reversed."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from points import services
from points.models import Account, BudgetPeriod, Transaction
from points.selectors import ledger_mismatches
from portal.models import Application
from tests.accounts.factories import MunicipalityFactory, UserFactory
from tests.points.conftest import ended_session

pytestmark = pytest.mark.django_db

operation = st.one_of(
    st.tuples(st.just("settle"), st.integers(0, 3)),
    st.tuples(st.just("absent"), st.integers(0, 3)),
    st.tuples(st.just("present"), st.integers(0, 3)),
    st.tuples(st.just("redeem"), st.integers(0, 2), st.integers(1, 700)),
    st.tuples(st.just("expire"), st.integers(0, 40)),
    st.tuples(st.just("fund"), st.integers(-1500, 1500)),
    st.tuples(st.just("cap"), st.integers(0, 3000)),
)


class _Rollback(Exception):
    pass


def _check_sound() -> None:
    with connection.cursor() as cursor:  # run the deferred balance trigger now
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert ledger_mismatches() == []
    assert not Account.objects.filter(~Q(kind="source"), balance__lt=0).exists()
    assert (Account.objects.aggregate(s=Sum("balance"))["s"] or 0) == 0
    unbalanced = (
        Transaction.objects.annotate(total=Sum("entries__amount"))
        .exclude(total=0)
        .exclude(total=None)
    )
    assert not unbalanced.exists()
    open_credits = (
        Transaction.objects.filter(kind="credit", reversal__isnull=True)
        .values("application_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not open_credits.exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(operation, min_size=1, max_size=12))
def test_random_sequences_keep_the_ledger_sound(ops):
    example = transaction.atomic()
    example._from_testcase = True  # as Django's TestCase marks its blocks: durable services allowed
    try:
        with example:
            municipality = MunicipalityFactory()
            staff = UserFactory()
            helpers = [UserFactory() for _ in range(3)]
            _, first = ended_session(municipality, helpers=helpers[:2], points=500)
            _, second = ended_session(municipality, helpers=helpers[1:], points=300)
            apps = first + second
            now = timezone.now()
            for n, op in enumerate(ops):
                kind = op[0]
                try:
                    if kind == "settle":
                        services.points_settle_attendance(application_id=apps[op[1]].pk, now=now)
                    elif kind in ("absent", "present"):
                        status = "no_show" if kind == "absent" else "attended"
                        Application.objects.filter(pk=apps[op[1]].pk).update(status=status)
                        services.points_settle_attendance(
                            application_id=apps[op[1]].pk, reason="訂正", now=now
                        )
                    elif kind == "redeem":
                        wallet = Account.objects.filter(
                            kind="wallet", helper=helpers[op[1]]
                        ).first()
                        if wallet is not None:
                            services.wallet_redeem(
                                wallet_code=wallet.code, municipality_id=municipality.pk,
                                amount=op[2], key=f"r{n}", actor=staff, now=now,
                            )  # fmt: skip
                    elif kind == "expire":
                        now += timedelta(days=op[1] * 5)
                        services.points_expire_due(now=now, tell=False)
                    elif kind == "fund":
                        services.budget_fund(
                            municipality_id=municipality.pk, source="一般財源", amount=op[1],
                            key=f"f{n}", actor=None, now=now,
                        )  # fmt: skip
                    else:
                        BudgetPeriod.objects.update_or_create(
                            municipality=municipality, kind="year",
                            starts_on=services.fiscal_year_start(now), defaults={"cap": None},
                        )  # fmt: skip
                        BudgetPeriod.objects.filter(
                            municipality=municipality, kind="year", issued__lte=op[1]
                        ).update(cap=op[1])
                except services.PointsError:
                    pass
                _check_sound()
            raise _Rollback
    except _Rollback:
        pass
