"""allauth's emails speak as the portal: greeted by display name (never the email address or the
host name), branded お互いさま, saying what happens next; and every email the portal sends is readable
text in its raw bytes (8-bit, not base64), so the link in the console or a mail catcher can be read."""

import re

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from accounts.mail import ReadableEmailMessage
from notifications.delivery import deliver_due
from tests.accounts.test_signup import GOOD, signup

pytestmark = pytest.mark.django_db


def raw(message) -> str:
    """The message as it goes on the wire (what the console backend prints)."""
    data = message.message().as_bytes()
    assert b"base64" not in data
    return data.decode()


def test_the_signup_confirmation_greets_by_display_name_and_its_link_is_readable(client):
    signup(client)
    (sent,) = mail.outbox
    text = raw(sent)
    assert "はるとさん、こんにちは。" in text
    assert "お互いさま" in sent.subject and "メールアドレスの確認" in sent.subject
    link = re.search(r"http://testserver/accounts/confirm-email/[^/\s]+/", text)
    assert link, text
    assert "プログラムをさがして応募できます" in text  # what happens next
    assert "です!" not in text and GOOD["email"] not in text.partition("\n\n")[2]
    # The link read from the raw bytes works.
    response = client.post(link.group(0).removeprefix("http://testserver"))
    assert response.status_code == 302


def test_the_password_reset_greets_by_display_name_with_a_readable_link(client, helper):
    client.post(reverse("account_reset_password"), {"email": helper.email})
    (sent,) = mail.outbox
    text = raw(sent)
    name = helper.helper_profile.display_name
    assert f"{name}さん、こんにちは。" in text or f"{name}、こんにちは。" in text
    assert re.search(r"http://testserver/accounts/password/reset/key/\S+/", text)
    assert "新しいパスワードを決めてください" in text


def test_an_email_to_an_address_with_an_account_greets_without_a_name(client, helper):
    signup(client, email=helper.email)
    (sent,) = mail.outbox
    text = raw(sent)
    assert "/accounts/password/reset/" in text and "お互いさま" in text


def test_outbox_emails_are_readable_too(nushi, organization, staff):
    from portal.services.needs import need_submit

    need_submit(
        actor=nushi,
        nushi=organization,
        data={"title": "草取り", "description": "畑", "dates_flexible": True},
    )
    deliver_due()
    (sent,) = mail.outbox
    text = raw(sent)
    assert "新しい困りごとが届きました" in text
    assert re.search(r"http://\S+/staff/needs/\d+/", text)


def test_a_line_too_long_for_smtp_goes_quoted_printable_with_its_link_intact():
    body = "あ" * 400 + "\nhttps://example.jp/accounts/confirm-email/abc/\n"
    plain = EmailMultiAlternatives("件名", body, "a@example.jp", ["b@example.jp"]).message()
    assert plain["Content-Transfer-Encoding"] == "base64"  # what Python picks on its own
    data = ReadableEmailMessage("件名", body, "a@example.jp", ["b@example.jp"]).message().as_bytes()
    assert b"quoted-printable" in data and b"https://example.jp/accounts/confirm-email/abc/" in data
