"""Decisions (accept / decline) by the nushi or staff: a selection until the application deadline, a
first-come waitlist until the start; the roster offers the buttons only while the service allows them."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from portal.models import Application, Session
from portal.services import applications as services
from portal.services.errors import TooLate
from tests.portal.apply_helpers import make_helpers

pytestmark = pytest.mark.django_db
Status = Application.Status


def test_selection_decisions_close_at_the_deadline(session, nushi):
    Session.objects.filter(pk=session.pk).update(acceptance_mode="selection")
    a, b = make_helpers(2)
    apps = [services.application_submit(helper=h, session_id=session.pk) for h in (a, b)]
    after_deadline = session.apply_deadline + timedelta(minutes=1)
    assert after_deadline < session.starts_at
    with pytest.raises(TooLate):
        services.application_accept(application_id=apps[0].pk, actor=nushi, now=after_deadline)
    with pytest.raises(TooLate):
        services.application_decline(application_id=apps[1].pk, actor=nushi, now=after_deadline)
    assert set(Application.objects.filter(session=session).values_list("status", flat=True)) == {
        Status.APPLIED
    }
    before = session.apply_deadline - timedelta(minutes=1)
    services.application_accept(application_id=apps[0].pk, actor=nushi, now=before)
    services.application_decline(application_id=apps[1].pk, actor=nushi, now=before)


def test_first_come_waitlist_can_still_be_taken_by_hand_after_the_deadline(session, nushi):
    Session.objects.filter(pk=session.pk).update(capacity=1)
    a, b = make_helpers(2)
    first = services.application_submit(helper=a, session_id=session.pk)
    waiting = services.application_submit(helper=b, session_id=session.pk)
    Session.objects.filter(pk=session.pk).update(capacity=2)
    after_deadline = session.apply_deadline + timedelta(minutes=1)
    services.application_accept(application_id=waiting.pk, actor=nushi, now=after_deadline)
    assert Application.objects.get(pk=waiting.pk).status == Status.ACCEPTED
    first.refresh_from_db()
    assert first.status == Status.ACCEPTED


def test_the_roster_offers_decisions_only_until_the_selection_deadline(client, session, nushi):
    Session.objects.filter(pk=session.pk).update(acceptance_mode="selection")
    (helper,) = make_helpers(1)
    services.application_submit(helper=helper, session_id=session.pk)
    client.force_login(nushi)
    url = reverse("session_roster", args=[session.pk])
    assert 'value="accept"' in client.get(url).content.decode()
    with time_machine.travel(session.apply_deadline + timedelta(minutes=1)):
        page = client.get(url).content.decode()
    assert 'value="accept"' not in page and 'value="decline"' not in page
