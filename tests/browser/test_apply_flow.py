"""In Chromium: a helper applies, the nushi accepts, the helper sees the meeting address, the nushi
checks them in by typing the short code, and the helper downloads the participation certificate."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal.models import Application
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_helper_applies_is_accepted_checks_in_and_gets_certificate(
    page: Page, live_server, screenshot, municipality, organization, helper, nushi
):
    page.set_viewport_size({"width": 390, "height": 844})
    program = ProgramFactory(
        municipality=municipality,
        nushi=organization,
        title="みょうが畑づくり体験",
        meeting_place="古川町公民館",
        meeting_address="岐阜県飛騨市古川町殿町1-2",
    )
    starts = timezone.now() + timedelta(hours=1)
    session = SessionFactory(
        program=program,
        starts_at=starts,
        apply_deadline=starts - timedelta(minutes=30),
        acceptance_mode="selection",
        capacity=5,
    )

    _sign_in(page, live_server, helper)
    page.goto(f"{live_server.url}/sessions/{session.pk}/apply/")
    page.get_by_label("備考（任意）").fill("軍手を持っていきます。")
    screenshot("apply-form")
    page.get_by_role("button", name="応募する").click()
    expect(page.get_by_test_id("application-status")).to_have_text("選考中")
    expect(page.get_by_test_id("contact-hidden")).to_be_visible()
    application = Application.objects.get(helper=helper, session=session)

    _sign_in(page, live_server, nushi)
    page.goto(f"{live_server.url}/sessions/{session.pk}/roster/")
    page.get_by_role("button", name="参加確定にする").click()
    expect(page.get_by_test_id("roster")).to_contain_text("参加確定")
    screenshot("roster-accepted")

    _sign_in(page, live_server, helper)
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    expect(page.get_by_test_id("application-status")).to_have_text("参加確定")
    expect(page.get_by_test_id("meeting-address")).to_contain_text("古川町殿町1-2")
    expect(page.get_by_test_id("checkin-code")).to_contain_text(application.checkin_code)
    screenshot("application-accepted-with-qr")

    _sign_in(page, live_server, nushi)
    page.goto(f"{live_server.url}/sessions/{session.pk}/checkin/")
    page.get_by_label("受付コード").fill(application.checkin_code.lower())
    page.get_by_role("button", name="受付する").click()
    expect(page.get_by_role("status")).to_contain_text("受付をしました")
    expect(page.get_by_test_id("checkin-counts")).to_contain_text("受付済み 1 / 1人")
    screenshot("checkin-done")

    _sign_in(page, live_server, helper)
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    expect(page.get_by_test_id("application-status")).to_have_text("参加済み")
    with page.expect_download() as download:
        page.get_by_test_id("certificate-link").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    screenshot("application-attended")
