from datetime import timedelta

import pytest
from django.utils import timezone

from points import services
from points.models import Issuer
from portal.models import Application, Attendance, Session
from tests.accounts.factories import UserFactory
from tests.points.fake_operator import FakeOperator
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory


def ended_session(
    municipality, *, helpers, points=500, closed=True, status=Application.Status.ATTENDED
):
    """A session that ended yesterday with these helpers attended (closed unless told otherwise;
    closing through portal's service is tested on its own)."""
    starts = timezone.now() - timedelta(days=1)
    session = SessionFactory(
        program=ProgramFactory(municipality=municipality, points_per_participant=points),
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        apply_deadline=starts - timedelta(days=2),
        capacity=max(len(helpers), 1),
        status=Session.Status.CLOSED if closed else Session.Status.SCHEDULED,
    )
    apps = [ApplicationFactory(session=session, helper=h, status=status) for h in helpers]
    if (
        status in Application.HOLDS_PLACE
    ):  # places_taken mirrors the places held, as services keep it
        Session.objects.filter(pk=session.pk).update(places_taken=len(apps))
        session.refresh_from_db()
    if status == Application.Status.ATTENDED:
        Attendance.objects.bulk_create(
            Attendance(application=a, checked_in_at=starts, method=Attendance.Method.CODE)
            for a in apps
        )
    return session, apps


@pytest.fixture
def funded(municipality):
    """飛騨市 with 100,000 points of budget from its general fund."""
    services.budget_fund(
        municipality_id=municipality.pk,
        source="一般財源",
        amount=100_000,
        key="fund:test",
        actor=None,
    )
    return municipality


@pytest.fixture
def operator():
    """A local fake operator API (tests/points/fake_operator.py), started and stopped per test."""
    fake = FakeOperator().start()
    yield fake
    fake.stop()


@pytest.fixture
def operated(funded, operator):
    """The funded municipality, its points pushed to the fake operator."""
    Issuer.objects.create(
        municipality=funded, kind=Issuer.Kind.OPERATOR, operator_url=operator.url,
        api_key=operator.key,
    )  # fmt: skip
    return funded


@pytest.fixture
def coded(funded):
    """The funded municipality, its points handed out as one-time point codes."""
    Issuer.objects.create(municipality=funded, kind=Issuer.Kind.CODES)
    return funded


@pytest.fixture
def make_helpers(db):
    return lambda n: [UserFactory() for _ in range(n)]
