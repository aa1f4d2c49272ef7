"""A person's preferences: the channel (LINE offered only once linked) and the topics they switched off.
An opted-out topic is not written, and a message written before the opt-out is skipped at send time.
Transactional messages always go out."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from notifications import delivery, preferences
from notifications.kinds import Kind, Topic
from notifications.models import OutboxMessage, Preference, TopicOptOut
from notifications.services import notify
from tests.notifications.conftest import link_line

pytestmark = pytest.mark.django_db

PAGE = "notification_preferences"


def news(user, key="news:1") -> OutboxMessage | None:
    with transaction.atomic():
        return notify(
            recipient_id=user.pk,
            kind=Kind.NEWS,
            object_key=key,
            context={"title": "春のお手伝いまつり", "text": "今年も開きます。", "url": ""},
        )


def test_the_page_shows_the_defaults(client, helper):
    client.force_login(helper)
    response = client.get(reverse(PAGE))
    form = response.context["form"]
    assert form["channel"].value() == "email"
    assert sorted(form["topics"].value()) == sorted(Topic.values)  # every topic on
    page = response.content.decode()
    assert 'value="line"' not in page  # not linked: not offered
    assert all(f'value="{topic.value}"' in page for topic in Topic)
    assert not Preference.objects.exists()


def test_the_mypage_links_to_it(client, helper):
    client.force_login(helper)
    assert reverse(PAGE) in client.get(reverse("mypage")).content.decode()
    assert reverse(PAGE) in client.get(reverse("profile_edit")).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse(PAGE))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_saving_switches_topics_off_and_on(client, helper):
    client.force_login(helper)
    response = client.post(reverse(PAGE), {"channel": "email", "topics": [Topic.DIGEST]})
    assert response.status_code == 302
    assert preferences.opted_out_topics(helper.pk) == {Topic.NEW_PROGRAMS, Topic.NEWS}
    client.post(reverse(PAGE), {"channel": "email", "topics": [Topic.DIGEST, Topic.NEWS]})
    assert preferences.opted_out_topics(helper.pk) == {Topic.NEW_PROGRAMS}
    page = client.get(reverse(PAGE)).content.decode()
    assert "保存しました" in page


def test_line_is_offered_and_saved_once_linked(client, helper, settings):
    settings.LINE_CHANNEL_ACCESS_TOKEN = "token"
    link_line(helper)
    client.force_login(helper)
    assert 'value="line"' in client.get(reverse(PAGE)).content.decode()
    client.post(reverse(PAGE), {"channel": "line", "topics": list(Topic.values)})
    assert Preference.objects.get(user=helper).channel == OutboxMessage.Channel.LINE
    assert not TopicOptOut.objects.exists()


def test_line_cannot_be_chosen_without_a_linked_account(client, helper, settings):
    settings.LINE_CHANNEL_ACCESS_TOKEN = "token"
    client.force_login(helper)
    response = client.post(reverse(PAGE), {"channel": "line", "topics": []})
    assert response.status_code == 200 and "line" in response.context["form"].errors["channel"][0]
    assert not Preference.objects.exists() and not TopicOptOut.objects.exists()


def test_an_opted_out_topic_is_not_written(helper):
    preferences.topic_unsubscribe(user_id=helper.pk, topic=Topic.NEWS)
    assert news(helper) is None
    assert not OutboxMessage.objects.exists()


def test_transactional_messages_are_written_whatever_was_switched_off(helper):
    preferences.preferences_update(actor=helper, channel="email", opted_out=Topic.values)
    with transaction.atomic():
        row = notify(recipient_id=helper.pk, kind="need_submitted", object_key="need:1",
                     context={"need_title": "みょうが畑づくり", "nushi_name": "中田", "channel": "電話", "url": ""})  # fmt: skip
    assert row is not None
    assert delivery.deliver(message_id=row.pk) is True


def test_a_message_written_before_the_opt_out_is_skipped_not_sent(helper):
    row = news(helper)
    preferences.topic_unsubscribe(user_id=helper.pk, topic=Topic.NEWS)
    assert delivery.deliver(message_id=row.pk) is False
    assert mail.outbox == []
    row.refresh_from_db()
    assert row.skipped_at is not None and row.sent_at is None
    assert row.state == OutboxMessage.State.SKIPPED
    assert delivery.deliver_due() == 0  # and never tried again
    assert delivery.deliver(message_id=row.pk) is False


def test_a_topic_switched_back_on_is_sent(helper):
    row = news(helper)
    preferences.topic_unsubscribe(user_id=helper.pk, topic=Topic.NEWS)
    preferences.preferences_update(actor=helper, channel="email", opted_out=[])
    assert delivery.deliver(message_id=row.pk) is True
    assert len(mail.outbox) == 1


def test_switching_a_topic_off_twice_keeps_one_row(helper):
    preferences.topic_unsubscribe(user_id=helper.pk, topic=Topic.NEWS)
    preferences.topic_unsubscribe(user_id=helper.pk, topic=Topic.NEWS)
    preferences.preferences_update(actor=helper, channel="email", opted_out=[Topic.NEWS])
    assert TopicOptOut.objects.filter(user=helper, topic=Topic.NEWS).count() == 1


def test_a_skipped_message_stays_skipped_when_the_topic_is_switched_back_on(helper):
    row = news(helper)
    preferences.topic_unsubscribe(user_id=helper.pk, topic=Topic.NEWS)
    assert delivery.deliver(message_id=row.pk) is False
    preferences.preferences_update(actor=helper, channel="email", opted_out=[])
    assert delivery.deliver_due() == 0
    assert delivery.deliver(message_id=row.pk) is False
    assert mail.outbox == []
