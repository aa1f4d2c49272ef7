"""What every role reads on the demo's pages, walked link by link: no honorific doubled
(「中田さん さん」), no Japanese word split by a template's line break or by a space beside a link
(「ユーザー登録 してください」)."""

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import User
from accounts.text import with_honorific
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

JA = r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]"
DOUBLED = re.compile(r"(さん|様)\s*(さん|様)")
# One sentence shown with a space in the middle: a line break inside a run of Japanese text (a
# template wrapped it), a link the sentence runs on from (「ユーザー登録</a> してください」), or a
# sentence running into a link with a space. (A badge or a status next to other text is two things,
# and the space between them is meant.)
SPLIT = re.compile(
    rf"{JA}[ \t]*\n\s*{JA}"
    rf"|{JA}</a>\s+[しをにはがでへとのもや]"
    rf"|[\u3040-\u309f、]\s+<a\b[^>]*>{JA}"
)
SKIP = ("/accounts/logout", "/i18n/", "/admin/", "/media/", "/static/", "/unsubscribe", ".ics",
        ".pdf", ".xlsx", ".csv", "/qr", "/certificate", "/sitemap")  # fmt: skip


def walk(client: Client, start: list[str], limit: int = 120) -> dict[str, str]:
    seen: dict[str, str] = {}
    queue = deque(start)
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen or any(s in url for s in SKIP):
            continue
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            seen[url] = ""
            continue
        page = response.content.decode()
        seen[url] = page
        for href in re.findall(r'href="(/[^"#]*)"', page):
            parts = urlsplit(href.replace("&amp;", "&"))
            if not parts.query and parts.path not in seen:
                queue.append(parts.path)
    return seen


@pytest.fixture
def demo():
    call_command("seed_demo", "--with-demo-logins")


@pytest.mark.parametrize(
    "email", [None, "helper@example.jp", "nushi@example.jp", "staff@example.jp"]
)
def test_no_honorific_doubled_and_no_word_split_on_any_demo_page(demo, email):
    client = Client()
    if email:
        client.force_login(User.objects.get(email=email))
    start = ["/", "/programs/", "/mypage/", "/staff/", "/staff/notifications/", "/accounts/login/",
             "/accounts/signup/", "/accounts/password/reset/"]  # fmt: skip
    pages = walk(client, start)
    assert len([p for p in pages.values() if p]) >= 8
    problems = []
    for url, page in pages.items():
        body = page.partition("<body")[2]
        body = re.sub(r"<script\b.*?</script>", "", body, flags=re.S)
        # Text a person edits keeps its own line breaks (the staff's page-text editor).
        body = re.sub(r"<textarea\b.*?</textarea>", "", body, flags=re.S)
        problems += [(url, "doubled", m.group(0)) for m in DOUBLED.finditer(body)]
        problems += [(url, "split", m.group(0)) for m in SPLIT.finditer(body)]
    assert not problems, "\n".join(map(repr, problems))


def test_a_need_from_a_nushi_named_with_san_is_announced_once_with_it(nushi, organization, staff):
    from portal.services.needs import need_submit

    assert organization.name == "みょうが農家 中田さん"
    need_submit(
        actor=nushi,
        nushi=organization,
        data={"title": "草取り", "description": "畑", "dates_flexible": True},
    )
    body = OutboxMessage.objects.get(kind="need_submitted").body
    assert "みょうが農家 中田さんから新しい困りごと" in body and not DOUBLED.search(body)


def test_the_honorific_is_added_once_and_only_in_japanese():
    assert with_honorific("高橋 ゆうき") == "高橋 ゆうきさん"
    assert with_honorific("みょうが農家 中田さん") == "みょうが農家 中田さん"
    assert with_honorific("山田様") == "山田様"
    with translation.override("en"):
        assert with_honorific("Yuki") == "Yuki"


def test_a_selects_blank_choice_reads_japanese():
    from django.forms import modelform_factory

    from accounts.models import HelperProfile

    html = str(modelform_factory(HelperProfile, fields=["home_prefecture"])())
    assert "選んでください" in html and "Select an option" not in html


def test_the_language_menu_names_each_language_in_itself(client):
    for accept in ("ja", "en"):
        html = client.get("/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
        menu = html.partition('id="language-select"')[2].partition("</select>")[0]
        assert re.findall(r"<option[^>]*>([^<]+)</option>", menu) == ["日本語", "English"]


def test_the_two_factor_pages_say_nidankai_ninsho_as_the_rest_of_the_site(client):
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory())
    mypage = client.get(reverse("mypage")).content.decode()
    assert "二段階認証" in mypage
    html = client.get(reverse("mfa_index")).content.decode()
    assert "<h1" in html and "二段階認証" in html and "多要素認証" not in html
    with translation.override("ja"):
        assert (
            gettext("You cannot deactivate two-factor authentication.")
            == "二段階認証は無効化できません。"
        )
