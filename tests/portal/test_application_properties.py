"""Property test: random apply / cancel / accept / decline sequences over a few overlapping sessions
never break the invariants of ARCHITECTURE.md (capacity, no overlapping places per helper) nor let
places_taken drift, nor leave a free place while an eligible helper waits."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models import Application, Session
from portal.services import applications as services
from portal.services.errors import ServiceError
from tests.portal.apply_helpers import assert_invariants, make_helpers
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
Status = Application.Status

operation = st.tuples(
    st.sampled_from(["apply", "cancel", "accept", "decline"]),
    st.integers(0, 3),  # helper
    st.integers(0, 2),  # session
)


class _Rollback(Exception):
    pass


def _no_stranded_places(sessions):
    for session in Session.objects.filter(
        pk__in=[s.pk for s in sessions], acceptance_mode="first_come"
    ):
        if session.places_taken >= session.capacity:
            continue
        for waiting in Application.objects.filter(session=session, status=Status.WAITLISTED):
            clash = services.overlapping_held(helper_id=waiting.helper_id, session=session).exists()
            assert clash, f"{waiting.pk} waits although session {session.pk} has a free place"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(operation, min_size=1, max_size=25), selection=st.booleans())
def test_random_sequences_keep_the_invariants(ops, selection, django_user_model):
    # Each example runs in its own atomic block rolled back at the end; marked as Django's TestCase marks
    # its own blocks, so that the services' durable=True blocks inside are allowed (as in any test).
    example = transaction.atomic()
    example._from_testcase = True
    try:
        with example:
            program = ProgramFactory()
            start = timezone.now() + timedelta(days=5)
            mode = "selection" if selection else "first_come"
            sessions = [
                SessionFactory(program=program, starts_at=start, capacity=2, acceptance_mode=mode),
                # overlaps the first
                SessionFactory(program=program, starts_at=start + timedelta(hours=1), capacity=1),
                # a different day
                SessionFactory(program=program, starts_at=start + timedelta(days=1), capacity=2),
            ]
            helpers = make_helpers(4)
            actor = helpers[0]
            for kind, h, s in ops:
                helper, session = helpers[h], sessions[s]
                app = (
                    Application.objects.filter(session=session, helper=helper)
                    .order_by("-pk")
                    .first()
                )
                try:
                    if kind == "apply":
                        services.application_submit(helper=helper, session_id=session.pk)
                    elif app is None:
                        continue
                    elif kind == "cancel":
                        services.application_cancel(application_id=app.pk, actor=helper)
                    elif kind == "accept":
                        services.application_accept(application_id=app.pk, actor=actor)
                    else:
                        services.application_decline(application_id=app.pk, actor=actor)
                except ServiceError:
                    pass
                assert_invariants(sessions)
                _no_stranded_places(sessions)
            raise _Rollback
    except _Rollback:
        pass
