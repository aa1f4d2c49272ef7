import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_login_by_email_lands_on_mypage(client, helper):
    response = client.post(reverse("account_login"), {"login": helper.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mypage")


def test_the_welcome_names_the_helper_by_display_name_not_email(client, helper):
    response = client.post(
        reverse("account_login"), {"login": helper.email, "password": PASSWORD}, follow=True
    )
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["ゆうきさんとしてログインしました。"]
    assert helper.email not in response.content.decode()


def test_unverified_email_cannot_log_in(client):
    user = UserFactory(email="unverified@example.jp", verified_email=False)
    user.emailaddress_set.update(verified=False)
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}, follow=True
    )
    assert "_auth_user_id" not in client.session
    assert "確認" in response.content.decode()


def test_failed_logins_are_rate_limited(client, helper, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/key"}
    for _ in range(3):
        client.post(
            reverse("account_login"), {"login": helper.email, "password": "wrong-password-x"}
        )
    response = client.post(reverse("account_login"), {"login": helper.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert "ログイン失敗が連続しています" in response.content.decode()


def test_admin_login_goes_through_allauth_so_mfa_cannot_be_skipped(client, staff):
    response = client.post(reverse("admin:login"), {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_staff_password_alone_does_not_open_the_admin(client, staff):
    response = client.post(
        reverse("account_login"), {"login": staff.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("mfa_authenticate")
    assert client.get(reverse("admin:index")).status_code == 302


def test_repeated_failures_lock_the_account_for_that_address(client, helper, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "100/m/ip"}
    for _ in range(3):
        client.post(
            reverse("account_login"), {"login": helper.email, "password": "wrong-password-x"}
        )
    response = client.post(reverse("account_login"), {"login": helper.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "ログインを1時間停止しました" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link(client, helper, mailoutbox):
    client.post(reverse("account_reset_password"), {"email": helper.email})
    assert len(mailoutbox) == 1
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def test_password_reset_for_an_unknown_address_answers_as_for_a_known_one(
    client, helper, mailoutbox
):
    """Nobody learns from the reset form whether an address has an account; the unknown address is
    told (by allauth's unknown-account mail) that it has none, and gets no reset link."""
    known = client.post(reverse("account_reset_password"), {"email": helper.email})
    unknown = Client().post(reverse("account_reset_password"), {"email": "nobody@example.jp"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in mailoutbox] == [[helper.email], ["nobody@example.jp"]]
    assert "/accounts/password/reset/key/" not in mailoutbox[1].body
    assert "/accounts/signup/" in mailoutbox[1].body


def test_the_two_factor_step_shows_cancel_as_the_lesser_choice(client, staff):
    """「ログイン」 and 「キャンセル」 on the code page were two equal primary buttons: the way out is the
    secondary one (allauth tags it "cancel")."""
    response = client.post(
        reverse("account_login"), {"login": staff.email, "password": PASSWORD}, follow=True
    )
    page = response.content.decode()
    login = re.search(
        r'<button class="btn ([\w-]+)[^"]*"\s*(?:form="[^"]*")?\s*type="submit"\s*>\s*ログイン',
        page,
    )
    cancel = re.search(r'<button class="btn ([\w-]+)[^"]*"\s*form="logout-from-stage"', page)
    assert (login.group(1), cancel.group(1)) == ("btn-primary", "btn-secondary")


def header_links(html: str) -> dict[str, str]:
    header = html.partition("<header")[2].partition("</header>")[0]
    return {
        text: href.replace("&amp;", "&")
        for href, text in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(ログイン|新規登録)</a>', header)
    }


def test_the_header_brings_a_visitor_back_to_the_page_they_were_reading(client, helper):
    from tests.portal.factories import ProgramFactory

    program = ProgramFactory()
    page = reverse("program_detail", args=[program.pk])
    links = header_links(client.get(page).content.decode())
    assert links == {
        "ログイン": f"{reverse('account_login')}?next={page}",
        "新規登録": f"{reverse('account_signup')}?next={page}",
    }
    response = client.post(
        links["ログイン"], {"login": helper.email, "password": PASSWORD, "next": page}
    )
    assert response.status_code == 302 and response["Location"] == page


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/"])
def test_the_header_links_carry_no_way_back_from_home_or_the_account_pages(client, path):
    links = header_links(client.get(path).content.decode())
    assert links == {"ログイン": reverse("account_login"), "新規登録": reverse("account_signup")}
