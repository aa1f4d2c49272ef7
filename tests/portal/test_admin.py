"""The admin for staff: scoped to their municipality, constant queries on the changelist, and actions
that go through the services."""

import pytest
from django.urls import reverse

from portal.models import Program
from tests.portal.factories import NeedFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_program_changelist_is_scoped_and_uses_constant_queries(
    client, staff, municipality, other_municipality, django_assert_max_num_queries
):
    ours = [
        ProgramFactory(municipality=municipality, nushi__municipality=municipality)
        for _ in range(3)
    ]
    theirs = ProgramFactory(municipality=other_municipality, nushi__municipality=other_municipality)
    for p in ours:
        SessionFactory.create_batch(2, program=p)
    client.force_login(staff)
    url = reverse("admin:portal_program_changelist")
    client.get(url)  # warm the per-user caches
    # Session, user, MFA check, staff memberships, count, page rows (annotated, nushi and district
    # joined), filters' districts, ... a fixed number, whatever the number of programs.
    with django_assert_max_num_queries(12) as few:
        page = client.get(url).content.decode()
    for _ in range(10):
        p = ProgramFactory(municipality=municipality, nushi__municipality=municipality)
        SessionFactory(program=p)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
    assert ours[0].title in page and theirs.title not in page
    assert client.get(reverse("admin:portal_program_change", args=[theirs.pk])).status_code == 302


def test_need_changelist_is_scoped(client, staff, municipality, other_municipality):
    ours = NeedFactory(municipality=municipality, title="古川の困りごと")
    theirs = NeedFactory(municipality=other_municipality, title="郡上の困りごと")
    client.force_login(staff)
    page = client.get(reverse("admin:portal_need_changelist")).content.decode()
    assert ours.title in page and theirs.title not in page


def test_publish_action_goes_through_the_service(client, staff, municipality):
    confirmed = ProgramFactory(
        municipality=municipality,
        status=Program.Status.CONFIRMED,
        published_at=None,
        cover_image="programs/cover.jpg",
    )
    SessionFactory(program=confirmed)
    draft = ProgramFactory(
        municipality=municipality, status=Program.Status.DRAFT, published_at=None
    )
    client.force_login(staff)
    client.post(
        reverse("admin:portal_program_changelist"),
        {"action": "publish", "_selected_action": [confirmed.pk, draft.pk]},
    )
    assert Program.objects.get(pk=confirmed.pk).status == Program.Status.PUBLISHED
    assert Program.objects.get(pk=draft.pk).status == Program.Status.DRAFT  # refused, not forced
    assert Program.objects.get(pk=confirmed.pk).history.first().history_user == staff
