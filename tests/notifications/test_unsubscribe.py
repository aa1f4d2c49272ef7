"""One-click unsubscribe (RFC 8058) for non-transactional emails: the headers, the signed link, a GET
that only asks, a POST that needs neither sign-in nor CSRF token, and clear words for a bad or expired
link."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail, signing
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications import delivery, preferences
from notifications.kinds import Kind, Topic
from notifications.models import TopicOptOut
from notifications.services import notify

pytestmark = pytest.mark.django_db


def send(user, kind=Kind.NEWS, **kw):
    with transaction.atomic():
        row = notify(recipient_id=user.pk, kind=kind, object_key="news:1", **kw)
    assert delivery.deliver(message_id=row.pk) is True
    return mail.outbox[-1]


def send_news(user):
    return send(
        user, context={"title": "春のお手伝いまつり", "text": "今年も開きます。", "url": ""}
    )


def link_of(email) -> str:
    return re.fullmatch(r"<(.+)>", email.extra_headers["List-Unsubscribe"]).group(1)


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_non_transactional_emails_carry_one_click_unsubscribe(helper, settings):
    email = send_news(helper)
    url = link_of(email)
    assert url.startswith(settings.SITE_URL + "/unsubscribe/")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in email.body  # and in the text, for people who read it
    message = email.message()
    assert message["List-Unsubscribe"] == f"<{url}>"


def test_transactional_emails_carry_none(helper):
    email = send(
        helper,
        kind="need_submitted",
        context={
            "need_title": "みょうが畑づくり",
            "nushi_name": "中田",
            "channel": "電話",
            "url": "",
        },
    )
    assert "List-Unsubscribe" not in email.extra_headers
    assert "List-Unsubscribe-Post" not in email.extra_headers
    assert "/unsubscribe/" not in email.body


def test_the_mail_client_one_click_post_unsubscribes_without_sign_in_or_csrf(helper):
    url = link_of(send_news(helper))
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path_of(url), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 302 and response["Location"] == path_of(url)
    assert preferences.opted_out_topics(helper.pk) == {Topic.NEWS}
    # Clicked again (or by a second mail client): still one opt-out.
    assert client.post(path_of(url)).status_code == 302
    assert TopicOptOut.objects.filter(user=helper).count() == 1


def test_a_get_asks_and_changes_nothing(client, helper):
    url = path_of(link_of(send_news(helper)))
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "お互いさまからのお知らせ" in page and 'method="post"' in page
    assert not TopicOptOut.objects.exists()
    response = client.post(url, follow=True)
    assert "配信は停止しています" in response.content.decode()
    assert preferences.opted_out_topics(helper.pk) == {Topic.NEWS}


def test_an_unsubscribed_topic_is_not_sent_again(helper):
    Client().post(path_of(link_of(send_news(helper))))
    with transaction.atomic():
        assert notify(recipient_id=helper.pk, kind=Kind.NEWS, object_key="news:2",
                      context={"title": "次のお知らせ", "text": "…"}) is None  # fmt: skip


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        signing.dumps([1, "news"], salt="another.salt"),  # signed, but for something else
        signing.dumps(["x", "news"], salt=preferences.UNSUBSCRIBE_SALT),
    ],
)
def test_a_bad_link_gets_a_clear_message_and_changes_nothing(client, helper, token):
    for method in (client.get, client.post):
        response = method(reverse("notifications_unsubscribe", args=[token]))
        assert response.status_code == 400
        assert "リンクは正しくありません" in response.content.decode()
    assert not TopicOptOut.objects.exists()


def test_a_tampered_link_is_refused(client, helper, other_helper):
    token = preferences.unsubscribe_token(helper.pk, Topic.NEWS)
    _payload, rest = token.split(":", 1)
    forged = signing.dumps([other_helper.pk, "news"], salt="x").split(":", 1)[0] + ":" + rest
    assert forged != token
    response = client.post(reverse("notifications_unsubscribe", args=[forged]))
    assert response.status_code == 400
    assert not TopicOptOut.objects.exists()


def test_an_unknown_topic_is_refused(client, helper):
    token = signing.dumps([helper.pk, "everything"], salt=preferences.UNSUBSCRIBE_SALT)
    assert client.post(reverse("notifications_unsubscribe", args=[token])).status_code == 400
    assert not TopicOptOut.objects.exists()


def test_an_expired_link_says_so_and_changes_nothing(client, helper):
    token = preferences.unsubscribe_token(helper.pk, Topic.NEWS)
    expired = timezone.now() + preferences.UNSUBSCRIBE_MAX_AGE + timedelta(days=1)
    with time_machine.travel(expired):
        response = client.post(reverse("notifications_unsubscribe", args=[token]))
    assert response.status_code == 400
    assert "有効期限が切れています" in response.content.decode()
    assert not TopicOptOut.objects.exists()


def test_the_link_is_in_the_recipient_language(helper):
    helper.language = "en"
    helper.save(update_fields=["language"])
    email = send_news(helper)
    assert "Stop receiving these messages: http" in email.body
