"""The session's group thread says who reads it (every helper holding a place, the nushi, staff); each
application has a private thread between its helper and the hosts, which no other helper reads. Authors
are shown by display name or role, never by email."""

import pytest
from django.urls import reverse

from notifications.models import OutboxMessage
from portal.models import SessionMessage
from portal.services import applications as services
from tests.portal.apply_helpers import make_helpers

pytestmark = pytest.mark.django_db
SECRET = "持病があるので休憩を多めにとりたいです"


@pytest.fixture
def pair(session):
    """Two helpers accepted for the same session (its capacity is 2)."""
    a, b = make_helpers(2)
    return [services.application_submit(helper=h, session_id=session.pk) for h in (a, b)]


def test_the_group_thread_says_every_participant_reads_it(client, session, pair):
    client.force_login(pair[0].helper)
    detail = client.get(reverse("application_detail", args=[pair[0].pk])).content.decode()
    assert "参加者全員と主催者のメッセージ" in detail
    assert "主催者・事務局とのメッセージ" not in detail
    page = client.get(reverse("session_messages", args=[session.pk])).content.decode()
    assert "参加が確定した全員" in page


def test_a_private_message_reaches_the_hosts_only(client, session, pair, nushi, staff):
    mine, other = pair
    client.force_login(mine.helper)
    assert (
        reverse("application_messages", args=[mine.pk])
        in client.get(reverse("application_detail", args=[mine.pk])).content.decode()
    )
    client.post(reverse("application_messages", args=[mine.pk]), {"body": SECRET})
    message = SessionMessage.objects.get()
    assert (message.application_id, message.session_id) == (mine.pk, session.pk)
    told = set(
        OutboxMessage.objects.filter(kind="application_message").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {nushi.pk, staff.pk}

    for host in (nushi, staff):
        client.force_login(host)
        assert (
            SECRET in client.get(reverse("application_messages", args=[mine.pk])).content.decode()
        )
        roster = client.get(reverse("session_roster", args=[session.pk])).content.decode()
        assert reverse("application_messages", args=[mine.pk]) in roster

    client.force_login(other.helper)
    assert client.get(reverse("application_messages", args=[mine.pk])).status_code == 404
    group = client.get(reverse("session_messages", args=[session.pk])).content.decode()
    assert SECRET not in group
    response = client.post(reverse("application_messages", args=[mine.pk]), {"body": "のぞき"})
    assert response.status_code == 404 and SessionMessage.objects.count() == 1


def test_a_host_reply_reaches_the_helper_named_by_role(client, session, pair, nushi, organization):
    mine, other = pair
    client.force_login(nushi)
    client.post(reverse("application_messages", args=[mine.pk]), {"body": "了解です。"})
    told = OutboxMessage.objects.get(kind="application_message", recipient=mine.helper)
    assert reverse("application_messages", args=[mine.pk]) in told.body
    assert not OutboxMessage.objects.filter(
        recipient=other.helper, kind="application_message"
    ).exists()
    client.force_login(mine.helper)
    page = client.get(reverse("application_messages", args=[mine.pk])).content.decode()
    assert "了解です。" in page and organization.name in page and nushi.email not in page


def test_the_group_thread_names_people_without_their_email(client, session, pair, nushi, staff):
    client.force_login(nushi)
    client.post(reverse("session_messages", args=[session.pk]), {"body": "軍手をお持ちください"})
    client.force_login(staff)
    client.post(reverse("session_messages", args=[session.pk]), {"body": "駐車場は役場です"})
    client.force_login(pair[0].helper)
    client.post(reverse("session_messages", args=[session.pk]), {"body": "よろしくお願いします"})
    client.force_login(pair[1].helper)
    page = client.get(reverse("session_messages", args=[session.pk])).content.decode()
    assert "駐車場は役場です" in page and "事務局" in page
    for person in (nushi, staff, pair[0].helper):
        assert person.email not in page
    for host in (nushi, staff):
        assert host.name not in page
    assert pair[0].helper.helper_profile.display_name in page
