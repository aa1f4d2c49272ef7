"""Staff correct a closed session's attendance on a phone-sized screen (390 px): the roster's link
leads to a page that says what happens to the points and shows the helper's message; without a
reason nothing changes; with it the attendance is corrected and the credit reversed."""

import pytest
from playwright.sync_api import Browser, expect

from notifications.models import OutboxMessage
from points import services
from points.selectors import wallet_balance
from portal.models import Application
from tests.browser.test_program_flow import _artifact, signed_in
from tests.points.conftest import ended_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_correct_attendance_through_its_confirmation_page(
    browser: Browser, live_server, municipality, staff, helper
):
    services.budget_fund(
        municipality_id=municipality.pk, source="一般財源", amount=10_000, key="f", actor=None
    )
    session, (app,) = ended_session(municipality, helpers=[helper])
    services.points_settle_attendance(application_id=app.pk)

    page = signed_in(browser, live_server, staff)
    assert page.viewport_size["width"] == 390
    page.goto(f"{live_server.url}/sessions/{session.pk}/roster/")
    page.get_by_role("link", name="欠席に訂正する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("出欠を訂正する")
    facts = page.get_by_test_id("confirm-facts")
    expect(facts).to_contain_text("「参加済み」から「欠席」に直します。")
    expect(facts).to_contain_text("を取り消します。")
    group = page.get_by_test_id("told-group")
    expect(group).to_contain_text("ゆうき")
    expect(group).to_contain_text("の付与を取り消しました")
    page.screenshot(path=str(_artifact("attendance-correct-confirm-phone")), full_page=True)

    page.get_by_role("button", name="「欠席」に訂正する").click()
    expect(page.get_by_text("訂正の理由を入力してください。")).to_be_visible()
    assert Application.objects.get(pk=app.pk).status == "attended"
    page.screenshot(path=str(_artifact("attendance-correct-refused-phone")), full_page=True)

    page.get_by_label("訂正の理由（記録に残り、ポイントを取り消すときはご本人に届きます）").fill(
        "別の方の受付でした"
    )
    page.get_by_label("上の内容を確認しました").check()
    page.get_by_role("button", name="「欠席」に訂正する").click()
    expect(page.get_by_text("出欠を「欠席」に直しました。")).to_be_visible()
    expect(page.get_by_role("link", name="参加済みに訂正する")).to_be_visible()
    page.screenshot(path=str(_artifact("attendance-correct-done-phone")), full_page=True)
    assert Application.objects.get(pk=app.pk).status == "no_show"
    assert wallet_balance(helper_id=helper.pk, municipality_id=municipality.pk) == 0
    told = OutboxMessage.objects.get(recipient=helper, kind="points_reversed")
    assert "別の方の受付でした" in told.body
