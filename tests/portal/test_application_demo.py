"""The small demo's applications: every state (applied too), thank-yous, places_taken equal to the
rows holding a place, no roster beyond capacity, and a second run adds nothing."""

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from points.models import Account
from portal.demo import people
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
    # Nobody holds two places on one day, a day as Japan counts it (08:00 and 09:00 JST sessions lie
    # on two UTC days).
    places = Application.objects.filter(status__in=Application.HOLDS_PLACE).values_list(
        "helper_id", "session__starts_at"
    )
    days = [(helper, timezone.localdate(starts)) for helper, starts in places]
    assert len(days) == len(set(days))
    count = Application.objects.count()
    call_command("seed_demo", "--with-demo-logins", verbosity=0)
    assert Application.objects.count() == count


def test_the_demo_helper_has_a_history_and_a_wallet_to_show(client):
    """The printed helper login attended two recent past sessions of 飛騨市: its マイページ shows them,
    and the wallet page their credits, expiry dates and the wallet's code."""
    call_command("seed_demo", "--with-demo-logins", verbosity=0)
    helper = User.objects.get(email=people.HELPER_EMAIL)
    attended = Application.objects.filter(helper=helper, status=Application.Status.ATTENDED)
    assert attended.count() == 2
    assert {a.session.program.municipality.slug for a in attended} == {people.HIDA_SLUG}
    assert len({timezone.localdate(a.session.starts_at) for a in attended}) == 2
    wallet = Account.objects.get(helper=helper, kind=Account.Kind.WALLET)
    assert wallet.balance > 0
    client.force_login(helper)
    page = client.get(reverse("points_wallet")).content.decode()
    for application in attended:
        assert application.session.program.title in page
    assert wallet.code in page
