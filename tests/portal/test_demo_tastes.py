"""The demo's taste-driven history (portal/demo/matching.py): the stated profile is a noisy, partial view
of the hidden tastes, the history keeps the rules real applications keep, and a second seed adds nothing."""

from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest
import time_machine
from django.db.models import F
from django.utils import timezone

from accounts.models import HelperProfile
from portal.demo import people
from portal.demo.matching import TASTE_DOMAIN, draw_tastes, seed_taste_history, stated_profile
from portal.models import Application, Session

TODAY = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def test_the_stated_interests_leave_out_some_liked_categories_and_add_some_wrong_ones():
    rng = np.random.default_rng(0)
    tastes = draw_tastes(rng, ["東京都"] * 400)
    counts = Counter()
    for h in range(400):
        stated = set(stated_profile(rng, tastes, h, "東京都")["interests"])
        liked = set(tastes.liked[h])
        counts["liked"] += len(liked)
        counts["kept"] += len(liked & stated)
        counts["wrong"] += len(stated - liked)
    assert 0.6 < counts["kept"] / counts["liked"] < 0.8  # about 0.7 of them
    assert counts["wrong"] > 50  # and some the helper never liked


@pytest.mark.django_db
def test_the_history_keeps_capacity_one_place_a_day_and_time_order():
    with time_machine.travel(TODAY, tick=False):
        made = seed_taste_history(people.seed_people(), scale="small", seed=13)
        assert seed_taste_history(people.seed_people(), scale="small", seed=13) == 0
    assert made == Application.objects.filter(helper__email__endswith=TASTE_DOMAIN).count() > 1000
    assert HelperProfile.objects.filter(user__email__endswith=TASTE_DOMAIN).count() == 250
    mine = Application.objects.filter(helper__email__endswith=TASTE_DOMAIN)
    # Applied before the deadline, in the past; the places are the attendances.
    assert not mine.filter(created_at__gte=F("session__apply_deadline")).exists()
    assert not mine.filter(created_at__gte=TODAY).exists()
    for session in Session.objects.filter(applications__in=mine).distinct():
        attended = session.applications.filter(status=Application.Status.ATTENDED).count()
        assert session.places_taken == attended <= session.capacity
    # Nobody in two sessions on one local day.
    days = Counter(
        (helper, timezone.localtime(starts).date())
        for helper, starts in mine.values_list("helper_id", "session__starts_at")
    )
    assert max(days.values()) == 1
