"""Editing the helper profile: the home area follows the postal code; photos are checked and lose EXIF."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import HelperProfile

pytestmark = pytest.mark.django_db

FORM = {
    "display_name": "ゆうき", "postal_code": "509-4234", "birth_year": "1990",
    "skills": ["farming", "diy"], "interests": ["festival"], "available_weekdays": ["5", "6"],
    "available_seasons": ["autumn"], "available_times": ["morning", "evening"],
    "bio": "よろしくお願いします。",
}  # fmt: skip


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (3000, 2000), "green")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (35.0, 40.0, 0.0)}  # GPSInfo
    exif[0x010F] = "CameraMaker"
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_profile_saves_and_home_area_follows_postal_code(client, helper):
    client.force_login(helper)
    response = client.post(reverse("profile_edit"), FORM)
    assert response.status_code == 302
    profile = HelperProfile.objects.get(user=helper)
    assert (profile.home_prefecture, profile.home_municipality) == ("岐阜県", "飛騨市")
    assert profile.skills == ["farming", "diy"] and profile.available_weekdays == [5, 6]
    assert profile.available_times == ["morning", "evening"]
    assert profile.is_complete


def test_an_unknown_time_of_day_is_refused_and_nothing_is_lost(client, helper):
    client.force_login(helper)
    response = client.post(reverse("profile_edit"), {**FORM, "available_times": ["midnight"]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "midnight は候補にありません" in page or "正しく選択してください" in page
    assert "よろしくお願いします。" in page  # what they typed is still there
    assert HelperProfile.objects.get(user=helper).available_times == []


def test_photo_is_resized_and_stripped_of_exif(client, helper):
    client.force_login(helper)
    raw = jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif()  # the upload does carry EXIF
    photo = SimpleUploadedFile("me.jpg", raw, content_type="image/jpeg")
    client.post(reverse("profile_edit"), {**FORM, "photo": photo})
    stored = HelperProfile.objects.get(user=helper).photo
    with Image.open(stored.path) as img:
        assert max(img.size) == 1600
        assert not img.getexif()
        assert "exif" not in img.info


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<?php echo 'not an image'; ?>", "画像ファイルとして読み込めませんでした"),
        (
            b"\xff\xd8\xff\xe0" + b"\x00" * 100,
            "画像ファイルとして読み込めませんでした",
        ),  # truncated JPEG
    ],
)
def test_fake_images_are_refused_and_nothing_changes(client, helper, content, message):
    client.force_login(helper)
    before = HelperProfile.objects.get(user=helper)
    fake = SimpleUploadedFile("me.jpg", content, content_type="image/jpeg")
    response = client.post(
        reverse("profile_edit"), {**FORM, "display_name": "changed", "photo": fake}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    after = HelperProfile.objects.get(user=helper)
    assert (after.display_name, after.photo.name) == (before.display_name, before.photo.name)


def test_oversized_upload_is_refused(client, helper, settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 1024
    client.force_login(helper)
    photo = SimpleUploadedFile("me.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post(reverse("profile_edit"), {**FORM, "photo": photo})
    assert "写真のファイルが大きすぎます" in response.content.decode()
    assert not HelperProfile.objects.get(user=helper).photo


def test_invalid_postal_code_is_explained(client, helper):
    client.force_login(helper)
    response = client.post(reverse("profile_edit"), {**FORM, "postal_code": "999-9999"})
    assert "見つかりませんでした" in response.content.decode()
    assert HelperProfile.objects.get(user=helper).postal_code == "100-0001"


def test_profile_page_needs_login(client):
    response = client.get(reverse("profile_edit"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
