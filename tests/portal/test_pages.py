"""The public service's pages: each renders in Japanese and English, with a municipality's own text on
its pages only; staff edit their own municipality's texts (others get 404, helpers 403), with history."""

import pytest
from django.urls import reverse

from accounts.models import PageText
from accounts.pages import paragraphs
from accounts.services import page_text_save

pytestmark = pytest.mark.django_db

KINDS = ["terms", "privacy", "faq"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("language", "title", "text"),
    [
        (
            "ja",
            {"terms": "利用規約", "privacy": "プライバシーポリシー", "faq": "よくある質問"},
            "飛騨市",
        ),
        ("en", {"terms": "Terms of use", "privacy": "Privacy policy", "faq": "FAQ"}, "飛騨市"),
    ],
)
def test_each_page_renders_its_default_text_in_both_languages(
    client, municipality, kind, language, title, text
):
    response = client.get(
        reverse(f"page_{kind}_municipality", args=[municipality.slug]),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<h1 class="mb-2">{title[kind]}</h1>' in page and text in page
    assert ("■" not in page) and "<h2" in page  # headings made of the ■ lines


def test_the_privacy_policy_states_what_the_law_asks_and_who_sees_what(client, municipality):
    page = client.get(reverse("page_privacy")).content.decode()
    for heading in ("利用の目的", "誰に何が見えるか", "第三者への提供", "安全管理のための措置",
                    "開示・訂正・利用停止の請求", "お問い合わせ先"):  # fmt: skip
        assert heading in page
    assert "ヌシ（お手伝いを受ける人）に見えるのは、応募したヒダスケさんの表示名" in page
    english = client.get(reverse("page_privacy"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Purposes of use" in english and "Who sees what" in english


def test_contact_page_renders_in_both_languages(client, municipality):
    assert "お問い合わせフォーム" in client.get(reverse("contact")).content.decode()
    english = client.get(reverse("contact"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Contact form" in english and "Your name" in english


def test_with_one_municipality_the_plain_address_shows_its_page(client, municipality, staff):
    page_text_save(
        municipality=municipality, kind="faq", title="ヒダスケ！のよくある質問",
        body="■雪の日は？\n\n中止です。", material_change=False, actor=staff,
    )  # fmt: skip
    page = client.get(reverse("page_faq")).content.decode()
    assert "ヒダスケ！のよくある質問" in page and "<h2" in page and "中止です。" in page


def test_with_several_the_plain_address_lists_each_municipalitys_page(
    client, municipality, other_municipality
):
    page = client.get(reverse("page_terms")).content.decode()
    assert "このサイトを運営する各自治体" in page
    assert reverse("page_terms_municipality", args=["gujo"]) in page
    assert reverse("page_terms_municipality", args=["hida"]) in page


def test_an_edited_text_shows_on_its_municipality_only(
    client, municipality, other_municipality, staff
):
    page_text_save(
        municipality=municipality, kind="terms", title="飛騨市の利用規約",
        body="飛騨市だけの条文", material_change=False, actor=staff,
    )  # fmt: skip
    own = client.get(reverse("page_terms_municipality", args=["hida"])).content.decode()
    other = client.get(reverse("page_terms_municipality", args=["gujo"])).content.decode()
    assert "飛騨市だけの条文" in own and "飛騨市の利用規約" in own
    assert "飛騨市だけの条文" not in other and "郡上市" in other


def test_a_text_is_escaped_never_html(client, municipality, staff):
    page_text_save(
        municipality=municipality, kind="faq", title="<b>見出し</b>",
        body="<script>alert(1)</script>\n二行目", material_change=False, actor=staff,
    )  # fmt: skip
    page = client.get(reverse("page_faq")).content.decode()
    assert (
        "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;<br>二行目" in page
    )
    assert "&lt;b&gt;見出し&lt;/b&gt;" in page


def test_paragraphs():
    assert paragraphs("■ 見出し\r\n\r\n一行目\n二行目\n\n\n■ これは\n段落") == [
        ("h", "見出し"),
        ("p", "一行目\n二行目"),
        ("p", "■ これは\n段落"),
    ]


def test_an_unknown_municipality_is_404(client):
    assert client.get(reverse("page_terms_municipality", args=["nowhere"])).status_code == 404


# --- staff editing ---------------------------------------------------------------------------------


def edit_url(municipality, kind="terms"):
    return reverse("staff_page_edit", args=[municipality.pk, kind])


def test_staff_edit_their_municipalitys_page_and_history_is_kept(client, municipality, staff):
    client.force_login(staff)
    form = client.get(edit_url(municipality)).content.decode()
    assert "第1条" in form  # the default text, ready to be changed
    for body in ("第一版の本文", "第二版の本文"):
        response = client.post(
            edit_url(municipality), {"title": "利用規約", "body": body, "material_change": "on"}
        )
        assert response.status_code == 302
    text = PageText.objects.get(municipality=municipality, kind="terms")
    assert (text.body, text.version, text.updated_by) == ("第二版の本文", 3, staff)
    history = list(
        text.history.order_by("history_date").values_list("body", "version", "history_user")
    )
    assert history == [("第一版の本文", 2, staff.pk), ("第二版の本文", 3, staff.pk)]
    page = client.get(edit_url(municipality)).content.decode()
    assert "変更の履歴" in page and "第3版" in page
    listing = client.get(reverse("staff_pages")).content.decode()
    assert "独自の文章" in listing and "標準の文章" in listing


def test_bad_input_keeps_what_was_typed(client, municipality, staff):
    client.force_login(staff)
    response = client.post(edit_url(municipality, "faq"), {"title": "", "body": "書きかけの質問"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "このフィールドは必須です" in page and "書きかけの質問" in page
    assert not PageText.objects.exists()


def test_faq_and_contact_have_no_version_to_bump(client, municipality, staff):
    client.force_login(staff)
    page = client.get(edit_url(municipality, "faq")).content.decode()
    assert "重要な変更" not in page
    assert "重要な変更" in client.get(edit_url(municipality, "privacy")).content.decode()


def test_other_municipalitys_staff_get_404(client, municipality, other_municipality_staff):
    client.force_login(other_municipality_staff)
    for method in ("get", "post"):
        response = getattr(client, method)(edit_url(municipality), {"title": "x", "body": "y"})
        assert response.status_code == 404
    assert not PageText.objects.exists()
    listing = client.get(reverse("staff_pages")).content.decode()
    assert "郡上市" in listing and "飛騨市" not in listing


def test_helpers_get_403(client, municipality, helper):
    client.force_login(helper)
    assert client.get(edit_url(municipality)).status_code == 403
    assert client.get(reverse("staff_pages")).status_code == 403


def test_an_unknown_kind_is_404(client, municipality, staff):
    client.force_login(staff)
    assert client.get(edit_url(municipality, "cookies")).status_code == 404


def test_the_footer_links_to_all_four_pages(client):
    page = client.get(reverse("home")).content.decode()
    for name in ("page_terms", "page_privacy", "page_faq", "contact"):
        assert f'href="{reverse(name)}"' in page


def test_staff_find_the_editing_page_in_the_footer(client, staff, helper):
    link = f'href="{reverse("staff_pages")}"'
    client.force_login(helper)
    assert link not in client.get(reverse("home")).content.decode()
    client.force_login(staff)
    assert link in client.get(reverse("home")).content.decode()
