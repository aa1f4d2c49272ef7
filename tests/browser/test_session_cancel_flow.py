"""Staff cancel a session on a phone-sized screen: the roster's button leads to a page that names who
will be told and shows their message; submitting without the reason and the confirmation is refused
with a clear message and changes nothing; with both, the session is cancelled and everyone told."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from notifications.models import OutboxMessage
from portal.models import Application, Session
from tests.accounts.factories import HelperProfileFactory
from tests.browser.test_program_flow import _artifact, signed_in
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_cancel_a_session_through_its_confirmation_page(
    browser: Browser, live_server, municipality, organization, staff
):
    program = ProgramFactory(
        municipality=municipality, nushi=organization, title="みょうが畑づくり"
    )
    starts = timezone.now() + timedelta(days=10)
    session = SessionFactory(
        program=program, starts_at=starts, ends_at=starts + timedelta(hours=3), places_taken=1
    )
    for name, status in [("やまだ", "accepted"), ("すずき", "waitlisted")]:
        helper = HelperProfileFactory(display_name=name).user
        ApplicationFactory(session=session, helper=helper, status=status)

    page = signed_in(browser, live_server, staff)
    page.goto(f"{live_server.url}/sessions/{session.pk}/roster/")
    page.get_by_role("link", name="この日程を中止する").click()
    expect(page.get_by_role("heading", name="この日程を中止する", level=1)).to_be_visible()
    groups = page.get_by_test_id("told-group")
    expect(groups.nth(0)).to_contain_text("参加確定の方（1人）")
    expect(groups.nth(0)).to_contain_text("やまだ")
    expect(groups.nth(1)).to_contain_text("すずき")
    expect(groups.nth(0)).to_contain_text("申し訳ありません。次の日程は中止になりました。")
    page.screenshot(path=str(_artifact("session-cancel-confirm-phone")), full_page=True)

    # Neither reason nor confirmation: refused, nothing changed or sent.
    page.get_by_role("button", name="中止して全員に連絡する").click()
    expect(page.get_by_text("理由を入力してください。お知らせに載ります。")).to_be_visible()
    expect(page.get_by_text("内容を確かめたら、チェックを入れてください。")).to_be_visible()
    page.screenshot(path=str(_artifact("session-cancel-refused-phone")), full_page=True)
    assert Session.objects.get(pk=session.pk).status == Session.Status.SCHEDULED
    assert not OutboxMessage.objects.exists()

    page.get_by_label("中止の理由（参加者全員に届きます）").fill("大雨の予報のため")
    page.get_by_label("上の内容を確認しました").check()
    page.get_by_role("button", name="中止して全員に連絡する").click()
    expect(page.get_by_text("中止にしました（2人に連絡しました）。")).to_be_visible()
    page.screenshot(path=str(_artifact("session-cancel-done-phone")), full_page=True)
    assert Session.objects.get(pk=session.pk).status == Session.Status.CANCELLED
    assert not Application.objects.filter(status__in=["accepted", "waitlisted"]).exists()
    told = OutboxMessage.objects.filter(
        kind="session_cancelled", recipient__helper_profile__isnull=False
    )
    assert told.count() == 2 and all("大雨の予報のため" in m.body for m in told)
