"""Denied and missing pages explain themselves in Japanese inside the site's layout."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_missing_or_hidden_objects_get_a_japanese_404(client):
    response = client.get("/programs/999999/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "ページが見つかりません" in body and 'lang="ja"' in body


def test_staff_pages_refuse_helpers_with_a_japanese_403(client, helper):
    client.force_login(helper)
    response = client.get(reverse("staff_home"))
    assert response.status_code == 403
    assert "このページを見る権限がありません" in response.content.decode()
