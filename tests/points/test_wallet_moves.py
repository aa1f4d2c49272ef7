"""Redemptions and expiry: wallet → redeemed by staff with the wallet's code, wallet → expired by the
beat job (warned a month before), each exactly once even with two beats at once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from points import services
from points.models import Account, Lot, Transaction
from points.selectors import ledger_mismatches, wallet_balance
from tests.points.conftest import ended_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def credited(funded, helper):
    _, (app,) = ended_session(funded, helpers=[helper])
    services.points_settle_attendance(application_id=app.pk)
    return Account.objects.get(kind="wallet", helper=helper)


def test_redeem_by_code_once(credited, funded, helper, staff):
    typed = credited.code.lower()[:5] + "-" + credited.code.lower()[5:]  # as people type it
    for _ in range(2):  # a double submit carries the same key
        services.wallet_redeem(
            wallet_code=typed, municipality_id=funded.pk, amount=200, key="form-1", actor=staff,
            memo="飛騨牛コロッケ",
        )  # fmt: skip
    assert wallet_balance(helper_id=helper.pk, municipality_id=funded.pk) == 300
    assert Account.objects.get(kind="redeemed").balance == 200
    assert Lot.objects.get().remaining == 300
    assert ledger_mismatches() == []


def test_redeem_refuses_more_than_the_balance_and_other_municipalities(
    credited, funded, other_municipality, staff
):
    with pytest.raises(services.PointsError, match="足りません"):
        services.wallet_redeem(
            wallet_code=credited.code, municipality_id=funded.pk, amount=501, key="a", actor=staff
        )
    with pytest.raises(services.PointsError, match="見つかりません"):
        services.wallet_redeem(
            wallet_code=credited.code, municipality_id=other_municipality.pk, amount=1, key="b",
            actor=staff,
        )  # fmt: skip
    with pytest.raises(services.PointsError, match="1 以上"):
        services.wallet_redeem(
            wallet_code=credited.code, municipality_id=funded.pk, amount=0, key="c", actor=staff
        )
    assert not Transaction.objects.filter(kind="redemption").exists()


def test_expiry_warns_a_month_before_then_expires_once(credited, funded, helper):
    lot = Lot.objects.get()
    assert lot.expires_at is not None
    assert services.points_expire_due() == {"expired": 0, "warned": 0}
    warn_time = lot.expires_at - timedelta(days=29)
    for _ in range(2):
        services.points_expire_due(now=warn_time)
    assert OutboxMessage.objects.filter(recipient=helper, kind="points_expiring").count() == 1
    after = lot.expires_at + timedelta(minutes=1)
    assert services.points_expire_due(now=after) == {"expired": 1, "warned": 0}
    assert services.points_expire_due(now=after) == {"expired": 0, "warned": 0}
    assert wallet_balance(helper_id=helper.pk, municipality_id=funded.pk) == 0
    assert Account.objects.get(kind="expired").balance == 500
    assert ledger_mismatches() == []


def test_expiry_takes_only_what_is_left(credited, funded, helper, staff):
    services.wallet_redeem(
        wallet_code=credited.code, municipality_id=funded.pk, amount=450, key="r", actor=staff
    )
    lot = Lot.objects.get()
    services.points_expire_due(now=lot.expires_at + timedelta(seconds=1))
    assert Account.objects.get(kind="expired").balance == 50


def test_points_without_expiry_never_expire(funded, helper):
    from points.models import Policy

    Policy.objects.create(municipality=funded, expiry_days=None)
    _, (app,) = ended_session(funded, helpers=[helper])
    services.points_settle_attendance(application_id=app.pk)
    assert Lot.objects.get().expires_at is None
    assert services.points_expire_due(now=timezone.now() + timedelta(days=3650))["expired"] == 0
