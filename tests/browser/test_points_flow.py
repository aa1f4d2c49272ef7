"""In Chromium on a phone (390 px): a helper sees their wallet (balance, statement, expiry, QR), and staff
record an exchange by typing the helper's wallet code."""

import pytest
from playwright.sync_api import Browser, expect

from points import services
from points.models import Account
from tests.browser.test_program_flow import signed_in
from tests.conftest import ARTIFACTS
from tests.points.conftest import ended_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_helper_sees_wallet_and_staff_record_a_redemption_by_code(
    browser: Browser, live_server, municipality, helper, staff
):
    municipality.points_name = "さるぼぼコイン"
    municipality.save()
    services.budget_fund(
        municipality_id=municipality.pk, source="一般財源", amount=10_000, key="f", actor=None
    )
    _, (app,) = ended_session(municipality, helpers=[helper], points=500)
    services.points_settle_attendance(application_id=app.pk)
    code = Account.objects.get(kind="wallet", helper=helper).code

    page = signed_in(browser, live_server, helper)
    page.goto(live_server.url + "/mypage/points/")
    expect(page.get_by_test_id("wallet-balance")).to_contain_text("500 さるぼぼコイン")
    expect(page.get_by_test_id("wallet-code")).to_have_text(code)
    expect(page.get_by_role("img", name=f"ウォレットのQRコード（コード {code}）")).to_be_visible()
    _shot(page, "points-wallet")

    staff_page = signed_in(browser, live_server, staff)
    staff_page.goto(live_server.url + "/staff/points/redeem/")
    staff_page.get_by_label("ウォレットコード").fill(code[:5].lower() + "-" + code[5:].lower())
    staff_page.get_by_label("交換するポイント").fill("200")
    staff_page.get_by_label("交換したもの").fill("飛騨牛コロッケ")
    _shot(staff_page, "points-redeem-form")
    staff_page.get_by_role("button", name="交換を記録する").click()
    expect(
        staff_page.get_by_text("200 ポイントの交換を記録しました。残高は 300 です。")
    ).to_be_visible()
    _shot(staff_page, "points-redeem-done")
    staff_page.goto(live_server.url + "/staff/points/ledger/")
    expect(staff_page.get_by_test_id("ledger-row").first).to_contain_text("飛騨牛コロッケ")
    _shot(staff_page, "points-ledger")

    page.reload()
    expect(page.get_by_test_id("wallet-balance")).to_contain_text("300 さるぼぼコイン")
