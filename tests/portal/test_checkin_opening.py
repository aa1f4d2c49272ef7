"""The 受付 (check-in) button shows when check-in opens (three hours before the start, the rule the
service applies); before that, the pages say from when."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from portal.models import Application
from portal.services import attendance
from portal.services.errors import TooLate
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
STARTS = datetime(2030, 7, 5, 9, 0, tzinfo=TOKYO)


@pytest.fixture
def session(municipality, organization):
    program = ProgramFactory(municipality=municipality, nushi=organization)
    return SessionFactory(
        program=program,
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=3),
        apply_deadline=STARTS - timedelta(days=2),
        places_taken=1,
    )


@pytest.fixture
def accepted(session, helper):
    return ApplicationFactory(
        session=session, helper=helper, status=Application.Status.ACCEPTED, checkin_code="ABCD2345"
    )


def pages(client, user, session) -> dict[str, str]:
    """The nushi's pages with a check-in button or its opening time (signed in at the travelled
    time: a session cookie from today would have expired in 2030)."""
    client.force_login(user)
    shown = {
        name: client.get(reverse(name, args=[session.pk])).content.decode()
        for name in ("session_roster", "session_checkin")
    }
    return {**shown, "mypage": client.get(reverse("mypage")).content.decode()}


def test_ten_days_before_no_button_and_the_pages_say_from_when(client, session, accepted, nushi):
    with time_machine.travel(STARTS - timedelta(days=10), tick=False):
        shown = pages(client, nushi, session)
    checkin_url = reverse("session_checkin", args=[session.pk])
    assert f'href="{checkin_url}"' not in shown["session_roster"]
    assert f'href="{checkin_url}"' not in shown["mypage"]
    assert 'id="checkin-form"' not in shown["session_checkin"]
    for page in shown.values():
        assert "受付は7月5日(金) 06:00から始められます。" in page


def test_the_button_shows_once_check_in_opens(client, session, accepted, nushi):
    with time_machine.travel(STARTS - timedelta(hours=3), tick=False):
        shown = pages(client, nushi, session)
    checkin_url = reverse("session_checkin", args=[session.pk])
    assert f'href="{checkin_url}"' in shown["session_roster"]
    assert f'href="{checkin_url}"' in shown["mypage"]
    assert 'id="checkin-form"' in shown["session_checkin"]
    assert "から始められます" not in shown["session_checkin"]


def test_the_service_refuses_before_the_same_moment_and_says_when(session, accepted, nushi):
    with pytest.raises(TooLate, match="7月5日"):
        attendance.attendance_check_in(
            session_id=session.pk,
            code=accepted.checkin_code,
            actor=nushi,
            now=STARTS - timedelta(hours=3, seconds=1),
        )
    _, created = attendance.attendance_check_in(
        session_id=session.pk,
        code=accepted.checkin_code,
        actor=nushi,
        now=STARTS - timedelta(hours=3),
    )
    assert created


def test_a_closed_session_offers_no_check_in(client, session, accepted, nushi):
    session.status = "closed"
    session.save()
    with time_machine.travel(STARTS + timedelta(days=1), tick=False):
        client.force_login(nushi)
        page = client.get(reverse("session_checkin", args=[session.pk])).content.decode()
    assert 'id="checkin-form"' not in page
    assert "受付はできません" in page


def test_the_helper_is_told_from_when_too(client, session, accepted, helper):
    """The accepted helper's page showed the QR code ten days early without saying when check-in
    opens; it says so until it opens."""
    url = reverse("application_detail", args=[accepted.pk])
    with time_machine.travel(STARTS - timedelta(days=10), tick=False):
        client.force_login(helper)
        assert "受付は7月5日(金) 06:00から始められます。" in client.get(url).content.decode()
    with time_machine.travel(STARTS - timedelta(hours=3), tick=False):
        client.force_login(helper)
        assert "から始められます" not in client.get(url).content.decode()
