"""In Chromium on a phone (390 px): staff of an operator municipality see the credit the operator has not
confirmed, then import the operator's statement (Shift_JIS CSV) and read the difference."""

import pytest
from playwright.sync_api import Browser, expect

from points import issuers, services
from points.models import Account, Issuer, OperatorPush
from tests.browser.test_program_flow import signed_in
from tests.conftest import ARTIFACTS
from tests.points.conftest import ended_session
from tests.points.fake_operator import FakeOperator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_staff_reconcile_with_the_operator(
    browser: Browser, live_server, municipality, helper, other_helper, staff, tmp_path
):
    operator = FakeOperator().start()
    try:
        Issuer.objects.create(
            municipality=municipality, kind="operator", operator_url=operator.url,
            api_key=operator.key,
        )  # fmt: skip
        services.budget_fund(
            municipality_id=municipality.pk, source="一般財源", amount=10_000, key="f", actor=None
        )
        operator.fail_next = [503]  # the first credit's send (at its commit) fails
        _, (first,) = ended_session(municipality, helpers=[helper], points=500)
        services.points_settle_attendance(application_id=first.pk)
        _, (second,) = ended_session(municipality, helpers=[other_helper], points=300)
        services.points_settle_attendance(application_id=second.pk)
        assert OperatorPush.objects.filter(state="confirmed").count() == 1
        mine = Account.objects.get(kind="wallet", helper=helper).code
        theirs = Account.objects.get(kind="wallet", helper=other_helper).code
        statement = tmp_path / "明細.csv"
        statement.write_bytes(
            f"口座,ポイント,摘要\n{theirs},300,付与\n{mine},500,付与\n".encode("cp932")
        )

        page = signed_in(browser, live_server, staff)
        page.goto(live_server.url + "/staff/points/reconcile/")
        expect(page.get_by_test_id("push-row")).to_contain_text("500")
        expect(page.get_by_test_id("push-row")).to_contain_text("HTTP 503")
        page.get_by_label("事業者の明細（CSV）").set_input_files(str(statement))
        page.get_by_role("button", name="突き合わせる").click()
        expect(page.get_by_test_id("difference-row")).to_contain_text(
            "台帳 0／事業者 500（差 500）"
        )
        _shot(page, "points-reconcile")

        # the sweep sends it again; now the statement matches
        issuers.operator_push_sweep(now=OperatorPush.objects.get(state="pending").next_try_at)
        page.goto(live_server.url + "/staff/points/reconcile/")
        expect(page.get_by_text("確認待ちの付与はありません。")).to_be_visible()
        page.get_by_label("事業者の明細（CSV）").set_input_files(str(statement))
        page.get_by_role("button", name="突き合わせる").click()
        expect(page.get_by_text("すべての口座で合計が一致しました。")).to_be_visible()
        assert len(operator.credited) == 2
    finally:
        operator.stop()
