"""Searching the listing in Chromium on a phone-sized screen: a katakana keyword finds programs written in
hiragana and in kanji, the count is announced, the map of the page shows their public points and a
marker leads to its program; an invalid filter in the address is named; the order can be changed."""

import datetime as dt
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from tests.browser.test_program_flow import PHONE, serve_blank_tiles
from tests.conftest import ARTIFACTS
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def published(municipality, title, *, days, lat, lng, taken=0):
    program = ProgramFactory(
        municipality=municipality, nushi__municipality=municipality, title=title,
        summary="", story="", latitude=lat, longitude=lng,
    )  # fmt: skip
    start = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() + timedelta(days=days), dt.time(9))
    )
    SessionFactory(program=program, starts_at=start, capacity=10, places_taken=taken)
    return program


def test_search_count_map_messages_and_order_on_a_phone(
    browser: Browser, live_server, municipality
):
    kana = published(
        municipality, "みょうが畑づくり体験", days=3, lat="36.238100", lng="137.186300", taken=8
    )
    kanji = published(municipality, "茗荷畑の草取り", days=5, lat="36.245000", lng="137.175000")
    published(municipality, "楮の皮はぎ", days=4, lat="36.301200", lng="137.098700")
    context = browser.new_context(**PHONE)
    serve_blank_tiles(context)
    page = context.new_page()

    def shot(name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    page.goto(live_server.url + "/programs/")
    expect(page.get_by_test_id("result-count")).to_have_text("3件")
    expect(page.locator(".leaflet-marker-icon")).to_have_count(3)
    shot("search-listing-phone")

    # A katakana keyword, sent by htmx without a page load: both spellings are found, the count is
    # announced in the live region, and the map follows with their two points.
    page.get_by_label("キーワード").fill("ミョウガ")
    page.get_by_role("button", name="さがす").click()
    expect(page.get_by_test_id("result-count")).to_have_text("2件")
    expect(page.locator("#results-status")).to_have_text("2件のプログラムが見つかりました")
    expect(page.get_by_test_id("program-card")).to_have_count(2)
    expect(page.locator(".leaflet-marker-icon")).to_have_count(2)
    page.get_by_test_id("listing-map").scroll_into_view_if_needed()
    shot("search-katakana-phone")

    # Most places left first: the program with 2 places left goes below the one with 10.
    page.get_by_label("並べ替え").select_option("places")
    page.get_by_role("button", name="さがす").click()
    expect(page.get_by_test_id("program-card").first).to_contain_text(kanji.title)

    # A marker opens a link to its program.
    page.get_by_role("button", name=kana.title).click()
    page.locator(".leaflet-popup-content a").click()
    expect(page).to_have_url(f"{live_server.url}/programs/{kana.pk}/")

    # A filter in the address that is not valid is named, and the keyword still applies.
    page.goto(live_server.url + "/programs/?q=%E8%8C%97%E8%8D%B7&category=fishing")
    problems = page.get_by_test_id("filter-problems")
    expect(problems).to_contain_text(
        "「カテゴリ」の「fishing」は使えないため、この条件を外してさがしました"
    )
    expect(page.get_by_test_id("result-count")).to_have_text("2件")
    shot("search-invalid-filter-phone")
    context.close()
