"""A row is never linked to a row of another municipality: a need of 飛騨市 with 郡上市's district, a
program of 飛騨市 from 郡上市's need. Such a program would land in the other town's queue. The services
refuse with a message for the form (accounts.scoping.require_one_municipality), and so do the admin's
forms, for a superuser or a staff member of both towns too."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import District, Organization
from accounts.scoping import municipality_path
from portal.models import ActivityReport, Application, Need, Program, Session
from portal.services import needs as need_services
from portal.services import programs as program_services
from tests.accounts.factories import (
    DistrictFactory,
    OrganizationFactory,
    StaffMembershipFactory,
    UserFactory,
)
from tests.portal.factories import NeedFactory, ProgramFactory

pytestmark = pytest.mark.django_db
MESSAGE = "別の自治体の"
NEED = {"title": "雪かき", "description": "玄関前の雪かきをお願いしたい。"}


@pytest.fixture
def their_district(other_municipality):
    return DistrictFactory(municipality=other_municipality, name="八幡")


@pytest.fixture
def their_need(other_municipality):
    return NeedFactory(municipality=other_municipality)


def test_paths_to_the_municipality_are_found_from_the_foreign_keys():
    assert municipality_path(District) == "municipality"
    assert municipality_path(Need) == "municipality"
    assert municipality_path(Session) == "program__municipality"
    # The required program, not the optional session.
    assert municipality_path(ActivityReport) == "program__municipality"
    assert municipality_path(Application) == "session__program__municipality"
    assert municipality_path(type(UserFactory.build())) is None


def test_a_need_cannot_be_submitted_with_another_towns_district(
    organization, nushi, their_district
):
    with pytest.raises(ValidationError, match=MESSAGE):
        need_services.need_submit(
            actor=nushi, nushi=organization, data={**NEED, "district": their_district}
        )
    assert not Need.objects.exists()


def test_a_need_cannot_be_moved_to_another_towns_district(
    municipality, organization, nushi, their_district
):
    need = need_services.need_submit(actor=nushi, nushi=organization, data=NEED)
    with pytest.raises(ValidationError, match=MESSAGE):
        need_services.need_update(need=need, actor=nushi, data={"district": their_district})
    need.refresh_from_db()
    assert need.district_id is None


def test_a_program_cannot_be_made_from_another_towns_need(organization, staff, their_need):
    with pytest.raises(ValidationError, match=MESSAGE):
        program_services.program_create(
            nushi=organization,
            actor=staff,
            need=their_need,
            data={"title": "x", "category": "farming"},
        )
    assert not Program.objects.exists()


def test_a_need_whose_nushi_is_elsewhere_makes_no_program(municipality, other_municipality, staff):
    # A need linked across towns before these checks existed: its program would belong to the
    # nushi's town while the need stays in this one.
    need = NeedFactory(municipality=municipality, nushi__municipality=other_municipality)
    with pytest.raises(ValidationError, match=MESSAGE):
        program_services.program_create_from_need(
            need=need, actor=staff, data={"title": "x", "category": "farming"}
        )
    need.refresh_from_db()
    assert need.status == Need.Status.SUBMITTED and not Program.objects.exists()


@pytest.mark.parametrize("step", ["create", "update"])
def test_a_program_cannot_have_another_towns_district(
    municipality, organization, staff, their_district, step
):
    data = {"title": "x", "category": "farming", "district": their_district}
    if step == "create":
        with pytest.raises(ValidationError, match=MESSAGE):
            program_services.program_create(nushi=organization, actor=staff, data=data)
        assert not Program.objects.exists()
    else:
        program = ProgramFactory(municipality=municipality, nushi=organization, created_by=staff)
        with pytest.raises(ValidationError, match=MESSAGE):
            program_services.program_update(
                program=program, actor=staff, data={"district": their_district}
            )
        program.refresh_from_db()
        assert program.district_id is None


def test_staff_of_both_towns_cannot_link_them_in_the_admin(
    client, municipality, other_municipality, organization, their_district
):
    both = StaffMembershipFactory(municipality=municipality).user
    StaffMembershipFactory(user=both, municipality=other_municipality)
    both.authenticator_set.create(type="totp", data={"secret": "x"})
    client.force_login(both)
    url = reverse("admin:accounts_organization_change", args=[organization.pk])
    response = client.post(
        url,
        {
            "municipality": municipality.pk,
            "district": their_district.pk,  # 郡上市's, which this staff member may see
            "name": organization.name,
            "kind": organization.kind,
        },
    )
    assert response.status_code == 200 and MESSAGE in response.content.decode()
    assert Organization.objects.get(pk=organization.pk).district_id is None
    # Moving the organisation to 郡上市 with its district is consistent, and allowed.
    response = client.post(
        url,
        {
            "municipality": other_municipality.pk,
            "district": their_district.pk,
            "name": organization.name,
            "kind": organization.kind,
        },
    )
    assert response.status_code == 302
    assert Organization.objects.get(pk=organization.pk).district_id == their_district.pk


def test_superusers_cannot_link_towns_in_the_admin(
    client, municipality, organization, their_district
):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    superuser.authenticator_set.create(type="totp", data={"secret": "x"})
    client.force_login(superuser)
    need = NeedFactory(municipality=municipality, nushi=organization)
    other_org = OrganizationFactory(municipality=their_district.municipality)
    data = {
        "channel": need.channel, "title": need.title, "description": need.description,
        "helpers_wanted": need.helpers_wanted, "nushi": other_org.pk, "district": their_district.pk,
    }  # fmt: skip
    response = client.post(reverse("admin:portal_need_change", args=[need.pk]), data)
    assert response.status_code == 200
    assert response.content.decode().count(MESSAGE) >= 2  # the nushi and the district
    need.refresh_from_db()
    assert (need.nushi_id, need.district_id) == (organization.pk, None)
