"""The nushi decides a selection session from the roster on a phone-sized screen: ticks two of three
applicants, 「残りをお断り」 leads to a page naming who is accepted, who is declined and each group's
message; without the reason and the confirmation it is refused and nothing changes; with both, each
is decided and told."""

import pytest
from playwright.sync_api import Browser, expect

from notifications.models import OutboxMessage
from portal.models import Application, Session
from tests.accounts.factories import HelperProfileFactory
from tests.browser.test_program_flow import _artifact, signed_in
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_nushi_accepts_two_and_declines_the_rest_after_the_confirmation_page(
    browser: Browser, live_server, municipality, organization, nushi
):
    program = ProgramFactory(municipality=municipality, nushi=organization, title="楮の皮はぎ")
    session = SessionFactory(
        program=program, capacity=2, acceptance_mode=Session.AcceptanceMode.SELECTION
    )
    for name in ("あおい", "いつき", "うた"):
        ApplicationFactory(session=session, helper=HelperProfileFactory(display_name=name).user)

    page = signed_in(browser, live_server, nushi)
    page.goto(f"{live_server.url}/sessions/{session.pk}/roster/")
    page.get_by_label("あおいさんを選ぶ").check()
    page.get_by_label("いつきさんを選ぶ").check()
    page.screenshot(path=str(_artifact("bulk-decisions-roster-phone")), full_page=True)
    page.get_by_role("button", name="残りをお断り").click()

    expect(page.get_by_role("heading", name="選考の結果を決める", level=1)).to_be_visible()
    groups = page.get_by_test_id("told-group")
    expect(groups.nth(0)).to_contain_text("参加確定になる方（2人）")
    expect(groups.nth(0)).to_contain_text("あおい、いつき")
    expect(groups.nth(1)).to_contain_text("お見送りになる方")
    expect(groups.nth(1)).to_contain_text("うた")
    page.screenshot(path=str(_artifact("bulk-decisions-confirm-phone")), full_page=True)

    page.get_by_role("button", name="決定してお知らせを送る").click()
    expect(page.get_by_text("理由を入力してください。お知らせに載ります。")).to_be_visible()
    expect(page.get_by_text("内容を確かめたら、チェックを入れてください。")).to_be_visible()
    page.screenshot(path=str(_artifact("bulk-decisions-refused-phone")), full_page=True)
    assert not Application.objects.exclude(status=Application.Status.APPLIED).exists()
    assert not OutboxMessage.objects.filter(kind__startswith="application_").exists()

    page.get_by_label("お見送りの理由（お見送りになる方全員に届きます）").fill(
        "今回は経験のある方を優先しました"
    )
    page.get_by_label("上の内容を確認しました").check()
    page.get_by_role("button", name="決定してお知らせを送る").click()
    expect(page.get_by_text("2人を参加確定に、1人をお見送りにしました。")).to_be_visible()
    page.screenshot(path=str(_artifact("bulk-decisions-done-phone")), full_page=True)
    decided = dict(
        Application.objects.values_list("helper__helper_profile__display_name", "status")
    )
    assert decided == {"あおい": "accepted", "いつき": "accepted", "うた": "declined"}
    assert (
        OutboxMessage.objects.filter(kind="application_declined").get().body.count("経験のある方")
    )


def test_staff_confirm_the_allocation_proposal_after_its_confirmation_page(
    browser: Browser, live_server, municipality, organization, staff
):
    program = ProgramFactory(municipality=municipality, nushi=organization, title="楮の皮はぎ")
    session = SessionFactory(
        program=program, capacity=2, acceptance_mode=Session.AcceptanceMode.SELECTION
    )
    for name in ("あおい", "いつき", "うた"):
        ApplicationFactory(session=session, helper=HelperProfileFactory(display_name=name).user)

    page = signed_in(browser, live_server, staff)
    page.goto(f"{live_server.url}/programs/{program.pk}/allocation/")
    page.get_by_role("button", name="チェックした方を参加確定にする").click()
    expect(page.get_by_role("heading", name="選考の結果を決める", level=1)).to_be_visible()
    expect(page.get_by_test_id("told-group").nth(0)).to_contain_text("参加確定になる方（2人）")
    expect(page.get_by_test_id("affected-group")).to_contain_text("選考中のまま")
    page.screenshot(path=str(_artifact("allocation-confirm-phone")), full_page=True)
    assert not Application.objects.filter(status=Application.Status.ACCEPTED).exists()

    page.get_by_label("上の内容を確認しました").check()
    page.get_by_role("button", name="参加確定にしてお知らせを送る").click()
    expect(page.get_by_text("2人を参加確定にしました。")).to_be_visible()
    assert Application.objects.filter(status=Application.Status.ACCEPTED).count() == 2
    assert OutboxMessage.objects.filter(kind="application_accepted").count() == 2
