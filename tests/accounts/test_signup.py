"""Signup by email: the happy path makes a helper with a home area, and every bad input says why in
Japanese and saves nothing."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import HelperProfile, User

pytestmark = pytest.mark.django_db

GOOD = {
    "email": "new.helper@example.jp",
    "password1": "kozo-no-kawa-hagi-2026",
    "password2": "kozo-no-kawa-hagi-2026",
    "display_name": "はると",
    "postal_code": "５３０－０００１",  # full-width, as an IME types it
    "agree": "on",
}


def signup(client, **changes):
    return client.post(reverse("account_signup"), {**GOOD, **changes}, HTTP_ACCEPT_LANGUAGE="ja")


def test_signup_creates_helper_with_home_area_and_sends_confirmation(client):
    response = signup(client)
    assert response.status_code == 302
    user = User.objects.get(email="new.helper@example.jp")
    profile = HelperProfile.objects.get(user=user)
    assert (profile.postal_code, profile.home_prefecture, profile.home_municipality) == (
        "530-0001",
        "大阪府",
        "大阪市北区",
    )
    assert len(mail.outbox) == 1
    assert re.search(r"/accounts/confirm-email/[^/\s]+/", mail.outbox[0].body)


def test_email_is_stored_lower_case(client):
    signup(client, email="New.Helper@Example.JP")
    assert User.objects.filter(email="new.helper@example.jp").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password1": "short", "password2": "short"}, "このパスワードは短すぎます"),
        ({"password1": "password1234", "password2": "password1234"}, "よく使われるパスワード"),
        ({"password2": "something-else-entirely"}, "同じパスワード"),
        ({"postal_code": "12345"}, "7桁の数字"),
        ({"postal_code": "000-0000"}, "見つかりませんでした"),
        ({"display_name": ""}, "このフィールドは必須です"),
        ({"email": "not-an-email"}, "有効なメールアドレス"),
    ],
)
def test_bad_signup_input_explains_in_japanese_and_saves_nothing(client, changes, message):
    response = signup(client, **changes)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email=GOOD["email"]).exists()
    assert not HelperProfile.objects.exists()
    assert mail.outbox == []


def visible(response, email: str) -> str:
    """The page as a reader sees it, the address typed in and per-response tokens (CSRF, CSP nonce)
    taken out."""
    html = response.content.decode().replace(email, "EMAIL")
    return re.sub(r'(nonce|value)="[^"]*"', "", html)


def test_a_registered_email_gets_the_same_answer_as_a_new_one_and_its_owner_an_email(
    client, helper
):
    """Signup reveals nothing about who has an account: the page is the same "confirmation sent";
    the owner of the address hears of the attempt by email, and no second account is made."""
    other = Client()
    new = signup(other, email="someone.new@example.jp")
    mail.outbox.clear()
    profiles = HelperProfile.objects.count()
    taken = signup(client, email=helper.email.upper())
    assert taken.status_code == new.status_code == 302
    assert taken["Location"] == new["Location"] == reverse("account_email_verification_sent")
    taken_page = visible(client.get(taken["Location"]), helper.email)
    assert "確認メールを EMAIL へ送信しました" in taken_page
    assert taken_page == visible(other.get(new["Location"]), "someone.new@example.jp")
    assert User.objects.filter(email__iexact=helper.email).count() == 1
    assert HelperProfile.objects.count() == profiles
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [helper.email]
    assert message.subject == "[お互いさま] このメールアドレスはすでに登録されています"
    assert helper.email in message.body and "/accounts/password/reset/" in message.body
    assert "confirm-email" not in message.body


def test_the_already_registered_email_is_in_the_owners_language(client, helper):
    helper.language = "en"
    helper.save(update_fields=["language"])
    signup(client, email=helper.email)  # the form filled in Japanese, by someone else perhaps
    (message,) = mail.outbox
    assert message.subject == "[お互いさま] This email address is already registered"
    assert "already has an account" in message.body


def test_password_similar_to_email_is_refused(client):
    response = signup(
        client,
        email="kozonokawahagi@example.jp",
        password1="kozonokawahagi1",
        password2="kozonokawahagi1",
    )
    assert "似すぎています" in response.content.decode()


def test_signup_is_rate_limited_per_ip(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/m/ip"}
    for n in range(2):
        signup(client, email=f"a{n}@example.jp")
    response = signup(client, email="a9@example.jp")
    assert response.status_code == 429
    assert not User.objects.filter(email="a9@example.jp").exists()


def test_the_signup_language_becomes_the_language_of_notifications(client):
    signup(client)
    assert User.objects.get(email=GOOD["email"]).language == "ja"
    client.post(
        reverse("account_signup"),
        {**GOOD, "email": "visitor@example.com"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert User.objects.get(email="visitor@example.com").language == "en"


def test_the_language_switch_remembers_the_choice_of_a_signed_in_user(client, helper):
    client.force_login(helper)
    assert client.get(reverse("set_language")).status_code == 405
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    helper.refresh_from_db()
    assert helper.language == "en"
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    helper.refresh_from_db()
    assert helper.language == "en"


def test_the_consent_comes_last_after_what_it_consents_to(client):
    """On the form the consent box sits right above the button, after the passwords (it came before
    them, between the postal code and the password)."""
    page = client.get(reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    names = re.findall(
        r'<input[^>]* name="(email|display_name|postal_code|password1|password2|agree)"', page
    )
    assert names == ["email", "display_name", "postal_code", "password1", "password2", "agree"]
