"""A nushi is told at once when someone applies to a selection session (application_received): each of
the organisation's members, once per application, with the helper's name, their message and the
roster's address; a first-come application, which decides itself, tells them nothing."""

import pytest

from accounts.models import OrganizationMembership
from notifications.kinds import Kind
from notifications.models import OutboxMessage
from portal import notices
from portal.models import Session
from portal.services import applications as services
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def selection(session):
    Session.objects.filter(pk=session.pk).update(acceptance_mode=Session.AcceptanceMode.SELECTION)
    session.refresh_from_db()
    return session


def _received():
    return OutboxMessage.objects.filter(kind=Kind.APPLICATION_RECEIVED)


def test_every_member_of_the_nushi_hears_of_a_selection_application(
    selection, organization, nushi, helper, staff
):
    second = UserFactory(language="en")
    OrganizationMembership.objects.create(organization=organization, user=second)
    application = services.application_submit(
        helper=helper, session_id=selection.pk, message="草取りは得意です"
    )
    rows = {row.recipient_id: row for row in _received()}
    assert set(rows) == {nushi.pk, second.pk}  # the nushi's members; staff have their dashboard
    ja = rows[nushi.pk]
    assert ja.object_key == f"application:{application.pk}"
    assert "ゆうきさんから応募が届きました" in ja.subject
    assert "草取りは得意です" in ja.body and f"/sessions/{selection.pk}/roster/" in ja.body
    assert rows[second.pk].subject.startswith("New application from ゆうき")


def test_a_repeated_notice_tells_nobody_twice(selection, nushi, helper):
    application = services.application_submit(helper=helper, session_id=selection.pk)
    notices.notice_application_received(application)
    assert _received().count() == 1


def test_a_first_come_application_tells_the_nushi_nothing(session, nushi, helper):
    services.application_submit(helper=helper, session_id=session.pk)
    assert not _received().exists()
