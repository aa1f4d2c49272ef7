"""Every form that creates something carries the one-time token of the need forms
(portal.services.form_tokens): the same form sent twice (back and send, a double tap) creates one
row and lands where the first sending led, with a word; a fresh form creates a second one."""

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from portal.models import (
    ActivityReport,
    Application,
    Program,
    ProgramPhoto,
    Session,
    SessionMessage,
    ThankYou,
)
from portal.services.errors import AlreadySubmitted
from portal.services.sessions import session_create
from tests.portal.apply_helpers import make_helpers
from tests.portal.factories import NeedFactory, ProgramFactory, SessionFactory
from tests.portal.images import jpeg_with_gps
from tests.portal.test_contact import GOOD as CONTACT
from tests.portal.test_staff_views import PROGRAM, session_data

pytestmark = pytest.mark.django_db
ALREADY = "すでに受け付けています"


def token_of(client, url: str) -> str:
    page = client.get(url).content.decode()
    match = re.search(r'name="form_token" value="([0-9a-f-]+)"', page)
    assert match, f"the form at {url} carries its one-time token"
    return match.group(1)


def send_twice(client, url: str, data) -> tuple:
    """The same form, sent twice; data may be a callable (files are read once per sending)."""
    first = client.post(url, data() if callable(data) else data)
    again = client.post(url, data() if callable(data) else data)
    assert first.status_code == 302, first.content.decode()[:2000]
    assert again.status_code == 302 and again.url == first.url
    assert ALREADY in client.get(again.url).content.decode()
    return first, again


@pytest.fixture
def program(municipality, organization):
    return ProgramFactory(municipality=municipality, nushi=organization)


@pytest.fixture
def past_session(program):
    start = timezone.now() - timedelta(days=1)
    return SessionFactory(
        program=program, starts_at=start, apply_deadline=start - timedelta(days=2)
    )


def test_a_program_drafted_twice_from_a_need_is_one_program(client, staff, organization, nushi):
    need = NeedFactory(municipality=organization.municipality, nushi=organization, created_by=nushi)
    client.force_login(staff)
    url = reverse("staff_program_create", args=[need.pk])
    first, _ = send_twice(client, url, {**PROGRAM, "form_token": token_of(client, url)})
    program = Program.objects.get()
    assert first.url == reverse("staff_program_detail", args=[program.pk])


def test_a_session_added_twice_is_one_session(client, staff, program):
    client.force_login(staff)
    url = reverse("staff_session_create", args=[program.pk])
    before = Session.objects.count()
    token = token_of(client, url)
    send_twice(client, url, {**session_data(), "form_token": token})
    assert Session.objects.count() == before + 1
    # A fresh form adds a second one.
    client.post(url, {**session_data(), "form_token": token_of(client, url)})
    assert Session.objects.count() == before + 2


def test_the_session_service_refuses_a_claimed_token_and_names_the_session(staff, program):
    data = {
        "starts_at": timezone.now() + timedelta(days=9),
        "ends_at": timezone.now() + timedelta(days=9, hours=2),
        "capacity": 4,
        "apply_deadline": timezone.now() + timedelta(days=7),
    }
    token = uuid.uuid4()
    made = session_create(program=program, actor=staff, data=data, form_token=token)
    with pytest.raises(AlreadySubmitted) as refused:
        session_create(program=program, actor=staff, data=data, form_token=token)
    assert refused.value.object_id == made.pk


def test_a_photo_added_twice_is_one_photo(client, staff, program):
    client.force_login(staff)
    token = token_of(client, reverse("staff_program_detail", args=[program.pk]))
    before = ProgramPhoto.objects.count()
    send_twice(
        client,
        reverse("staff_photo_add", args=[program.pk]),
        lambda: {"image": jpeg_with_gps("a.jpg"), "caption": "畑", "form_token": token},
    )
    assert ProgramPhoto.objects.count() == before + 1


def test_an_activity_report_written_twice_is_one_report(client, staff, program, past_session):
    client.force_login(staff)
    url = reverse("staff_report_create", args=[program.pk])
    token = token_of(client, url)
    first, _ = send_twice(
        client,
        url,
        {"session": past_session.pk, "title": "畝", "body": "6人で", "form_token": token},
    )
    assert first.url == reverse("staff_report_detail", args=[ActivityReport.objects.get().pk])


def test_a_draft_from_the_session_made_twice_is_one_draft(client, staff, past_session):
    client.force_login(staff)
    token = token_of(client, reverse("session_roster", args=[past_session.pk]))
    url = reverse("session_report_draft", args=[past_session.pk])
    client.post(url, {"form_token": token})
    again = client.post(url, {"form_token": token})
    report = ActivityReport.objects.get()
    assert again.url == reverse("staff_report_detail", args=[report.pk])


@pytest.fixture
def accepted(past_session):
    (helper,) = make_helpers(1)
    return Application.objects.create(session=past_session, helper=helper, status="attended")


def test_a_thread_message_sent_twice_is_one_message_told_once(client, nushi, accepted):
    client.force_login(nushi)
    url = reverse("session_messages", args=[accepted.session_id])
    send_twice(client, url, {"body": "駐車場は公民館です", "form_token": token_of(client, url)})
    assert SessionMessage.objects.count() == 1
    assert OutboxMessage.objects.filter(kind="session_message").count() == 1


def test_a_private_message_sent_twice_is_one_message(client, nushi, accepted):
    client.force_login(accepted.helper)
    url = reverse("application_messages", args=[accepted.pk])
    send_twice(client, url, {"body": "遅れます", "form_token": token_of(client, url)})
    assert SessionMessage.objects.count() == 1


def test_a_thank_you_sent_twice_is_one_thank_you(client, nushi, accepted):
    client.force_login(nushi)
    url = reverse("session_thanks", args=[accepted.session_id])
    token = token_of(client, url)
    send_twice(
        client,
        url,
        lambda: {"body": "ありがとう", "photos": [jpeg_with_gps("f.jpg")], "form_token": token},
    )
    assert ThankYou.objects.count() == 1
    assert OutboxMessage.objects.filter(kind="thank_you").count() == 1


def test_a_contact_sent_twice_by_a_visitor_tells_staff_once(client, municipality, staff):
    url = reverse("contact")
    data = {**CONTACT, "municipality": municipality.pk, "form_token": token_of(client, url)}
    first, _ = send_twice(client, url, data)
    assert first.url == reverse("contact_sent", args=[municipality.slug])
    assert OutboxMessage.objects.filter(kind="contact_received").count() == 1


def test_a_contact_sent_twice_signed_in_tells_staff_once(client, municipality, staff, helper):
    client.force_login(helper)
    url = reverse("contact")
    data = {**CONTACT, "municipality": municipality.pk, "form_token": token_of(client, url)}
    send_twice(client, url, data)
    assert OutboxMessage.objects.filter(kind="contact_received").count() == 1
    assert OutboxMessage.objects.filter(kind="contact_receipt").count() == 1


def test_a_visitors_token_replayed_by_someone_signed_in_tells_nothing_twice(
    client, municipality, staff, helper
):
    """A token claimed by someone else creates nothing and lands nowhere: the form says so."""
    url = reverse("contact")
    data = {**CONTACT, "municipality": municipality.pk, "form_token": token_of(client, url)}
    client.post(url, data)
    client.force_login(helper)
    response = client.post(url, data)
    assert response.status_code == 400 and ALREADY in response.content.decode()
    assert OutboxMessage.objects.filter(kind="contact_received").count() == 1
