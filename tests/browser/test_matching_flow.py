"""In Chromium: a helper sees 「あなたへのおすすめ」 with reasons on my page and the home page; staff open a
session's invitation candidates, invite one, and the invitation arrives (written to the outbox and sent)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from notifications.models import OutboxMessage
from portal.models import Application
from portal.selectors.matching import forget_open_sessions
from tests.accounts.factories import HelperProfileFactory
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_recommendations_and_an_invitation(
    page: Page, live_server, screenshot, municipality, organization, other_organization, staff
):
    forget_open_sessions()
    page.set_viewport_size({"width": 390, "height": 844})
    start = timezone.now() + timedelta(days=21)
    start += timedelta(days=(5 - timezone.localtime(start).weekday()) % 7)  # a Saturday
    myoga = ProgramFactory(municipality=municipality, nushi=organization, title="みょうが畑づくり")
    session = SessionFactory(program=myoga, starts_at=start)
    washi = ProgramFactory(
        municipality=municipality, nushi=other_organization, title="楮の皮はぎ", category="craft"
    )
    SessionFactory(program=washi, starts_at=start + timedelta(days=1))
    helper = HelperProfileFactory(
        display_name="ゆうき", home_prefecture="岐阜県", home_municipality="高山市",
        available_weekdays=[5, 6],
    ).user  # fmt: skip
    past = SessionFactory(program=myoga, starts_at=timezone.now() - timedelta(days=60))
    ApplicationFactory(session=past, helper=helper, status=Application.Status.ATTENDED)

    _sign_in(page, live_server, helper)
    page.goto(f"{live_server.url}/mypage/")
    recommendations = page.get_by_test_id("recommendations")
    expect(recommendations).to_contain_text("みょうが畑づくり")
    expect(recommendations.get_by_test_id("recommendation-reason").first).to_have_text(
        "前回お手伝いしたみょうが農家 中田さんのプログラム・興味のある「援農・農作業」"
    )
    screenshot("matching-mypage-recommendations")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("recommendations")).to_contain_text("楮の皮はぎ")
    screenshot("matching-home-recommendations")

    newcomer = HelperProfileFactory(
        display_name="あおい", home_prefecture="愛知県", home_municipality="名古屋市"
    )
    mail.outbox.clear()
    _sign_in(page, live_server, staff)
    page.goto(f"{live_server.url}/sessions/{session.pk}/roster/")
    page.get_by_role("link", name="お誘いする人をさがす").click()
    candidates = page.get_by_test_id("candidates")
    expect(candidates).to_contain_text("あおい")
    expect(candidates).to_contain_text("はじめての方")
    screenshot("matching-candidates")
    page.get_by_role("button", name="あおいさんをお誘いする").click()
    expect(page.get_by_text("お誘いを送りました。")).to_be_visible()
    expect(candidates).to_contain_text("お誘い済み")
    screenshot("matching-candidates-invited")
    message = OutboxMessage.objects.get(recipient=newcomer.user, kind="session_invitation")
    assert message.sent_at is not None  # sent by the eager worker after the commit
    assert any("お手伝いのお誘い: みょうが畑づくり" in m.subject for m in mail.outbox)
