"""Every page a role needs is reachable by a link from where that role lands, as a newcomer finds it
(walking every role in Chromium found pages only a typed address reached)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Session
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db


def links(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_a_helper_finds_their_wallet_on_my_page(client, helper):
    client.force_login(helper)
    assert f'href="{reverse("points_wallet")}"' in links(client.get(reverse("mypage")))


def test_the_staff_dashboard_leads_to_reports_points_and_pages(client, staff):
    client.force_login(staff)
    page = links(client.get(reverse("staff_dashboard")))
    for name in ("staff_monthly_reports", "points_ledger", "points_redeem", "staff_pages"):
        assert f'href="{reverse(name)}"' in page, name


def test_the_staff_program_page_opens_every_roster_a_past_one_too(
    client, staff, municipality, organization
):
    program = ProgramFactory(municipality=municipality, nushi=organization)
    ahead = SessionFactory(program=program)
    starts = timezone.now() - timedelta(days=3)
    past = SessionFactory(
        program=program, starts_at=starts, ends_at=starts + timedelta(hours=3),
        apply_deadline=starts - timedelta(days=1), status=Session.Status.CLOSED,
    )  # fmt: skip
    client.force_login(staff)
    page = links(client.get(reverse("staff_program_detail", args=[program.pk])))
    for session in (ahead, past):
        assert f'href="{reverse("session_roster", args=[session.pk])}"' in page
    # Only a session still ahead can be changed.
    assert reverse("staff_session_edit", args=[ahead.pk]) in page
    assert reverse("staff_session_edit", args=[past.pk]) not in page
