"""A newcomer's walk through the demo, on a phone (390 px) and a laptop (1366 px): the home page with
programs that have places left and the latest reports, a municipality's page, a program page with its
photos and helpers' impressions, and the nushi's page. Screenshots go to test-artifacts/."""

import mimetypes

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Browser, expect

from accounts.models import Municipality

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENS = {
    "phone": {"viewport": {"width": 390, "height": 844}},
    "laptop": {"viewport": {"width": 1366, "height": 900}},
}


def serve_media(context) -> None:
    """The live server serves no uploads (DEBUG is off in tests): answer /media/ from MEDIA_ROOT."""

    def fulfil(route):
        name = route.request.url.split("/media/", 1)[1]
        path = settings.MEDIA_ROOT / name
        if not path.is_file():
            route.fulfill(status=404)
            return
        route.fulfill(
            status=200, body=path.read_bytes(), content_type=mimetypes.guess_type(path.name)[0]
        )

    context.route("**/media/**", fulfil)
    # Map tiles are not part of this walk.
    context.route("**/cyberjapandata.gsi.go.jp/**", lambda route: route.fulfill(status=204))


def loaded_images(page, selector: str) -> bool:
    """Every image `selector` finds has loaded (a broken one has naturalWidth 0)."""
    return page.eval_on_selector_all(
        selector,
        "images => images.length > 0 && images.every(i => i.complete && i.naturalWidth > 0)",
    )


# The page scrolls sideways: what sticks out (the map's tiles, clipped by their frame, do not count).
WIDER_THAN_THE_SCREEN = """() => document.documentElement.scrollWidth <= document.documentElement.clientWidth
    ? [] : [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 30))"""


def look(page, name: str) -> None:
    """Scroll through the page (lazy pictures load), check nothing makes it scroll sideways, and
    save a full-page screenshot."""
    height = page.evaluate("document.body.scrollHeight")
    for _y in range(0, height, 600):
        page.mouse.wheel(0, 600)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == [], name
    page.screenshot(path=str(_artifact(name)), full_page=True)


@pytest.mark.parametrize("screen", SCREENS)
def test_a_visitor_walks_from_home_to_a_nushi(browser: Browser, live_server, screen):
    call_command("seed_demo", "--with-demo-logins", verbosity=0)
    town = Municipality.objects.get(slug="hida")
    context = browser.new_context(**SCREENS[screen], locale="ja-JP", timezone_id="Asia/Tokyo")
    serve_media(context)
    page = context.new_page()

    page.goto(live_server.url + "/")
    cards = page.get_by_test_id("home-programs").get_by_test_id("program-card")
    expect(cards.first).to_be_visible()
    expect(cards.first).to_contain_text("残り")
    expect(page.get_by_test_id("home-reports").get_by_test_id("report-card").first).to_be_visible()
    expect(page.get_by_test_id("ask")).to_contain_text("困りごとのある方へ")
    page.get_by_test_id("home-reports").scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    assert loaded_images(page, "[data-testid=home-programs] img, [data-testid=home-reports] img")
    look(page, f"journey-home-{screen}")

    page.get_by_test_id("home-towns").get_by_role("link", name=str(town.site_name)).click()
    expect(page.get_by_test_id("brand")).to_have_text(town.site_name)
    expect(page.get_by_test_id("town-calendar")).to_be_visible()
    expect(page.get_by_test_id("town-contact")).to_be_visible()
    look(page, f"journey-town-{screen}")

    page.get_by_test_id("town-programs").get_by_role("link", name="みょうが畑づくり体験").click()
    expect(page.get_by_test_id("cover").locator("img")).to_be_visible()
    expect(page.get_by_test_id("program-photos").locator("img")).to_have_count(2)
    expect(page.get_by_test_id("impressions").locator("li").first).to_be_visible()
    page.get_by_test_id("impressions").scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    assert loaded_images(page, "[data-testid=cover] img, [data-testid=program-photos] img")
    look(page, f"journey-program-{screen}")

    page.get_by_test_id("nushi-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("みょうが農家 中田さん")
    expect(page.get_by_test_id("nushi-programs")).to_contain_text("みょうが畑づくり体験")
    look(page, f"journey-nushi-{screen}")
    # Nothing private on the way: the nushi's exact address is on no public page.
    assert "殿町1-2" not in page.content()


def _artifact(name: str):
    from tests.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
