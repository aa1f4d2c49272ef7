"""The journeys of staff and of a nushi from their dashboards, in Chromium on a 390 px screen: staff
see today's session and a selection waiting, open its roster and accept the applicant; a nushi signs
in, lands on their programs, sees who applied, greets them on the roster and sends a thank-you."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from accounts.models import HelperProfile
from portal.models import Application, Session
from portal.services import applications as services
from tests.accounts.factories import PASSWORD, HelperProfileFactory
from tests.browser.test_program_flow import PHONE, signed_in
from tests.conftest import ARTIFACTS
from tests.portal.factories import (
    ApplicationFactory,
    ProgramFactory,
    SessionFactory,
    later_today,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _session(program, *, hours: float, **kwargs):
    starts = timezone.now() + timedelta(hours=hours)
    return SessionFactory(
        program=program,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        apply_deadline=starts - timedelta(hours=1) if hours > 0 else starts - timedelta(days=1),
        **kwargs,
    )


@pytest.fixture
def stage(municipality, organization, helper, other_helper):
    program = ProgramFactory(
        municipality=municipality, nushi=organization, title="みょうが畑の草取り"
    )
    today = _session(program, hours=3, capacity=4)
    services.application_submit(helper=other_helper, session_id=today.pk)
    # Today's whatever the clock says: applied to while open, then moved to later today.
    starts = later_today()
    Session.objects.filter(pk=today.pk).update(
        starts_at=starts, ends_at=starts + timedelta(hours=2), apply_deadline=timezone.now()
    )
    selection = _session(program, hours=72, capacity=3, acceptance_mode="selection")
    HelperProfile.objects.filter(user=helper).update(skills=["farming", "driving"])
    services.application_submit(
        helper=helper, session_id=selection.pk, message="軽トラの運転ができます。"
    )
    past = _session(program, hours=-48)
    ApplicationFactory(
        session=past, helper=HelperProfileFactory(display_name="けんた").user, status="attended"
    )
    return {"today": today, "selection": selection, "past": past}


def test_staff_see_their_day_and_decide_from_the_roster(
    browser: Browser, live_server, staff, stage
):
    page = signed_in(browser, live_server, staff)
    page.goto(live_server.url + "/staff/today/")
    today = page.get_by_test_id("today")
    expect(today).to_contain_text("みょうが畑の草取り")
    expect(today).to_contain_text("確定 1 / 定員 4人")
    waiting = page.get_by_test_id("waiting-decisions")
    expect(waiting).to_contain_text("選考待ちの応募（1）")
    shot(page, "dashboard-staff")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling

    waiting.get_by_role("link", name="みょうが畑の草取り").click()
    row = page.get_by_test_id("roster-waiting").get_by_test_id("roster-row")
    expect(row).to_contain_text("ゆうき")
    expect(row).to_contain_text("東京都・30代")
    expect(row).to_contain_text("はじめてのお手伝い")
    expect(row).to_contain_text("軽トラの運転ができます。")
    shot(page, "dashboard-staff-roster")
    row.get_by_role("button", name="参加確定にする").click()
    expect(page.get_by_test_id("held-count")).to_contain_text("確定 1 / 定員 3人")

    page.goto(live_server.url + "/staff/today/")
    expect(page.get_by_test_id("waiting-decisions")).to_contain_text("選考待ちの応募（0）")


def test_a_nushi_lands_on_their_programs_and_acts_on_them(
    browser: Browser, live_server, nushi, stage
):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("メールアドレス").fill(nushi.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page).to_have_url(live_server.url + "/host/")
    expect(page.get_by_role("navigation", name="メインメニュー")).to_contain_text("ヌシのページ")
    waiting = page.get_by_test_id("waiting-decisions")
    expect(waiting).to_contain_text("ゆうき")
    expect(page.get_by_test_id("thanks-due")).to_contain_text("参加 1人")
    shot(page, "dashboard-nushi")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    waiting.get_by_role("link", name="名簿で選ぶ").click()
    row = page.get_by_test_id("roster-waiting").get_by_test_id("roster-row")
    expect(row).to_contain_text("農作業、運転")
    row.get_by_role("button", name="参加確定にする").click()
    expect(page.get_by_test_id("roster-held")).to_contain_text("ゆうき")
    assert Application.objects.get(session=stage["selection"]).status == "accepted"

    page.goto(live_server.url + "/host/")
    expect(page.get_by_test_id("waiting-decisions")).to_contain_text("選考を待っている人（0）")
    page.get_by_test_id("thanks-due").get_by_role("link", name="お礼を送る").click()
    expect(page).to_have_url(live_server.url + f"/sessions/{stage['past'].pk}/thanks/")
