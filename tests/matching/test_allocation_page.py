"""The allocation proposal of a program's selection sessions: staff read why each person is proposed,
adjust, check on the confirmation page who is accepted and what they are told, and confirm through
the decision service."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Application, Session
from tests.accounts.factories import HelperProfileFactory
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def selection(municipality, organization):
    program = ProgramFactory(municipality=municipality, nushi=organization)
    session = SessionFactory(
        program=program, capacity=2, acceptance_mode=Session.AcceptanceMode.SELECTION
    )
    past = SessionFactory(program=program, starts_at=timezone.now() - timedelta(days=40))
    regulars = [HelperProfileFactory(display_name=f"常連{i}").user for i in range(3)]
    for user in regulars:
        ApplicationFactory(session=past, helper=user, status=Application.Status.ATTENDED)
    newcomer = HelperProfileFactory(display_name="はじめさん", home_prefecture="沖縄県").user
    applications = [ApplicationFactory(session=session, helper=u) for u in [*regulars, newcomer]]
    return program, session, applications


def test_staff_see_the_proposal_with_reasons_and_confirm_it(client, staff, selection):
    program, session, applications = selection
    client.force_login(staff)
    page = client.get(reverse("program_allocation", args=[program.pk])).content.decode()
    proposed = page[page.index('data-testid="proposed"') : page.index("ほかの応募者")]
    # Two places: one kept for the first-timer (though farther away), one for the best regular.
    assert "はじめさん" in proposed and "はじめての方の枠" in proposed
    assert "みょうが農家 中田さんのお手伝い経験あり" in proposed
    assert proposed.count('name="accept"') == 2
    # Staff adjust: they keep the newcomer and pick another regular than proposed.
    chosen = [applications[3].pk, applications[2].pk]
    assert (
        'method="get"' in page and reverse("program_allocation_confirm", args=[program.pk]) in page
    )
    confirm = (
        reverse("program_allocation_confirm", args=[program.pk])
        + "?"
        + urlencode({"accept": chosen}, doseq=True)
    )
    # The confirmation page: who is accepted and what they are told, who stays under selection.
    page = client.get(confirm).content.decode()
    assert "参加確定になる方（2人）" in page and "常連2、はじめさん" in page
    assert "選考中のまま（お知らせは届きません）" in page
    assert not Application.objects.filter(status=Application.Status.ACCEPTED).exists()
    # Not confirmed: refused, nothing accepted.
    assert client.post(confirm, {}).status_code == 200
    assert not Application.objects.filter(status=Application.Status.ACCEPTED).exists()
    response = client.post(confirm, {"confirm": "on"}, follow=True)
    assert "2人を参加確定にしました。" in response.content.decode()
    accepted = set(
        Application.objects.filter(status=Application.Status.ACCEPTED).values_list("pk", flat=True)
    )
    assert accepted == set(chosen)
    session.refresh_from_db()
    assert session.places_taken == 2


def test_the_service_refuses_more_than_capacity(client, staff, selection):
    program, session, applications = selection
    client.force_login(staff)
    confirm = (
        reverse("program_allocation_confirm", args=[program.pk])
        + "?"
        + urlencode({"accept": [a.pk for a in applications]}, doseq=True)
    )
    response = client.post(confirm, {"confirm": "on"}, follow=True)
    assert "2人を参加確定にしました。" in response.content.decode()
    session.refresh_from_db()
    assert session.places_taken == 2  # the other two were refused by the decision service


def test_bad_input_loses_nothing(client, staff, selection):
    program, _session, _applications = selection
    client.force_login(staff)
    confirm = reverse("program_allocation_confirm", args=[program.pk]) + "?accept=x"
    response = client.post(confirm, {"confirm": "on"}, follow=True)
    assert "選び直してください" in response.content.decode()
    # The proposal page itself decides nothing: a POST to it is refused.
    assert client.post(reverse("program_allocation", args=[program.pk]), {}).status_code == 405
    assert not Application.objects.filter(status=Application.Status.ACCEPTED).exists()
