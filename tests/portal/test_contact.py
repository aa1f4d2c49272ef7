"""The contact form: one outbox row per staff member of the chosen municipality (nobody else's), the
whole message in plain text; a receipt to a signed-in sender; bad input explained and kept; a rate limit."""

import pytest
from django.urls import reverse

from notifications.models import OutboxMessage
from tests.accounts.factories import StaffMembershipFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "山田 花子",
    "email": "hanako@example.jp",
    "topic": "asking",
    "message": "家の前の雪かきを\n手伝ってほしいです。",
}


@pytest.fixture
def two_towns(municipality, other_municipality, staff, other_municipality_staff):
    second = StaffMembershipFactory(municipality=municipality).user
    return {"hida": [staff, second], "gujo": [other_municipality_staff]}


def test_it_tells_exactly_the_chosen_municipalitys_staff(client, municipality, two_towns):
    response = client.post(reverse("contact"), {**GOOD, "municipality": municipality.pk})
    assert response["Location"] == reverse("contact_sent", args=["hida"])
    rows = OutboxMessage.objects.filter(kind="contact_received")
    assert {row.recipient for row in rows} == set(two_towns["hida"])
    assert {row.municipality_id for row in rows} == {municipality.pk}
    body = rows[0].body
    for typed in ("山田 花子", "hanako@example.jp", "家の前の雪かきを\n手伝ってほしいです。",
                  "困りごとの相談（手伝ってほしい）"):  # fmt: skip
        assert typed in body
    assert rows[0].html_body == ""  # plain text only: it reads whole behind an LGWAN gateway
    # An anonymous sender gets no email (a public form must not mail any address typed into it).
    assert not OutboxMessage.objects.filter(kind="contact_receipt").exists()


def test_a_municipalitys_own_contact_page_does_not_ask_which(client, other_municipality, two_towns):
    url = reverse("contact_municipality", args=["gujo"])
    assert 'name="municipality"' not in client.get(url).content.decode()
    client.post(url, GOOD)
    recipients = set(
        OutboxMessage.objects.filter(kind="contact_received").values_list("recipient", flat=True)
    )
    assert recipients == {two_towns["gujo"][0].pk}


def test_a_signed_in_sender_gets_a_receipt(client, municipality, staff, helper):
    client.force_login(helper)
    form = client.get(reverse("contact")).content.decode()
    assert helper.email in form  # filled in from the account
    client.post(reverse("contact"), {**GOOD, "municipality": municipality.pk})
    receipt = OutboxMessage.objects.get(kind="contact_receipt")
    assert receipt.recipient == helper and "雪かき" in receipt.body
    sent = client.get(reverse("contact_sent", args=["hida"])).content.decode()
    assert "受付のお知らせ" in sent


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "not-an-email"}, "有効なメールアドレス"),
        ({"name": ""}, "このフィールドは必須です"),
        ({"topic": "bogus"}, "正しく選択してください"),
        ({"municipality": ""}, "このフィールドは必須です"),
        ({"message": "あ" * 2001}, "2000 文字以下"),
    ],
)
def test_bad_input_is_explained_and_kept(
    client, municipality, other_municipality, staff, changes, message
):
    data = {**GOOD, "municipality": municipality.pk, **changes}
    response = client.post(reverse("contact"), data)
    page = response.content.decode()
    assert response.status_code == 400 and message in page
    assert "山田 花子" in page or changes.get("name") == ""
    assert "家の前の雪かきを" in page or "message" in changes
    assert not OutboxMessage.objects.exists()


def test_it_is_rate_limited_and_keeps_the_input(client, municipality, staff):
    for _ in range(5):
        assert client.post(reverse("contact"), GOOD).status_code == 302
    response = client.post(reverse("contact"), {**GOOD, "message": "六通目の相談"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "しばらく待ってから" in page and "六通目の相談" in page
    assert OutboxMessage.objects.filter(kind="contact_received").count() == 5


def test_sent_page_of_an_unknown_municipality_is_404(client):
    assert client.get(reverse("contact_sent", args=["nowhere"])).status_code == 404
