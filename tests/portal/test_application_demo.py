"""The small demo's applications: every state (applied too), thank-yous, places_taken equal to the
rows holding a place, no roster beyond capacity, and a second run adds nothing."""

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q

from portal.models import Application, Session, ThankYou

pytestmark = pytest.mark.django_db


def test_small_demo_has_every_state_and_thank_yous_and_consistent_places():
    call_command("seed_demo", "--with-demo-logins", verbosity=0)
    statuses = set(Application.objects.values_list("status", flat=True))
    assert statuses == set(Application.Status.values)
    assert ThankYou.objects.exists()
    held = dict(
        Session.objects.annotate(
            held=Count("applications", filter=Q(applications__status__in=Application.HOLDS_PLACE))
        ).values_list("pk", "held")
    )
    assert dict(Session.objects.values_list("pk", "places_taken")) == held
    # A no-show held a place until the session: no roster lists more people given a place than the
    # session had (the monthly report's fill rate is at most 100 %).
    overfull = Session.objects.annotate(
        given=Count(
            "applications",
            filter=Q(applications__status__in=["accepted", "attended", "no_show"]),
        )
    ).filter(given__gt=F("capacity"))
    assert list(overfull.values_list("pk", "given", "capacity")) == []
    count = Application.objects.count()
    call_command("seed_demo", "--with-demo-logins", verbosity=0)
    assert Application.objects.count() == count
