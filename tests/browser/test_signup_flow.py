"""A new helper signs up in Chromium, confirms the email from the outbox, fills the profile, sees it."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import HelperProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_helper_signs_up_confirms_and_fills_profile(page: Page, live_server, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="新規登録").first.click()

    page.get_by_label("メールアドレス").fill("haruto@example.jp")
    page.get_by_label(re.compile(r"^パスワード\s*（必須）")).fill("myoga-batake-2026")
    page.get_by_label(re.compile(r"^パスワード \(再入力\)")).fill("myoga-batake-2026")
    page.get_by_label("表示名（ニックネーム可）").fill("はると")
    page.get_by_label("郵便番号").fill("9200853")
    page.get_by_label("利用規約とプライバシーポリシーに同意します").check()
    screenshot("signup-form")
    page.get_by_role("button", name="ユーザー登録").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("メールアドレスを確認")

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="確認").click()

    page.goto(live_server.url + "/mypage/profile/")
    page.get_by_label("生まれた年").select_option("1995")
    page.get_by_label("農作業", exact=True).check()
    page.get_by_label("土", exact=True).check()
    page.get_by_label("午前", exact=True).check()  # the time of day the engine scores
    page.get_by_label("自己紹介").fill("金沢から週末に通えます。")
    screenshot("profile-form")
    page.get_by_role("button", name="保存する").click()

    expect(page.get_by_test_id("profile-display-name")).to_have_text("はると")
    expect(page.get_by_test_id("profile-home")).to_have_text("石川県金沢市")
    expect(page.get_by_test_id("profile-skills")).to_have_text("農作業")
    screenshot("mypage-after-profile")
    profile = HelperProfile.objects.get(user__email="haruto@example.jp")
    assert (profile.birth_year, profile.available_weekdays) == (1995, [5])
    assert profile.available_times == ["morning"]
