"""The wallet page (a helper's own only), staff's ledger of their municipality only (with filters and
exports), and recording a redemption by code."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from points import selectors, services
from points.models import Account, Transaction
from tests.points.conftest import ended_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def credited(funded, helper, other_helper):
    _, apps = ended_session(funded, helpers=[helper, other_helper])
    for app in apps:
        services.points_settle_attendance(application_id=app.pk)
    return Account.objects.get(kind="wallet", helper=helper)


def test_helper_sees_only_their_wallet(
    client, credited, helper, other_helper, django_assert_num_queries
):
    client.force_login(helper)
    client.get(reverse("points_wallet"))  # a session's first page also checks the terms accepted
    # session + user (2), the menu's staff and organisation memberships (2), the wallets with their
    # statements and lots (1)
    with django_assert_num_queries(5):
        page = client.get(reverse("points_wallet")).content.decode()
    assert "500" in page and credited.code in page
    other = Account.objects.get(kind="wallet", helper=other_helper)
    assert other.code not in page
    assert client.get(reverse("points_wallet_qr", args=[other.code])).status_code == 404
    response = client.get(reverse("points_wallet_qr", args=[credited.code]))
    assert response["Content-Type"] == "image/svg+xml"


def test_wallet_page_without_points(client, other_helper):
    client.force_login(other_helper)
    assert "まだポイントはありません" in client.get(reverse("points_wallet")).content.decode()


def test_staff_see_their_ledger_only(
    client, credited, staff, other_municipality_staff, funded, other_municipality
):
    client.force_login(staff)
    page = client.get(reverse("points_ledger")).content.decode()
    assert credited.helper.email in page
    assert (
        client.get(reverse("points_ledger") + f"?municipality={other_municipality.pk}").status_code
        == 404
    )
    assert client.get(reverse("points_ledger") + "?municipality=x").status_code == 404
    client.force_login(other_municipality_staff)
    page = client.get(reverse("points_ledger")).content.decode()
    assert credited.helper.email not in page
    assert client.get(reverse("points_ledger") + f"?municipality={funded.pk}").status_code == 404
    export = client.get(
        reverse("points_ledger_export", args=["csv"]) + f"?municipality={funded.pk}"
    )
    assert export.status_code == 404


def test_ledger_filters_and_bad_dates(client, credited, staff):
    client.force_login(staff)
    page = client.get(reverse("points_ledger") + "?kind=funding").content.decode()
    assert credited.helper.email not in page
    page = client.get(
        reverse("points_ledger") + "?start=2026-12-10&end=2026-12-01"
    ).content.decode()
    assert "終了日は開始日より後にしてください" in page


def test_ledger_page_query_budget(client, credited, staff, django_assert_num_queries):
    client.force_login(staff)
    client.get(reverse("points_ledger"))  # a session's first page also checks the terms accepted
    # session + user + MFA check (3), staff's municipalities (1), municipality (1), their list (1),
    # totals (1), pending (1), periods (1), count (1), page (1), the menu's organisations (1)
    with django_assert_num_queries(12):
        client.get(reverse("points_ledger"))


def test_exports_csv_with_bom_and_xlsx(client, credited, staff):
    client.force_login(staff)
    raw = client.get(reverse("points_ledger_export", args=["csv"])).content
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "日時"
    assert sum(int(r[4]) for r in rows[1:]) == 0  # the whole ledger balances
    book = load_workbook(
        io.BytesIO(client.get(reverse("points_ledger_export", args=["xlsx"])).content)
    )
    assert book.active.max_row == len(rows)
    assert client.get(reverse("points_ledger_export", args=["pdf"])).status_code == 404


def test_staff_record_a_redemption_by_code_once(client, credited, staff, helper):
    client.force_login(staff)
    form = client.get(reverse("points_redeem")).content.decode()
    key = form.split('name="key" value="')[1].split('"')[0]
    data = {"code": credited.code.lower(), "amount": "200", "memo": "コロッケ", "key": key}
    for _ in range(2):  # a double submit
        response = client.post(reverse("points_redeem"), data)
        assert response.status_code == 302
    assert Transaction.objects.filter(kind="redemption").count() == 1
    credited.refresh_from_db()
    assert credited.balance == 300


def test_redemption_bad_input_keeps_the_form(client, credited, staff):
    client.force_login(staff)
    response = client.post(
        reverse("points_redeem"), {"code": "NOPE", "amount": "10", "memo": "x", "key": "k1"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "このコードのウォレットが見つかりません" in page and 'value="x"' in page
    response = client.post(
        reverse("points_redeem"), {"code": credited.code, "amount": "9999", "key": "k2"}
    )
    assert "足りません" in response.content.decode()
    response = client.post(
        reverse("points_redeem"), {"code": credited.code, "amount": "-1", "key": "k3"}
    )
    assert response.status_code == 400
    assert not Transaction.objects.filter(kind="redemption").exists()


def test_helpers_cannot_open_staff_pages(client, credited, helper):
    client.force_login(helper)
    assert client.get(reverse("points_ledger")).status_code in (302, 403, 404)
    assert client.get(reverse("points_redeem")).status_code in (302, 403, 404)


def test_wallet_shows_points_left_per_expiry_day(client, funded, helper):
    """Lots are summed per day they expire (Asia/Tokyo, soonest first, never-expiring last); a lot
    used up is not shown; the statement lists each entry with its transaction's kind and memo."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from points.models import Policy

    tokyo = ZoneInfo("Asia/Tokyo")
    # 180 days after these moments: two on 2027/6/28 in Tokyo (one of them late in the evening, the
    # previous day in UTC), one on 2027/6/29.
    moments = [
        datetime(2026, 12, 30, 23, 30, tzinfo=tokyo),
        datetime(2026, 12, 30, 8, 0, tzinfo=tokyo),
        datetime(2026, 12, 31, 8, 0, tzinfo=tokyo),
    ]
    for moment in moments:
        _, (app,) = ended_session(funded, helpers=[helper], points=500)
        services.points_settle_attendance(application_id=app.pk, now=moment)
    Policy.objects.create(municipality=funded, expiry_days=None)
    _, (app,) = ended_session(funded, helpers=[helper], points=300)
    services.points_settle_attendance(application_id=app.pk)
    (wallet,) = selectors.helper_wallets(helper_id=helper.pk)
    assert wallet.account.balance == 1800
    assert [(e.day and e.day.isoformat(), e.amount) for e in wallet.expiring] == [
        ("2027-06-28", 1000),
        ("2027-06-29", 500),
        (None, 300),
    ]
    # Newest first: the three credits were written at those (later) moments.
    assert [(line.amount, line.kind) for line in wallet.statement] == [
        (500, "credit"),
        (500, "credit"),
        (500, "credit"),
        (300, "credit"),
    ]
    client.force_login(helper)
    page = client.get(reverse("points_wallet")).content.decode()
    assert "1000 ポイント：2027/6/28 まで" in page
    assert "500 ポイント：2027/6/29 まで" in page
    assert "300 ポイント：期限なし" in page
    assert page.count('data-testid="wallet-entry"') == 4 and "付与" in page
