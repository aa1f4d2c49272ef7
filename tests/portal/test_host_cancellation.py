"""Who may take an accepted helper's place away: the helper (their own cancellation, which alone can be
"late"), or staff with a reason the helper is told. The nushi declines applicants (with a reason) but
cannot cancel an accepted helper, neither through the page nor the service."""

from datetime import timedelta

import pytest
from django.urls import reverse

from notifications.models import OutboxMessage
from portal.models import Application, Session
from portal.services import applications as services
from portal.services.errors import InvalidTransition, NotAllowed
from tests.portal.apply_helpers import make_helpers

pytestmark = pytest.mark.django_db
Status = Application.Status


@pytest.fixture
def accepted(session):
    (helper,) = make_helpers(1)
    return services.application_submit(helper=helper, session_id=session.pk)


def _late(session):
    return session.starts_at - timedelta(hours=10)


def test_the_nushi_cannot_cancel_an_accepted_helper_through_the_page(
    client, session, accepted, nushi
):
    client.force_login(nushi)
    response = client.post(
        reverse("application_decide", args=[accepted.pk]), {"decision": "cancel", "reason": "都合"}
    )
    assert response.status_code == 403
    application = Application.objects.get(pk=accepted.pk)
    assert (application.status, application.late_cancellation) == (Status.ACCEPTED, False)
    assert Session.objects.get(pk=session.pk).places_taken == 1


def test_the_nushi_cannot_cancel_an_accepted_helper_through_the_service(session, accepted, nushi):
    with pytest.raises(NotAllowed):
        services.application_cancel(application_id=accepted.pk, actor=nushi, note="都合")
    assert Application.objects.get(pk=accepted.pk).status == Status.ACCEPTED
    assert Session.objects.get(pk=session.pk).places_taken == 1


def test_staff_cancel_with_a_reason_the_helper_is_told_and_it_is_never_late(
    session, accepted, staff
):
    with pytest.raises(InvalidTransition):
        services.application_cancel(application_id=accepted.pk, actor=staff, now=_late(session))
    assert Application.objects.get(pk=accepted.pk).status == Status.ACCEPTED

    services.application_cancel(
        application_id=accepted.pk,
        actor=staff,
        note="雨天のため人数を減らします",
        now=_late(session),
    )
    application = Application.objects.get(pk=accepted.pk)
    assert (application.status, application.late_cancellation) == (Status.CANCELLED, False)
    assert not OutboxMessage.objects.filter(kind="late_cancellation").exists()
    told = OutboxMessage.objects.get(recipient=application.helper, kind="application_cancelled")
    assert "雨天のため人数を減らします" in told.body and "事務局" in told.body


def test_staff_cancel_through_the_roster(client, session, accepted, staff):
    client.force_login(staff)
    page = client.get(reverse("session_roster", args=[session.pk])).content.decode()
    assert 'value="cancel"' in page
    client.post(
        reverse("application_decide", args=[accepted.pk]),
        {"decision": "cancel", "reason": "重複登録のため"},
    )
    assert Application.objects.get(pk=accepted.pk).status == Status.CANCELLED
    told = OutboxMessage.objects.get(kind="application_cancelled")
    assert "重複登録のため" in told.body


def test_the_helper_own_late_cancellation_is_still_late(session, accepted):
    services.application_cancel(
        application_id=accepted.pk, actor=accepted.helper, now=_late(session)
    )
    assert Application.objects.get(pk=accepted.pk).late_cancellation is True


def test_the_nushi_declines_with_a_reason_the_helper_is_told(client, session, nushi):
    Session.objects.filter(pk=session.pk).update(acceptance_mode="selection")
    (helper,) = make_helpers(1)
    application = services.application_submit(helper=helper, session_id=session.pk)
    client.force_login(nushi)
    client.post(
        reverse("application_decide", args=[application.pk]),
        {"decision": "decline", "reason": "今回は経験者を優先しました"},
    )
    assert Application.objects.get(pk=application.pk).status == Status.DECLINED
    told = OutboxMessage.objects.get(recipient=helper, kind="application_declined")
    assert "今回は経験者を優先しました" in told.body


def test_a_decision_the_roster_does_not_offer_is_refused_with_a_message(
    client, session, accepted, staff
):
    client.force_login(staff)
    response = client.post(
        reverse("application_decide", args=[accepted.pk]),
        {"decision": "delete", "reason": "x" * 501},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 2  # the unknown decision and the over-long reason, each said
    assert Application.objects.get(pk=accepted.pk).status == Status.ACCEPTED
    assert Session.objects.get(pk=session.pk).places_taken == 1
