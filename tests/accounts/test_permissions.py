"""The permission helpers every view relies on, and the staff MFA requirement."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from accounts.models import Organization
from accounts.permissions import (
    is_member_of,
    is_staff_member,
    is_staff_of,
    scope_to_staff,
    staff_municipality_ids,
)
from tests.accounts.factories import StaffMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_staff_are_scoped_to_their_municipality(staff, municipality, other_municipality):
    assert staff_municipality_ids(staff) == {municipality.pk}
    assert is_staff_of(staff, municipality.pk)
    assert not is_staff_of(staff, other_municipality.pk)


def test_scope_to_staff_filters_rows_of_other_municipalities(
    staff, organization, other_municipality
):
    foreign = Organization.objects.create(municipality=other_municipality, name="よその団体")
    visible = scope_to_staff(Organization.objects.all(), staff)
    assert organization in visible and foreign not in visible


def test_superuser_sees_every_municipality(municipality, other_municipality):
    root = UserFactory(is_superuser=True, is_staff=True)
    assert staff_municipality_ids(root) == {municipality.pk, other_municipality.pk}


def test_helpers_and_anonymous_are_not_staff(helper):
    assert not is_staff_member(helper)
    assert not is_staff_member(AnonymousUser())
    assert staff_municipality_ids(AnonymousUser()) == set()


def test_membership_decides_who_acts_for_an_organization(nushi, other_nushi, organization):
    assert is_member_of(nushi, organization.pk)
    assert not is_member_of(other_nushi, organization.pk)
    assert not is_member_of(AnonymousUser(), organization.pk)


def test_staff_without_mfa_are_sent_to_set_it_up(client, municipality):
    user = StaffMembershipFactory(municipality=municipality).user
    client.force_login(user)
    response = client.get(reverse("mypage"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_with_mfa_and_helpers_pass(client, staff, helper):
    client.force_login(staff)
    assert client.get(reverse("mypage")).status_code == 200
    client.force_login(helper)
    assert client.get(reverse("mypage")).status_code == 200


def test_staff_only_see_their_municipality_in_the_admin(
    client, staff, organization, other_municipality
):
    Organization.objects.create(municipality=other_municipality, name="郡上の団体")
    client.force_login(staff)
    staff.user_permissions.add(
        *__import__(
            "django.contrib.auth.models", fromlist=["Permission"]
        ).Permission.objects.filter(codename__in=["view_organization", "change_organization"])
    )
    response = client.get(reverse("admin:accounts_organization_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert organization.name in body and "郡上の団体" not in body
    foreign = Organization.objects.get(name="郡上の団体")
    assert (
        client.get(reverse("admin:accounts_organization_change", args=[foreign.pk])).status_code
        == 302
    )
