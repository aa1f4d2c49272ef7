"""Invitation candidates and the one-click invitation: who may see and send them, and the limits that
keep helpers from being spammed."""

import pytest
from django.urls import reverse

from notifications.kinds import Kind
from notifications.models import OutboxMessage, TopicOptOut
from portal.models import Session
from portal.services.errors import NotAllowed
from portal.services.matching import NotInvitable, invitation_send
from tests.accounts.factories import HelperProfileFactory
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(municipality, organization):
    return SessionFactory(program=ProgramFactory(municipality=municipality, nushi=organization))


def invitations(user) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient=user, kind=Kind.SESSION_INVITATION))


def test_staff_see_ranked_candidates_with_reasons_and_invite_one(client, staff, session, helper):
    newcomer_from_gifu = HelperProfileFactory(
        display_name="あおい", home_prefecture="岐阜県", home_municipality="高山市"
    )
    client.force_login(staff)
    page = client.get(reverse("session_candidates", args=[session.pk])).content.decode()
    assert page.index("あおい") < page.index("ゆうき")  # nearer, same interest
    assert "関心：援農・農作業・岐阜県内から" in page and "はじめての方" in page
    response = client.post(
        reverse("session_invite", args=[session.pk]), {"helper": newcomer_from_gifu.user_id}
    )
    assert response.status_code == 302
    [message] = invitations(newcomer_from_gifu.user)
    assert message.object_key == f"session:{session.pk}"
    assert "飛騨市の事務局から、お手伝いのお誘いが届きました。" in message.body
    assert "おすすめの理由: 興味のある「援農・農作業」" in message.body
    # The list now says so, and a second click sends nothing.
    page = client.get(reverse("session_candidates", args=[session.pk])).content.decode()
    assert "お誘い済み" in page
    client.post(
        reverse("session_invite", args=[session.pk]), {"helper": newcomer_from_gifu.user_id}
    )
    assert len(invitations(newcomer_from_gifu.user)) == 1


def test_the_nushi_invites_in_their_own_name(nushi, session, helper):
    invitation_send(session_id=session.pk, helper_id=helper.pk, actor=nushi)
    assert "みょうが農家 中田さんから" in invitations(helper)[0].body


def test_applicants_are_not_candidates(client, staff, session, helper):
    ApplicationFactory(session=session, helper=helper)
    client.force_login(staff)
    page = client.get(reverse("session_candidates", args=[session.pk])).content.decode()
    assert "ゆうき" not in page


def test_an_opted_out_helper_is_not_invited(staff, session, helper):
    TopicOptOut.objects.create(user=helper, topic="new_programs")
    with pytest.raises(NotInvitable) as exc:
        invitation_send(session_id=session.pk, helper_id=helper.pk, actor=staff)
    assert exc.value.code == "opted_out"
    assert invitations(helper) == []


def test_the_weekly_budget(staff, municipality, organization, helper, settings):
    settings.MATCHING_MESSAGES_PER_WEEK = 2
    program = ProgramFactory(municipality=municipality, nushi=organization)
    sessions = SessionFactory.create_batch(3, program=program)
    for s in sessions[:2]:
        invitation_send(session_id=s.pk, helper_id=helper.pk, actor=staff)
    with pytest.raises(NotInvitable) as exc:
        invitation_send(session_id=sessions[2].pk, helper_id=helper.pk, actor=staff)
    assert exc.value.code == "budget"
    assert len(invitations(helper)) == 2


def test_a_closed_session_invites_nobody(staff, session, helper):
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    with pytest.raises(NotInvitable):
        invitation_send(session_id=session.pk, helper_id=helper.pk, actor=staff)


@pytest.mark.parametrize(
    "who", ["other_municipality_staff", "other_nushi", "helper", "other_helper"]
)
def test_only_the_hosts_see_and_invite(request, client, session, helper, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(reverse("session_candidates", args=[session.pk])).status_code == 404
    assert (
        client.post(reverse("session_invite", args=[session.pk]), {"helper": helper.pk}).status_code
        == 404
    )
    with pytest.raises(NotAllowed):
        invitation_send(session_id=session.pk, helper_id=helper.pk, actor=user)
    assert invitations(helper) == []


def test_the_nushi_sees_the_candidates(client, nushi, session, helper):
    client.force_login(nushi)
    assert client.get(reverse("session_candidates", args=[session.pk])).status_code == 200


def test_bad_input_is_refused_with_a_message(client, staff, session):
    client.force_login(staff)
    response = client.post(
        reverse("session_invite", args=[session.pk]), {"helper": "x"}, follow=True
    )
    assert "お誘いする方を選んでください。" in response.content.decode()
    assert not OutboxMessage.objects.filter(kind=Kind.SESSION_INVITATION).exists()


def test_candidates_page_query_budget(client, staff, session, django_assert_max_num_queries):
    HelperProfileFactory.create_batch(15)
    client.force_login(staff)
    client.get(reverse("session_candidates", args=[session.pk]))  # builds the text model
    # session/user/mfa, the session, pool, profiles, applications, municipalities, demand,
    # profiles shown, messages this week, invited, opted out.
    with django_assert_max_num_queries(18):
        client.get(reverse("session_candidates", args=[session.pk]))
