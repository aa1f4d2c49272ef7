"""What every form reads from a textarea (config.forms_renderer): line breaks counted once, as the
browser counts them against maxlength, and the maximum told to the person typing."""

import pytest
from django.urls import reverse

from accounts.models import HelperProfile
from portal.models import Need
from tests.portal.test_need_views import GOOD

pytestmark = pytest.mark.django_db


def lines_of(total: int) -> str:
    """`total` characters as the browser counts them, with a CRLF line break after every 9."""
    text = ("あ" * 9 + "\n") * (total // 10 - 1) + "い" * (10 + total % 10)
    assert len(text) == total
    return text.replace("\n", "\r\n")


def test_a_full_textarea_with_line_breaks_is_accepted(client, nushi, organization):
    client.force_login(nushi)
    description = lines_of(4000)
    response = client.post(
        reverse("need_create"),
        {**GOOD, "description": description, "who-organization": organization.pk},
    )
    assert response.status_code == 302
    assert Need.objects.get().description == description.replace("\r\n", "\n")


def test_one_character_more_is_refused_with_a_message_and_nothing_lost(client, nushi, organization):
    client.force_login(nushi)
    description = lines_of(4001)
    response = client.post(
        reverse("need_create"),
        {**GOOD, "description": description, "who-organization": organization.pk},
    )
    assert response.status_code == 200 and not Need.objects.exists()
    page = response.content.decode()
    assert "4000 文字以下" in page and "4001 文字" in page
    assert GOOD["title"] in page and "あああああああああ" in page


def test_a_lone_cr_is_a_line_break_too(client, nushi, organization):
    client.force_login(nushi)
    client.post(
        reverse("need_create"),
        {**GOOD, "description": "一行目\r二行目", "who-organization": organization.pk},
    )
    assert Need.objects.get().description == "一行目\n二行目"


def test_a_textarea_tells_its_maximum(client, nushi):
    client.force_login(nushi)
    page = client.get(reverse("need_create")).content.decode()
    assert "4,000文字まで" in page
    page = client.get(reverse("profile_edit")).content.decode()
    assert "1,000文字まで" in page


def test_a_huge_bio_is_refused(client, helper):
    client.force_login(helper)
    response = client.post(
        reverse("profile_edit"),
        {"display_name": "ゆうき", "bio": "あ" * 24000, "postal_code": "", "birth_year": ""},
    )
    assert response.status_code == 200
    assert "1000 文字以下" in response.content.decode()
    assert HelperProfile.objects.get(user=helper).bio == ""
