"""The need intake page: elderly-friendly form for residents, on-behalf intake for staff. Bad input says
why in Japanese and saves nothing; a nushi sees only their own needs."""

import re

import pytest
from django.urls import reverse

from notifications.models import OutboxMessage
from portal.models import Need
from tests.portal.factories import NeedFactory
from tests.portal.images import fake_image, has_exif, jpeg_with_gps, oversized_image

pytestmark = pytest.mark.django_db

GOOD = {
    "title": "みょうが畑の草取り",
    "description": "畑が広くて一人では草取りが追いつきません。",
    "meeting_place": "中田さんの畑",
    "postal_code": "5094224",
    "address": "",
    "preferred_dates": "6月の土曜日",
    "helpers_wanted": "3",
    "okaeshi": "みょうがのおすそわけ",
}


def post_need(client, user, organization=None, **changes):
    client.force_login(user)
    data = {**GOOD, **changes}
    if organization is not None:
        data["who-organization"] = organization.pk
    return client.post(reverse("need_create"), data)


def test_nushi_posts_a_need_and_staff_are_notified(client, nushi, organization, staff):
    response = post_need(client, nushi, organization)
    need = Need.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "need_detail", args=[need.pk]
    )
    assert (need.nushi, need.created_by, need.channel) == (organization, nushi, Need.Channel.WEB)
    assert need.postal_code == "509-4224" and need.address.startswith("岐阜県飛騨市古川町")
    assert OutboxMessage.objects.filter(recipient=staff, kind="need_submitted").exists()


def test_resident_without_organisation_posts_as_individual(client, helper, municipality):
    response = post_need(
        client, helper, **{"who-municipality": municipality.pk, "who-nushi_name": "高橋 ゆうき"}
    )
    assert response.status_code == 302
    need = Need.objects.get()
    assert need.nushi.name == "高橋 ゆうき" and need.nushi.members.get() == helper


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "このフィールドは必須です"),
        ({"helpers_wanted": "0"}, "1人以上"),
        ({"preferred_dates": ""}, "日にちはいつでもよい"),
        ({"postal_code": "12345"}, "7桁の数字"),
        ({"postal_code": "000-0000"}, "見つかりませんでした"),
    ],
)
def test_bad_need_input_explains_in_japanese_and_saves_nothing(
    client, nushi, organization, changes, message
):
    response = post_need(client, nushi, organization, **changes)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Need.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_fake_and_oversized_photos_are_refused(client, nushi, organization, settings):
    response = post_need(client, nushi, organization, photo=fake_image())
    # Django's ImageField decodes the file first; either its message or process_upload's is shown.
    assert re.search(
        r"画像でないか|画像ファイルとして読み込めませんでした", response.content.decode()
    )
    settings.IMAGE_UPLOAD_MAX_BYTES = 10_000
    response = post_need(client, nushi, organization, photo=oversized_image(10_000))
    assert "写真のファイルが大きすぎます" in response.content.decode()
    assert not Need.objects.exists()


def test_photo_is_resized_and_stripped_of_location(client, nushi, organization):
    post_need(client, nushi, organization, photo=jpeg_with_gps())
    need = Need.objects.get()
    assert max(need.photo.width, need.photo.height) <= 1600
    assert not has_exif(need.photo.path)


def test_cannot_post_for_someone_elses_organisation(client, nushi, other_organization):
    response = post_need(client, nushi, other_organization)
    assert response.status_code == 200
    assert not Need.objects.exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("need_create"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_another_nushi_gets_404_for_view_edit_and_withdraw(
    client, nushi, organization, other_nushi
):
    need = NeedFactory(municipality=organization.municipality, nushi=organization, created_by=nushi)
    client.force_login(other_nushi)
    assert client.get(reverse("need_detail", args=[need.pk])).status_code == 404
    assert client.get(reverse("need_edit", args=[need.pk])).status_code == 404
    assert client.post(reverse("need_withdraw", args=[need.pk])).status_code == 404
    assert Need.objects.get(pk=need.pk).status == Need.Status.SUBMITTED


def test_nushi_sees_edits_and_withdraws_their_own(client, nushi, organization):
    need = NeedFactory(municipality=organization.municipality, nushi=organization, created_by=nushi)
    client.force_login(nushi)
    assert (
        "みょうが畑を広げたい"
        in client.get(reverse("need_detail", args=[need.pk])).content.decode()
    )
    client.post(reverse("need_edit", args=[need.pk]), {**GOOD, "title": "草取り（直した）"})
    assert Need.objects.get(pk=need.pk).title == "草取り（直した）"
    client.post(reverse("need_withdraw", args=[need.pk]))
    assert Need.objects.get(pk=need.pk).status == Need.Status.WITHDRAWN
    assert "草取り（直した）" in client.get(reverse("mypage")).content.decode()


def test_staff_enter_a_phone_intake_for_a_nushi_of_their_municipality(client, staff, organization):
    client.force_login(staff)
    data = {**GOOD, "intake-organization": organization.pk, "intake-channel": "phone"}
    response = client.post(reverse("staff_need_create"), data)
    need = Need.objects.get()
    assert response.status_code == 302
    assert (need.channel, need.created_by, need.nushi) == (Need.Channel.PHONE, staff, organization)


def test_other_municipality_staff_cannot_enter_a_need_for_our_nushi(
    client, other_municipality_staff, organization
):
    client.force_login(other_municipality_staff)
    data = {**GOOD, "intake-organization": organization.pk, "intake-channel": "phone"}
    response = client.post(reverse("staff_need_create"), data)
    assert response.status_code == 200
    assert not Need.objects.exists()


def test_postal_lookup_fragment_fills_an_empty_address(client):
    response = client.get(
        reverse("postal_lookup"), {"postal_code": "５０９４２２４", "address": ""}
    )
    body = response.content.decode()
    assert "〒509-4224: 岐阜県飛騨市古川町殿町" in body and 'hx-swap-oob="true"' in body
    kept = client.get(reverse("postal_lookup"), {"postal_code": "5094224", "address": "畑の前"})
    assert "hx-swap-oob" not in kept.content.decode()
    bad = client.get(reverse("postal_lookup"), {"postal_code": "000-0000"}).content.decode()
    assert "見つかりませんでした" in bad


def test_staff_intake_with_a_malformed_organisation_is_a_form_error(client, staff):
    client.force_login(staff)
    response = client.post(reverse("staff_need_create"), {**GOOD, "intake-organization": "abc"})
    assert response.status_code == 200 and not Need.objects.exists()
