"""The nushi's exact address is private: the public program page, its map, its JSON-LD, its .ics and the
keyword search show the public meeting place only (a name, the district, a point); the exact address is
for the people can_see_nushi_contact allows (staff, the nushi's members, helpers holding a place).
Hosts see helpers by display name only."""

import importlib
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from accounts.models import District
from portal.models import Application, Program, Session
from portal.services import applications as services
from tests.accounts.factories import HelperProfileFactory, UserFactory
from tests.portal.factories import NeedFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
HOME = "岐阜県飛騨市古川町殿町9-87"
HOME_PART = "殿町9-87"

PROGRAM = {
    "title": "みょうが畑づくり体験",
    "summary": "畑をいちから作ります",
    "story": "草を刈り、畝を立てます。",
    "category": "farming",
    "relationship_type": "direct",
    "tags": "農業",
    "points_per_participant": "500",
    "meeting_place": "古川町公民館",
    "meeting_postal_code": "509-4224",
    "latitude": "36.238100",
    "longitude": "137.186300",
}


def _json_ld(page: str) -> list[dict]:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert found, "the page has its structured data"
    return json.loads(found.group(1))


def test_a_program_made_from_a_need_shows_the_home_address_nowhere_public(
    client, staff, municipality, organization, nushi
):
    need = NeedFactory(
        municipality=municipality, nushi=organization, created_by=nushi,
        postal_code="509-4224", address=HOME,
    )  # fmt: skip
    client.force_login(staff)
    form_page = client.get(reverse("staff_program_create", args=[need.pk])).content.decode()
    # The form may carry the address into the private field, never into the public place.
    assert re.search(r'name="meeting_place"[^>]*value="[^"]*' + HOME_PART, form_page) is None
    # Staff keep what the form offered: the address in the (private) exact-address field.
    client.post(
        reverse("staff_program_create", args=[need.pk]), {**PROGRAM, "meeting_address": HOME}
    )
    program = Program.objects.get(need=need)
    assert program.meeting_address == HOME  # kept, for those allowed to see it
    Program.objects.filter(pk=program.pk).update(
        status=Program.Status.PUBLISHED, published_at=timezone.now()
    )
    session = SessionFactory(program=program)
    client.logout()

    page = client.get(reverse("program_detail", args=[program.pk])).content.decode()
    assert HOME_PART not in page
    assert "古川町公民館" in page  # the public meeting place is still there
    location = _json_ld(page)[0]["location"]
    assert HOME_PART not in json.dumps(location, ensure_ascii=False)
    assert location["address"]["addressLocality"].startswith("飛騨市")
    ics = client.get(reverse("session_ics", args=[program.pk, session.pk])).content.decode()
    assert "BEGIN:VEVENT" in ics and HOME_PART not in ics and "古川町公民館" in ics
    found = client.get(reverse("program_list"), {"q": HOME_PART}).content.decode()
    assert program.title not in found  # a search by the address does not find whose home it is


def test_without_a_map_point_no_map_link_is_made_from_the_address(client, municipality):
    program = ProgramFactory(municipality=municipality, meeting_address=HOME)
    page = client.get(reverse("program_detail", args=[program.pk])).content.decode()
    assert "google.com/maps" not in page and HOME_PART not in page


@pytest.fixture
def session(municipality, organization):
    program = ProgramFactory(municipality=municipality, nushi=organization, meeting_address=HOME)
    return SessionFactory(program=program, capacity=1)


def test_the_exact_address_is_for_the_accepted_helper_and_the_hosts(
    client, session, helper, other_helper, nushi, staff, other_nushi
):
    accepted = services.application_submit(helper=helper, session_id=session.pk)
    waiting = services.application_submit(helper=other_helper, session_id=session.pk)
    assert (accepted.status, waiting.status) == ("accepted", "waitlisted")

    def sees(user, url) -> bool:
        client.force_login(user)
        response = client.get(url)
        return response.status_code == 200 and HOME_PART in response.content.decode()

    assert sees(helper, reverse("application_detail", args=[accepted.pk]))
    assert not sees(other_helper, reverse("application_detail", args=[waiting.pk]))
    assert sees(nushi, reverse("session_roster", args=[session.pk]))
    assert sees(staff, reverse("session_roster", args=[session.pk]))
    assert not sees(other_nushi, reverse("session_roster", args=[session.pk]))
    client.logout()
    assert (
        HOME_PART
        not in client.get(reverse("program_detail", args=[session.program_id])).content.decode()
    )


def test_the_migration_takes_private_addresses_out_of_public_fields(municipality, organization):
    migration = importlib.import_module("portal.migrations.0007_program_public_meeting_place")
    district = District.objects.create(municipality=municipality, name="古川町")
    need = NeedFactory(municipality=municipality, nushi=organization, address=HOME)
    point = {"latitude": Decimal("36.238100"), "longitude": Decimal("137.186300")}
    at_home = ProgramFactory(
        municipality=municipality, nushi=organization, need=need, district=district,
        meeting_place=f"〒509-4224 {HOME}", meeting_address=HOME, **point,
    )  # fmt: skip
    at_nushi = ProgramFactory(
        municipality=municipality, nushi=organization, meeting_place="中田さんの畑",
        meeting_address=organization.address, **point,
    )  # fmt: skip
    at_hall = ProgramFactory(
        municipality=municipality, nushi=organization, need=need, meeting_place="古川町公民館",
        meeting_address="岐阜県飛騨市古川町若宮2-1-60", **point,
    )  # fmt: skip

    migration.hide_private_addresses(apps, None)

    at_home.refresh_from_db()
    assert (at_home.meeting_place, at_home.latitude, at_home.longitude) == ("古川町", None, None)
    assert at_home.meeting_address == HOME  # still there, for those allowed to see it
    at_nushi.refresh_from_db()
    assert (at_nushi.meeting_place, at_nushi.latitude) == ("中田さんの畑", None)
    at_hall.refresh_from_db()
    assert (at_hall.meeting_place, at_hall.latitude) == ("古川町公民館", point["latitude"])


def test_hosts_see_helpers_by_display_name_only(client, municipality, organization, nushi):
    program = ProgramFactory(municipality=municipality, nushi=organization)
    start = timezone.now() - timedelta(hours=1)
    session = SessionFactory(
        program=program, starts_at=start, apply_deadline=start - timedelta(days=1), places_taken=2
    )
    named = HelperProfileFactory(display_name="ゆうき").user
    unnamed = UserFactory()  # no helper profile: nothing but the email and full name to show
    for user in (named, unnamed):
        Application.objects.create(session=session, helper=user, status="accepted")
    client.force_login(nushi)
    page = client.get(reverse("session_roster", args=[session.pk])).content.decode()
    assert "出欠の一括登録" in page  # the attendance form, labelled per helper, is on the page
    assert page.count("ゆうき") >= 2  # in the list and in the attendance form
    for user in (named, unnamed):
        assert user.email not in page and user.name not in page
    assert Session.objects.get(pk=session.pk).places_taken == 2
