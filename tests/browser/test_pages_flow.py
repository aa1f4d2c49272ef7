"""On a phone: signing up needs the consent box ticked (refused without, nothing typed lost); the
contact form reaches the municipality's staff; a changed version asks a signed-in helper again."""

import re

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from accounts.models import Consent
from accounts.services import page_text_save
from notifications.models import OutboxMessage
from tests.accounts.factories import HelperProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def test_signup_asks_for_consent_and_keeps_the_input(page: Page, live_server, screenshot):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/accounts/signup/")
    page.get_by_label("メールアドレス").fill("sakura@example.jp")
    page.get_by_label(re.compile(r"^パスワード\s*（必須）")).fill("myoga-batake-2026")
    page.get_by_label(re.compile(r"^パスワード \(再入力\)")).fill("myoga-batake-2026")
    page.get_by_label("表示名（ニックネーム可）").fill("さくら")
    page.get_by_label("郵便番号").fill("9200853")
    page.get_by_role("button", name="ユーザー登録").click()

    expect(
        page.get_by_text("登録するには、利用規約とプライバシーポリシーへの同意が必要です。")
    ).to_be_visible()
    expect(page.get_by_label("表示名（ニックネーム可）")).to_have_value("さくら")
    expect(page.get_by_label("メールアドレス")).to_have_value("sakura@example.jp")
    screenshot("pages-signup-without-consent")
    with page.context.expect_page() as terms_tab:
        page.get_by_role("link", name="利用規約").first.click()
    expect(terms_tab.value.get_by_role("heading", level=1)).to_have_text("利用規約")
    terms_tab.value.close()

    page.get_by_label(re.compile(r"^パスワード\s*（必須）")).fill("myoga-batake-2026")
    page.get_by_label(re.compile(r"^パスワード \(再入力\)")).fill("myoga-batake-2026")
    page.get_by_label("利用規約とプライバシーポリシーに同意します").check()
    page.get_by_role("button", name="ユーザー登録").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("メールアドレスを確認")
    assert set(
        Consent.objects.filter(user__email="sakura@example.jp").values_list("document", "version")
    ) == {("terms", 1), ("privacy", 1)}


def test_contact_form_reaches_the_staff(page: Page, live_server, screenshot, staff):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="お問い合わせ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("お問い合わせ")
    page.get_by_label("お名前").fill("山田 花子")
    page.get_by_label("メールアドレス").fill("hanako@example")
    page.get_by_label("お問い合わせの種類").select_option("asking")
    page.get_by_label("内容").fill("家の前の雪かきを手伝ってほしいです。")
    page.get_by_role("button", name="送信する").click()
    expect(page.get_by_text("有効なメールアドレスを入力してください。")).to_be_visible()
    expect(page.get_by_label("内容")).to_have_value("家の前の雪かきを手伝ってほしいです。")
    screenshot("pages-contact-bad-email")

    page.get_by_label("メールアドレス").fill("hanako@example.jp")
    page.get_by_role("button", name="送信する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("お問い合わせを受け付けました")
    screenshot("pages-contact-sent")
    row = OutboxMessage.objects.get(kind="contact_received")
    assert row.recipient == staff and "雪かき" in row.body

    page.get_by_role("link", name="プライバシーポリシー").click()
    expect(page.get_by_role("heading", level=2, name="3. 誰に何が見えるか")).to_be_visible()
    screenshot("pages-privacy")


def test_a_changed_privacy_policy_is_asked_again(
    page: Page, live_server, screenshot, municipality, staff
):
    helper = HelperProfileFactory(display_name="ゆうき").user
    page_text_save(
        municipality=municipality, kind="privacy", title="プライバシーポリシー",
        body="■利用の目的\n\n新しい目的を加えました。", material_change=True, actor=staff,
    )  # fmt: skip
    client = Client()
    client.force_login(helper)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/mypage/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "利用規約とプライバシーポリシーへの同意"
    )
    screenshot("pages-consent-again")
    page.get_by_role("button", name="同意して続ける").click()
    assert page.url == live_server.url + "/mypage/"
    assert Consent.objects.filter(user=helper, document="privacy", version=2).exists()
