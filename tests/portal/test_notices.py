"""The notices as the services send them: each row carries every channel's text in the recipient's
language, the calendar event where the helper holds a place, and the municipality it is about."""

import pytest
from django.utils import timezone

from accounts.models import User
from notifications.models import OutboxMessage
from portal.models import Need
from portal.services import applications as services
from portal.services.needs import need_submit
from portal.services.session_changes import session_cancel
from tests.portal.apply_helpers import make_helpers

pytestmark = pytest.mark.django_db


def test_an_acceptance_carries_every_channel_in_the_helpers_language(session):
    (helper,) = make_helpers(1)
    User.objects.filter(pk=helper.pk).update(language="en")
    application = services.application_submit(helper=helper, session_id=session.pk)
    row = OutboxMessage.objects.get(recipient=helper, kind="application_accepted")
    start = timezone.localtime(session.starts_at)
    assert row.object_key == f"application:{application.pk}"
    assert row.municipality_id == session.program.municipality_id
    assert row.subject == "Your place is confirmed"
    assert row.line_text.startswith("Your place is confirmed\n" + session.program.title)
    assert f"{start:%a} {start.day} {start:%b}," in row.line_text
    assert f"/applications/{application.pk}/" in row.line_text
    assert 'lang="en"' in row.html_body and "See your place" in row.html_body
    assert "BEGIN:VCALENDAR" in row.ics and f"application-{application.pk}@otagaisama" in row.ics


def test_a_waitlisted_helper_gets_no_calendar_event(session):
    session.capacity = 1
    session.save()
    first, second = make_helpers(2)
    services.application_submit(helper=first, session_id=session.pk)
    services.application_submit(helper=second, session_id=session.pk)
    row = OutboxMessage.objects.get(recipient=second, kind="application_waitlisted")
    assert row.subject == "キャンセル待ちで受け付けました" and row.ics == ""


def test_staff_read_how_a_need_arrived_in_their_own_language(nushi, organization, staff):
    User.objects.filter(pk=staff.pk).update(language="en")
    need = need_submit(
        actor=nushi,
        nushi=organization,
        data={"title": "草取り", "description": "畑", "dates_flexible": True},
        channel=Need.Channel.PHONE,
    )
    row = OutboxMessage.objects.get(recipient=staff, kind="need_submitted")
    assert row.object_key == f"need:{need.pk}"
    assert f"from {organization.name} (via Phone)." in row.body


def test_a_cancelled_session_tells_helpers_and_hosts_apart(session, staff, nushi):
    (helper,) = make_helpers(1)
    application = services.application_submit(helper=helper, session_id=session.pk)
    session_cancel(session_id=session.pk, actor=staff, reason="大雪のため")
    to_helper = OutboxMessage.objects.get(recipient=helper, kind="session_cancelled")
    to_nushi = OutboxMessage.objects.get(recipient=nushi, kind="session_cancelled")
    assert to_helper.object_key == f"application:{application.pk}"
    assert to_helper.body.startswith("申し訳ありません。次の日程は中止になりました。")
    assert "STATUS:CANCELLED" in to_helper.ics
    assert to_nushi.object_key == f"session:{session.pk}"
    assert to_nushi.body.startswith("この日程を中止しました。\n大雪のため") and to_nushi.ics == ""
