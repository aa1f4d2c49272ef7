"""Bulk decisions on a selection session's roster (「選んだ人を採用」「残りをお断り」) and the allocation
proposal's confirm: both go through a confirmation page that names who is accepted, who is declined
and what each is told; a decline needs the reason they receive; bad input changes nothing; only the
session's hosts (its nushi, its municipality's staff) may decide."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from portal.models import Application, Session
from portal.services.decisions import applications_decide
from portal.services.errors import NotAllowed
from tests.accounts.factories import HelperProfileFactory
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


@pytest.fixture
def selection(municipality, organization):
    program = ProgramFactory(municipality=municipality, nushi=organization, title="楮の皮はぎ")
    session = SessionFactory(
        program=program, capacity=2, acceptance_mode=Session.AcceptanceMode.SELECTION
    )
    applicants = [
        ApplicationFactory(session=session, helper=HelperProfileFactory(display_name=name).user)
        for name in ("あおい", "いつき", "うた")
    ]
    return session, applicants


def decisions_url(session, accept=(), action="accept") -> str:
    query = "&".join([*(f"accept={a.pk}" for a in accept), f"action={action}"])
    return reverse("session_decisions", args=[session.pk]) + "?" + query


def statuses(applicants) -> list[str]:
    return [Application.objects.get(pk=a.pk).status for a in applicants]


def test_the_roster_offers_the_bulk_decision(client, nushi, selection):
    session, _applicants = selection
    client.force_login(nushi)
    page = client.get(reverse("session_roster", args=[session.pk])).content.decode()
    assert 'form="bulk-decide"' in page and "選んだ人を採用" in page and "残りをお断り" in page
    assert page.count('data-testid="bulk-choose"') == 3


def test_accepting_the_chosen_says_who_and_what_then_decides(client, nushi, selection):
    session, (a, b, c) = selection
    client.force_login(nushi)
    url = decisions_url(session, accept=[a, b])
    page = client.get(url).content.decode()
    assert "参加確定になる方（2人）" in page and "あおい、いつき" in page
    assert "選考中のまま（お知らせは届きません）" in page and "うた" in page
    assert "お見送りになる方" not in page
    # Not confirmed: refused, nothing changes.
    response = client.post(url, {})
    assert response.status_code == 200 and "チェックを入れてください" in response.content.decode()
    assert statuses([a, b, c]) == [Status.APPLIED] * 3
    response = client.post(url, {"confirm": "on"})
    assert response.url == reverse("session_roster", args=[session.pk])
    assert statuses([a, b, c]) == [Status.ACCEPTED, Status.ACCEPTED, Status.APPLIED]
    assert OutboxMessage.objects.filter(kind="application_accepted").count() == 2


def test_declining_the_rest_needs_the_reason_they_are_told(client, staff, selection):
    session, (a, b, c) = selection
    client.force_login(staff)
    url = decisions_url(session, accept=[a], action="decline_rest")
    page = client.get(url).content.decode()
    assert (
        "参加確定になる方（1人）" in page
        and "お見送りになる方（下の理由が届きます）（2人）" in page
    )
    assert "いつき、うた" in page
    response = client.post(url, {"confirm": "on"})
    assert "理由を入力してください" in response.content.decode()
    assert statuses([a, b, c]) == [Status.APPLIED] * 3
    # The reason typed shows in the declined helpers' message before anything is sent.
    response = client.post(url, {"reason": "今回は経験者を優先しました"})
    assert "今回は経験者を優先しました" in response.content.decode()
    client.post(url, {"reason": "今回は経験者を優先しました", "confirm": "on"})
    assert statuses([a, b, c]) == [Status.ACCEPTED, Status.DECLINED, Status.DECLINED]
    declined = OutboxMessage.objects.filter(kind="application_declined")
    assert declined.count() == 2 and all("経験者を優先" in m.body for m in declined)


def test_a_capacity_refusal_is_reported_and_the_others_decided(client, nushi, selection):
    session, applicants = selection
    ApplicationFactory(session=session, helper=HelperProfileFactory().user, status=Status.APPLIED)
    client.force_login(nushi)
    url = decisions_url(session, accept=applicants)  # three for two places
    response = client.post(url, {"confirm": "on"}, follow=True)
    page = response.content.decode()
    assert "2人を参加確定に、0人をお見送りにしました" in page
    assert Application.objects.filter(status=Status.ACCEPTED).count() == 2


@pytest.mark.parametrize(
    "query",
    ["accept=999999&action=accept", "accept=x&action=accept", "action=accept", "action=bogus", ""],
)
def test_bad_choices_go_back_to_the_roster_and_change_nothing(client, nushi, selection, query):
    session, applicants = selection
    client.force_login(nushi)
    url = reverse("session_decisions", args=[session.pk]) + "?" + query
    for response in (
        client.get(url, follow=True),
        client.post(url, {"confirm": "on"}, follow=True),
    ):
        assert response.redirect_chain[-1][0] == reverse("session_roster", args=[session.pk])
        assert 'class="alert' in response.content.decode() or "選" in response.content.decode()
    assert statuses(applicants) == [Status.APPLIED] * 3
    assert not OutboxMessage.objects.filter(kind__startswith="application_").exists()


def test_after_the_deadline_nothing_is_decided(client, nushi, selection):
    session, applicants = selection
    Session.objects.filter(pk=session.pk).update(apply_deadline=timezone.now() - timedelta(hours=1))
    client.force_login(nushi)
    response = client.post(decisions_url(session, accept=applicants[:1]), {"confirm": "on"})
    assert response.url == reverse("session_roster", args=[session.pk])
    assert statuses(applicants) == [Status.APPLIED] * 3


@pytest.mark.parametrize("who", ["other_municipality_staff", "other_nushi", "helper"])
def test_people_who_do_not_host_the_session_get_404(client, selection, who, request):
    session, applicants = selection
    client.force_login(request.getfixturevalue(who))
    url = decisions_url(session, accept=applicants[:1], action="decline_rest")
    assert client.get(url).status_code == 404
    assert client.post(url, {"confirm": "on", "reason": "x"}).status_code == 404
    assert statuses(applicants) == [Status.APPLIED] * 3


def test_the_service_refuses_someone_who_does_not_host_the_session(
    selection, other_municipality_staff
):
    session, applicants = selection
    with pytest.raises(NotAllowed):
        applications_decide(
            session=session,
            accept_ids=[applicants[0].pk],
            decline_ids=[],
            actor=other_municipality_staff,
        )
    assert statuses(applicants) == [Status.APPLIED] * 3
