"""A newcomer's signup at 390 px, looked at screen by screen: the login page's sentence whole, the
form's labels and limits, a mistake explained, the email's link read from the raw message, the
confirmation, the home page with its icon. Screenshots in test-artifacts/."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_newcomer_signs_up_on_a_phone(page: Page, live_server, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/accounts/login/")
    expect(page.get_by_text("こちらからユーザー登録してください。")).to_be_visible()
    screenshot("words-login")
    page.get_by_role("link", name="こちらからユーザー登録").click()

    expect(page.get_by_text("こちらからログインしてください。")).to_be_visible()
    page.get_by_label("メールアドレス").fill("haruto@example.jp")
    page.get_by_label(re.compile(r"^パスワード\s*（必須）")).fill("myoga-batake-2026")
    page.get_by_label(re.compile(r"^パスワード \(再入力\)")).fill("myoga-batake-2026")
    page.get_by_label("表示名（ニックネーム可）").fill("はると")
    page.get_by_label("郵便番号").fill("000-0000")
    page.get_by_role("button", name="ユーザー登録").click()
    expect(page.get_by_text("見つかりませんでした")).to_be_visible()
    expect(page.get_by_label("表示名（ニックネーム可）")).to_have_value("はると")
    screenshot("words-signup-mistake")

    page.get_by_label(re.compile(r"^パスワード\s*（必須）")).fill("myoga-batake-2026")
    page.get_by_label(re.compile(r"^パスワード \(再入力\)")).fill("myoga-batake-2026")
    page.get_by_label("郵便番号").fill("9200853")
    page.get_by_label("利用規約とプライバシーポリシーに同意します").check()
    page.get_by_role("button", name="ユーザー登録").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("メールアドレスを確認")
    screenshot("words-verification-sent")

    raw = mail.outbox[-1].message().as_bytes().decode()
    assert "はるとさん、こんにちは。" in raw
    link = re.search(r"http://\S+/accounts/confirm-email/[^/\s]+/", raw).group(0)
    page.goto(link)
    screenshot("words-confirm")
    page.get_by_role("button", name="確認").click()
    page.goto(live_server.url + "/")
    screenshot("words-home-signed-in")
    icon = page.locator('link[rel="icon"]').first.get_attribute("href")
    assert page.request.get(live_server.url + icon).ok
