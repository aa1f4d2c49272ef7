"""An online program has no meeting place, no map and no QR check-in; its join link and instructions
are private like the nushi's address: accepted helpers, the nushi's members and staff see them (on
the program page, the application page, the roster, the reminders), others only that it is online."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications import reminders
from notifications.models import OutboxMessage
from portal.forms.programs import ProgramForm
from portal.models import Application
from portal.services import applications as services
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
LINK = "https://meet.example.jp/hida-washi"
HOW = "ミーティングID 123 456 7890、パスコード washi"


@pytest.fixture
def online(municipality, organization):
    program = ProgramFactory(
        municipality=municipality, nushi=organization, is_online=True, online_url=LINK,
        online_instructions=HOW, meeting_place="", meeting_address="",
        latitude="36.238100", longitude="137.186300",
    )  # fmt: skip
    return SessionFactory(program=program)


def _page(client, user, url):
    if user is None:
        client.logout()
    else:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_public_page_shows_no_place_map_or_link(client, online, helper):
    url = reverse("program_detail", args=[online.program_id])
    for user in (None, helper):
        page = _page(client, user, url)
        assert 'data-testid="online-notice"' in page
        assert 'data-testid="static-map"' not in page and "地図アプリで開く" not in page
        assert LINK not in page and HOW not in page


def test_accepted_helpers_and_hosts_see_the_link_and_instructions(
    client, online, helper, other_helper, nushi, staff
):
    ApplicationFactory(session=online, helper=helper, status=Application.Status.ACCEPTED)
    ApplicationFactory(session=online, helper=other_helper, status=Application.Status.APPLIED)
    url = reverse("program_detail", args=[online.program_id])
    for user in (helper, nushi, staff):
        page = _page(client, user, url)
        assert LINK in page and HOW in page, user
    assert LINK not in _page(client, other_helper, url)


def test_the_link_stops_a_week_after_the_session(client, online, helper):
    ApplicationFactory(session=online, helper=helper, status=Application.Status.ATTENDED)
    ended = timezone.now() - timedelta(days=8)
    type(online).objects.filter(pk=online.pk).update(
        starts_at=ended - timedelta(hours=2),
        ends_at=ended,
        apply_deadline=ended - timedelta(days=1),
    )
    assert LINK not in _page(client, helper, reverse("program_detail", args=[online.program_id]))


def test_the_application_page_has_the_link_and_no_qr(client, online, helper):
    application = ApplicationFactory(
        session=online, helper=helper, status=Application.Status.ACCEPTED
    )
    page = _page(client, helper, reverse("application_detail", args=[application.pk]))
    assert LINK in page and HOW in page
    assert "受付用QRコード" not in page and 'data-testid="meeting-address"' not in page
    client.force_login(helper)
    assert client.get(reverse("application_qr", args=[application.pk])).status_code == 404


def test_the_roster_has_the_link_and_no_check_in(client, online, nushi):
    page = _page(client, nushi, reverse("session_roster", args=[online.pk]))
    assert LINK in page and HOW in page
    assert reverse("session_checkin", args=[online.pk]) not in page


def test_the_reminders_carry_the_link_and_instructions(online, helper):
    services.application_submit(helper=helper, session_id=online.pk)
    rows = OutboxMessage.objects.filter(recipient=helper, kind__in=reminders.KINDS)
    assert rows.exists()
    assert all(LINK in r.body and HOW in r.body for r in rows)


def test_an_onsite_program_takes_no_link_or_instructions(municipality):
    data = {
        "title": "草取り", "category": "farming", "relationship_type": "direct",
        "meeting_place": "公民館", "points_per_participant": 0,
        "online_url": LINK, "online_instructions": HOW,
    }  # fmt: skip
    form = ProgramForm(data, municipality_id=municipality.pk)
    assert not form.is_valid()
    message = "「オンライン」にチェックしたプログラムにだけ入力できます。"
    assert form.errors["online_url"] == [message]
    assert form.errors["online_instructions"] == [message]
    assert form.data["online_instructions"] == HOW  # kept for the page shown again
    assert ProgramForm({**data, "is_online": "on"}, municipality_id=municipality.pk).is_valid()
