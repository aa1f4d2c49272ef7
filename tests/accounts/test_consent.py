"""Consent to the terms and the privacy policy: required at signup and recorded with its version; asked
again, before anything else, when a municipality saves a material change; declining signs out."""

import pytest
from django.urls import reverse

from accounts import pages
from accounts.models import Consent, HelperProfile, User
from accounts.services import page_text_save
from tests.accounts.factories import HelperProfileFactory
from tests.accounts.test_signup import GOOD, signup

pytestmark = pytest.mark.django_db


def accepted(user) -> set[tuple[str, int]]:
    return set(Consent.objects.filter(user=user).values_list("document", "version"))


def test_signup_without_consent_is_refused_with_a_clear_message_and_keeps_the_input(client):
    response = signup(client, agree="")
    page = response.content.decode()
    assert response.status_code == 200
    assert "登録するには、利用規約とプライバシーポリシーへの同意が必要です。" in page
    for typed in (GOOD["email"], GOOD["display_name"], GOOD["postal_code"]):
        assert f'value="{typed}"' in page
    assert not User.objects.filter(email=GOOD["email"]).exists()
    assert not HelperProfile.objects.exists() and not Consent.objects.exists()


def test_the_signup_form_links_to_both_pages(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert f'href="{reverse("page_terms")}"' in page
    assert f'href="{reverse("page_privacy")}"' in page


def test_signup_records_consent_with_the_versions_in_force(client, municipality, staff):
    page_text_save(
        municipality=municipality, kind="privacy", title="プライバシーポリシー", body="改定",
        material_change=True, actor=staff,
    )  # fmt: skip
    signup(client)
    user = User.objects.get(email=GOOD["email"])
    assert accepted(user) == {("terms", 1), ("privacy", 2)}


def test_an_account_without_consent_is_asked_before_anything_else(client):
    user = HelperProfileFactory(user__consented=False).user
    client.force_login(user)
    response = client.get(reverse("mypage"))
    assert response.status_code == 302
    assert response["Location"] == reverse("consent") + "?next=%2Fmypage%2F"
    # What stays open: the consent page, the texts themselves, logging out, the public pages' texts.
    for url in (
        reverse("consent"),
        reverse("page_terms"),
        reverse("page_privacy"),
        reverse("contact"),
    ):
        assert client.get(url).status_code == 200, url
    assert client.post(reverse("account_logout")).status_code == 302


@pytest.fixture
def bumped(municipality, staff):
    """飛騨市's staff saved the terms as a material change: version 2."""
    page_text_save(
        municipality=municipality, kind="terms", title="利用規約", body="新しい規約",
        material_change=True, actor=staff,
    )  # fmt: skip
    assert pages.required_versions() == {"terms": 2, "privacy": 1}


def test_a_version_bump_asks_again_and_accepting_records_the_new_version(client, helper, bumped):
    client.force_login(helper)
    response = client.get(reverse("profile_edit"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("consent"))
    page = client.get(response["Location"]).content.decode()
    assert "改定されました" in page and reverse("page_terms") in page
    response = client.post(
        reverse("consent"), {"decision": "accept", "next": reverse("profile_edit")}
    )
    assert response["Location"] == reverse("profile_edit")
    assert ("terms", 2) in accepted(helper)
    assert client.get(reverse("profile_edit")).status_code == 200


def test_a_signed_in_session_is_asked_as_soon_as_the_version_changes(
    client, helper, staff, django_capture_on_commit_callbacks
):
    client.force_login(helper)
    assert client.get(reverse("mypage")).status_code == 200  # the versions are cached now
    # The cached versions are dropped once the change commits.
    with django_capture_on_commit_callbacks(execute=True):
        page_text_save(
            municipality=staff.staff_memberships.get().municipality, kind="privacy", title="改定",
            body="本文", material_change=True, actor=staff,
        )  # fmt: skip
    assert client.get(reverse("mypage")).status_code == 302


def test_declining_signs_out_and_keeps_the_public_pages_open(client, helper, bumped):
    client.force_login(helper)
    response = client.post(reverse("consent"), {"decision": "decline"}, follow=True)
    assert "ログアウトしました" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated
    assert ("terms", 2) not in accepted(helper)
    assert client.get(reverse("program_list")).status_code == 200
    assert client.get(reverse("mypage"))["Location"].startswith(reverse("account_login"))


def test_neither_button_asks_again(client, helper, bumped):
    client.force_login(helper)
    response = client.post(reverse("consent"), {"decision": "maybe"})
    assert response.status_code == 400 and ("terms", 2) not in accepted(helper)


def test_the_next_address_stays_on_this_site(client, helper, bumped):
    client.force_login(helper)
    response = client.post(
        reverse("consent"), {"decision": "accept", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("mypage")


def test_a_typo_fixed_asks_nobody(client, helper, municipality, staff):
    page_text_save(
        municipality=municipality, kind="terms", title="利用規約", body="誤字を直しました",
        material_change=False, actor=staff,
    )  # fmt: skip
    assert pages.required_versions() == {"terms": 1, "privacy": 1}
    client.force_login(helper)
    assert client.get(reverse("mypage")).status_code == 200


def test_staff_are_asked_too_and_the_admin_login_stays_open(client, staff, bumped):
    client.force_login(staff)
    assert client.get(reverse("staff_home"))["Location"].startswith(reverse("consent"))
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("consent"))
    response = client.get(reverse("admin:login"))
    assert not response.get("Location", "").startswith(reverse("consent"))


def test_the_line_signup_form_asks_for_consent_too():
    """allauth's social signup form (LINE, when it asks for the missing fields) is built on the same
    form class; a LINE signup that skips the form is asked by the consent page instead (above)."""
    from allauth.socialaccount.forms import SignupForm

    assert SignupForm.base_fields["agree"].required
