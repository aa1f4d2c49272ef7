"""A newcomer's walk through the demo, on a phone (390 px) and a laptop (1366 px): the home page with
programs that have places left and the latest reports, a municipality's page, a program page with its
photos and helpers' impressions, and the nushi's page. Screenshots go to test-artifacts/."""

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, expect

from accounts.models import Municipality
from tests.browser.journeys import Walk, serve_media

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENS = {
    "phone": {"viewport": {"width": 390, "height": 844}},
    "laptop": {"viewport": {"width": 1366, "height": 900}},
}
# test-artifacts/visitor-01-home.png on the phone, visitor-1366-01-home.png on the laptop.
JOURNEY = {"phone": "visitor", "laptop": "visitor-1366"}


def loaded_images(page, selector: str) -> bool:
    """Every image `selector` finds has loaded (a broken one has naturalWidth 0)."""
    return page.eval_on_selector_all(
        selector,
        "images => images.length > 0 && images.every(i => i.complete && i.naturalWidth > 0)",
    )


@pytest.mark.parametrize("screen", SCREENS)
def test_a_visitor_walks_from_home_to_a_nushi(browser: Browser, live_server, screen):
    call_command("seed_demo", "--with-demo-logins", verbosity=0)
    town = Municipality.objects.get(slug="hida")
    context = browser.new_context(**SCREENS[screen], locale="ja-JP", timezone_id="Asia/Tokyo")
    serve_media(context)
    page = context.new_page()
    walk = Walk(page, JOURNEY[screen])

    page.goto(live_server.url + "/")
    cards = page.get_by_test_id("home-programs").get_by_test_id("program-card")
    expect(cards.first).to_be_visible()
    expect(cards.first).to_contain_text("残り")
    expect(page.get_by_test_id("home-reports").get_by_test_id("report-card").first).to_be_visible()
    expect(page.get_by_test_id("ask")).to_contain_text("困りごとのある方へ")
    page.get_by_test_id("home-reports").scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    assert loaded_images(page, "[data-testid=home-programs] img, [data-testid=home-reports] img")
    walk.step("home")
    expect(
        page.get_by_test_id("home-towns").get_by_role("link", name=str(town.site_name))
    ).to_have_attribute("href", f"/towns/{town.slug}/")

    # Katakana finds the program written in hiragana.
    page.get_by_role("link", name="プログラムをさがす").first.click()
    page.get_by_label("キーワード").fill("ミョウガ")
    page.get_by_role("button", name="さがす").click()
    found = page.get_by_test_id("program-card")
    expect(found.filter(has_text="みょうが畑づくり体験")).to_have_count(1)
    walk.step("search")

    found.get_by_role("link", name="みょうが畑づくり体験").click()
    expect(page.get_by_test_id("cover").locator("img")).to_be_visible()
    expect(page.get_by_test_id("program-photos").locator("img")).to_have_count(2)
    expect(page.get_by_test_id("impressions").locator("li").first).to_be_visible()
    page.get_by_test_id("impressions").scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    assert loaded_images(page, "[data-testid=cover] img, [data-testid=program-photos] img")
    walk.step("program")
    program_url = page.url

    page.get_by_role("main").get_by_role("link", name=str(town), exact=True).first.click()
    expect(page.get_by_test_id("brand")).to_have_text(town.site_name)
    expect(page.get_by_test_id("town-calendar")).to_be_visible()
    expect(page.get_by_test_id("town-contact")).to_be_visible()
    expect(page.get_by_test_id("town-programs")).to_contain_text("みょうが畑づくり体験")
    walk.step("town")

    page.goto(program_url)
    page.get_by_test_id("nushi-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("みょうが農家 中田さん")
    expect(page.get_by_test_id("nushi-programs")).to_contain_text("みょうが畑づくり体験")
    walk.step("nushi")
    # Nothing private on the way: the nushi's exact address is on no public page.
    assert "殿町1-2" not in page.content()
