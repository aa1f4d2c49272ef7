"""The admin speaks Japanese: app headings, model names, column headings and filter titles come from
Japanese verbose names, never from the code's English field names (ACCOUNTS, NUSHI, PUBLISHED AT,
「district で絞り込む」)."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

OUR_APPS = ("accounts", "portal", "notifications", "points", "reports", "matching")


def ascii_words(texts: list[str]) -> list[str]:
    # Names that are English words in the UI (LINE, HTML, URL are names, not words to translate).
    allowed = {"LINE", "HTML", "URL", "ID", "QR", "TOTP", "ICS"}
    return [
        t for t in texts if any(w.upper() not in allowed for w in re.findall(r"[A-Za-z]{2,}", t))
    ]


def test_staff_see_the_admin_index_in_japanese(client, staff):
    client.force_login(staff)
    index = client.get(reverse("admin:index")).content.decode()
    captions = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', index)
    assert "利用者と地域" in captions and not ascii_words(captions), captions
    models = re.findall(r'<th scope="row"[^>]*>\s*<a [^>]*>([^<]+)</a>', index)
    assert models and not ascii_words(models), models


def test_every_changelist_heading_and_filter_is_japanese(admin_client, admin_user):
    Authenticator.objects.create(
        user=admin_user, type=Authenticator.Type.TOTP, data={"secret": "x"}
    )
    call_command(
        "seed_demo", "--with-demo-logins"
    )  # rows in every table: an empty changelist shows no headings
    checked = 0
    for model in admin.site._registry:
        meta = model._meta
        if meta.app_label not in OUR_APPS:
            continue
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        page = admin_client.get(url).content.decode()
        table = page.partition('id="result_list"')[2].partition("</thead>")[0]
        headings = [
            re.sub(r"<[^>]+>", "", h).strip()
            for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table, re.S)
        ]
        filters = re.findall(r"<summary>\s*([^<]+?)\s*で絞り込む", page)
        assert not ascii_words([h for h in headings if h]), (url, headings)
        assert not ascii_words(filters), (url, filters)
        checked += bool(headings)
    assert checked >= 10
