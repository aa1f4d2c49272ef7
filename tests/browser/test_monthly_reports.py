"""Staff's monthly reports in Chromium on a phone: the list, computing a month (the progress page turns
into a link when the run is done), the report with its charts (SVG images, allowed by the CSP) and data
tables; and the public 「今月のお手伝い」. Each page meets WCAG 2.1 AA (axe), with screenshots."""

import json

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, expect

from accounts.models import Municipality
from portal.demo import people
from reports.models import MonthlyReport
from tests.browser.test_accessibility import check, context_for
from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--with-demo-logins", verbosity=0)


def test_staff_read_a_month_and_compute_another(browser: Browser, live_server, demo):
    hida = Municipality.objects.get(slug="hida")
    report = MonthlyReport.objects.filter(municipality=hida).order_by("-year", "-month").first()
    context = context_for(browser, live_server, people.STAFF_EMAIL)
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/monthly/")
    expect(page.get_by_role("heading", name="月次参加レポート", exact=True)).to_be_visible()
    shot(page, "monthly-reports-list")

    page.get_by_role("link", name=f"{hida} {report.year}年{report.month}月").first.click()
    expect(page.get_by_role("table", name="概要")).to_be_visible()
    chart = page.get_by_role(
        "img", name="前月・前年同月との比較、累計のグラフ（数値は下の表のとおり）"
    )
    chart.scroll_into_view_if_needed()
    # Loaded and decoded (an SVG the CSP or the server refused would reject here).
    assert chart.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    expect(page.get_by_role("heading", name="数値の定義（第1版）")).to_be_visible()
    # On a phone a table wider than the screen says that it scrolls sideways; one that fits does not.
    tables = page.eval_on_selector_all(
        "[data-scroll-region]",
        "rs => rs.map(r => [r.scrollWidth > r.clientWidth + 1,"
        " !r.querySelector('[data-scroll-hint]').hidden])",
    )
    assert any(wide for wide, _shown in tables) and not all(wide for wide, _shown in tables)
    assert all(wide == shown for wide, shown in tables), tables
    expect(page.locator("[data-scroll-hint]:not([hidden])").first).to_have_text(
        "（横にスクロールできます）"
    )
    shot(page, "monthly-report")

    # Recompute the same month: a run, then the new version beside the old one.
    page.goto(f"{live_server.url}/staff/monthly/")
    page.get_by_label("対象月").select_option(f"{report.year}-{report.month:02d}")
    page.get_by_role("button", name="集計する").click()
    page.get_by_role("link", name="レポートを見る").click()
    expect(page.get_by_text("第2版")).to_be_visible()
    assert (
        MonthlyReport.objects.filter(
            municipality=hida, year=report.year, month=report.month
        ).count()
        == 2
    )
    shot(page, "monthly-report-v2")


def test_monthly_report_pages_meet_wcag_aa(browser: Browser, live_server, demo):
    report = MonthlyReport.objects.filter(municipality__slug="hida").first()
    context = context_for(browser, live_server, people.STAFF_EMAIL)
    found = check(context, live_server, ["/staff/monthly/", f"/staff/monthly/{report.pk}/"])
    public = context_for(browser, live_server, None)
    found |= check(public, live_server, ["/monthly/hida/"])
    page = public.new_page()
    page.goto(f"{live_server.url}/monthly/hida/")
    shot(page, "monthly-summary")
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
