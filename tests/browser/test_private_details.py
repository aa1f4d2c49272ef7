"""In Chromium: the public program page shows the meeting place but not the exact address; the accepted
helper sees the address and writes to the hosts in a private thread; the nushi reads it from the roster,
where helpers appear by display name."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal.models import Application
from portal.services import applications as services
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HOME = "岐阜県飛騨市古川町殿町9-87"


def _sign_in(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_address_and_private_thread(
    page: Page, live_server, screenshot, municipality, organization, helper, nushi
):
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.route(
        "https://cyberjapandata.gsi.go.jp/**", lambda route: route.fulfill(status=204, body="")
    )
    program = ProgramFactory(
        municipality=municipality, nushi=organization, title="みょうが畑づくり体験",
        meeting_place="古川町公民館", meeting_address=HOME,
    )  # fmt: skip
    session = SessionFactory(program=program, starts_at=timezone.now() + timedelta(days=3))
    application = services.application_submit(helper=helper, session_id=session.pk)
    assert application.status == Application.Status.ACCEPTED

    page.goto(f"{live_server.url}/programs/{program.pk}/")
    expect(page.get_by_test_id("address-after-acceptance")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("殿町9-87")
    screenshot("program-public-place")

    _sign_in(page, live_server, helper)
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    expect(page.get_by_test_id("meeting-address")).to_contain_text("殿町9-87")
    page.get_by_test_id("private-thread-link").click()
    expect(page.get_by_test_id("thread-audience")).to_contain_text("ほかの参加者には見えません")
    page.get_by_label("メッセージ").fill("少し遅れて到着します。")
    page.get_by_role("button", name="送信").click()
    expect(page.get_by_test_id("thread")).to_contain_text("少し遅れて到着します。")
    screenshot("private-thread-helper")

    _sign_in(page, live_server, nushi)
    page.goto(f"{live_server.url}/sessions/{session.pk}/roster/")
    expect(page.get_by_test_id("roster")).to_contain_text("ゆうき")
    expect(page.get_by_test_id("roster")).not_to_contain_text(helper.email)
    expect(page.get_by_role("button", name="参加を取り消す")).to_have_count(0)
    screenshot("roster-nushi")
    page.get_by_role("link", name="ゆうきさんへの個別メッセージ").click()
    expect(page.get_by_test_id("thread")).to_contain_text("少し遅れて到着します。")
    screenshot("private-thread-nushi")
