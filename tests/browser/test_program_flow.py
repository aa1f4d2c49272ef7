"""From a need to a published program, end to end in Chromium, on a phone-sized screen: a resident
posts a need, staff turn it into a program with two sessions, the nushi confirms the draft, staff
publish, and an anonymous visitor finds it by a Japanese keyword and opens it."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, expect

from portal.models import Need, Program
from tests.portal.images import jpeg_with_gps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "ja-JP", "timezone_id": "Asia/Tokyo"}


def signed_in(browser: Browser, live_server, user):
    """A browser context already signed in as `user` (the login form itself is tested elsewhere; staff
    would need a TOTP code there)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(**PHONE)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    serve_blank_tiles(context)
    return context.new_page()


def serve_blank_tiles(context) -> None:
    """Map tiles come from 地理院 in production; here (no network) a plain tile stands in for each."""
    import io

    from PIL import Image, ImageDraw

    tile = Image.new("RGB", (256, 256), (236, 240, 232))
    ImageDraw.Draw(tile).rectangle((0, 0, 255, 255), outline=(200, 206, 196))
    body = io.BytesIO()
    tile.save(body, "PNG")
    context.route(
        "https://cyberjapandata.gsi.go.jp/**",
        lambda route: route.fulfill(body=body.getvalue(), content_type="image/png"),
    )


def local(days: int, hour: int) -> str:
    moment = timezone.localtime() + timedelta(days=days)
    return moment.replace(hour=hour, minute=0).strftime("%Y-%m-%dT%H:%M")


def test_need_becomes_a_published_program_found_by_keyword(
    browser: Browser, live_server, nushi, organization, staff
):
    # 1. The resident (nushi) posts a need.
    page = signed_in(browser, live_server, nushi)
    page.goto(live_server.url + "/needs/new/")
    page.get_by_label("困っていること（ひとことで）").fill("みょうが畑の草取りを手伝ってほしい")
    page.get_by_label("くわしく教えてください").fill("畑が広くて、一人では草取りが追いつきません。")
    page.get_by_label("場所の郵便番号").fill("5094224")
    page.get_by_label("日にちはいつでもよい").check()
    page.get_by_label("何人くらい来てほしいですか").fill("4")
    page.get_by_label("お礼にできること（オカエシ）").fill("とれたてのみょうが")
    page.screenshot(path=str(_artifact("need-form-phone")), full_page=True)
    page.get_by_role("button", name="相談を送る").click()
    expect(page.get_by_test_id("need-status")).to_have_text("受付")
    need = Need.objects.get()

    # 2. Staff draft a program from it, add two sessions and ask the nushi to confirm.
    staff_page = signed_in(browser, live_server, staff)
    staff_page.goto(live_server.url + "/staff/")
    staff_page.get_by_role("link", name="みょうが畑の草取りを手伝ってほしい").click()
    staff_page.get_by_role("link", name="プログラムを作る").click()
    staff_page.locator("#id_title").fill("みょうが畑づくり体験")
    staff_page.locator("#id_summary").fill("飛騨の山あいで、みょうが畑をいちから作ります。")
    staff_page.locator("#id_category").select_option("farming")
    staff_page.locator("#id_meeting_place").fill("古川町公民館")
    staff_page.locator("#id_points_per_participant").fill("500")
    # Publishing needs a cover photo.
    cover = jpeg_with_gps("cover.jpg", size=(600, 400))
    staff_page.locator("#id_cover_image").set_input_files(
        files=[{"name": "cover.jpg", "mimeType": "image/jpeg", "buffer": cover.read()}]
    )
    # A tap on the map places the meeting point (the fields can still be typed).
    picker = staff_page.get_by_test_id("map-picker")
    picker.scroll_into_view_if_needed()
    picker.click()
    expect(staff_page.locator("#id_latitude")).not_to_have_value("")
    expect(staff_page.locator("[data-picker-status]")).to_contain_text("集合場所に印をつけました")
    staff_page.screenshot(path=str(_artifact("staff-program-form-phone")), full_page=True)
    staff_page.get_by_role("button", name="保存する").click()
    expect(staff_page.get_by_test_id("program-status")).to_have_text("下書き")
    for days in (14, 21):
        staff_page.get_by_role("link", name="開催日を追加").click()
        staff_page.locator("#id_starts_at").fill(local(days, 9))
        staff_page.locator("#id_ends_at").fill(local(days, 12))
        staff_page.locator("#id_capacity").fill("6")
        staff_page.locator("#id_apply_deadline").fill(local(days - 3, 18))
        staff_page.get_by_role("button", name="保存する").click()
        expect(staff_page.locator(".alert-success")).to_contain_text("開催日を追加しました")
    expect(staff_page.get_by_test_id("staff-sessions").locator("li")).to_have_count(2)
    staff_page.get_by_role("button", name="ヌシに確認を依頼").click()
    expect(staff_page.get_by_test_id("program-status")).to_have_text("ヌシ確認待ち")

    # 3. The nushi opens the draft from their page and confirms it.
    page.goto(live_server.url + "/mypage/")
    page.get_by_role("link", name="みょうが畑づくり体験").first.click()
    expect(page.get_by_test_id("preview-banner")).to_be_visible()
    screenshot_path = page.screenshot(path=str(_artifact("program-preview-phone")), full_page=True)
    assert screenshot_path
    page.get_by_role("button", name="この内容でよい").click()
    expect(page.locator(".alert-success")).to_contain_text("確認ありがとうございました")

    # 4. Staff publish.
    staff_page.reload()
    expect(staff_page.get_by_test_id("program-status")).to_have_text("ヌシ確認済み")
    staff_page.get_by_role("button", name="公開する").click()
    expect(staff_page.get_by_test_id("program-status")).to_have_text("公開中")
    staff_page.screenshot(path=str(_artifact("staff-program-phone")), full_page=True)
    program = Program.objects.get()
    assert (program.status, program.need_id) == (Program.Status.PUBLISHED, need.pk)
    assert Need.objects.get().status == Need.Status.PUBLISHED

    # 5. An anonymous visitor finds it by keyword and opens it.
    visitor_context = browser.new_context(**PHONE)
    serve_blank_tiles(visitor_context)
    visitor = visitor_context.new_page()
    visitor.goto(live_server.url + "/programs/")
    visitor.get_by_label("キーワード").fill("みょうが")
    visitor.get_by_role("button", name="さがす").click()
    cards = visitor.get_by_test_id("program-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("みょうが畑づくり体験")
    visitor.screenshot(path=str(_artifact("program-list-phone")), full_page=True)
    visitor.get_by_role("link", name="みょうが畑づくり体験").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("みょうが畑づくり体験")
    expect(visitor.get_by_test_id("places-left")).to_have_count(2)
    expect(visitor.get_by_role("link", name="カレンダーに追加")).to_have_count(2)
    # The map marks the point that staff placed, movable where JavaScript runs.
    program.refresh_from_db()
    assert program.latitude is not None and program.longitude is not None
    expect(visitor.get_by_test_id("live-map").locator(".leaflet-marker-icon")).to_be_visible()
    visitor.screenshot(path=str(_artifact("program-detail-phone")), full_page=True)

    # 6. Without JavaScript the page still shows the point, on the SVG map.
    no_js = browser.new_context(**PHONE, java_script_enabled=False)
    serve_blank_tiles(no_js)
    plain = no_js.new_page()
    plain.goto(visitor.url)
    static_map = plain.get_by_test_id("static-map")
    expect(static_map).to_be_visible()
    expect(plain.get_by_test_id("live-map")).to_have_count(0)
    static_map.screenshot(path=str(_artifact("program-map-no-js")))


def _artifact(name: str):
    from tests.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
