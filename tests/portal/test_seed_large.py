"""`seed_demo --scale large`'s bulk stages, run in miniature on PostgreSQL: the rows they write with COPY
and set-wise SQL are the rows the services would have written (people who can sign in and have agreed
to the terms, a credit per attendance in balanced transactions, caches equal to the entries), and a
second run adds nothing."""

import pytest
from django.db.models import Sum

from accounts.models import Consent, HelperProfile, User
from accounts.pages import required_versions
from points import demo as points_demo
from points.models import Account, Entry, Transaction
from points.selectors import ledger_mismatches
from portal.demo import applications, people, programs
from portal.demo.applications import LARGE_CODE_PREFIX
from portal.models import Application, Session

pytestmark = pytest.mark.django_db

LARGE = "@large.example.jp"


def test_large_helpers_are_people_who_can_sign_in_and_have_agreed_and_are_made_once():
    people.seed_people()
    assert people.seed_large_helpers(total=40, batch=15) == 40
    helpers = User.objects.filter(email__endswith=LARGE)
    assert helpers.count() == 40
    assert HelperProfile.objects.filter(user__in=helpers).count() == 40
    versions = required_versions()
    assert set(versions) and Consent.objects.filter(user__in=helpers).count() == 40 * len(versions)
    for document, version in versions.items():
        assert (
            Consent.objects.filter(user__in=helpers, document=document, version=version).count()
            == 40
        )
    one = helpers.order_by("email").first()
    assert one.email == "h000000@large.example.jp"
    assert one.check_password(people.DEMO_PASSWORD)
    assert one.is_active and not one.is_staff and not one.is_superuser
    assert one.language == User._meta.get_field("language").get_default()
    profile = one.helper_profile
    assert profile.display_name and profile.home_prefecture and profile.postal_code
    assert isinstance(profile.interests, list) and profile.interests
    assert profile.available_times == [] and profile.bio == ""
    # A second run (or one with a smaller total) adds nobody.
    assert people.seed_large_helpers(total=40, batch=15) == 0
    assert helpers.count() == 40


def test_large_points_credit_each_attendance_once_in_a_sound_ledger_and_add_nothing_twice():
    cast = people.seed_people()
    people.seed_large_helpers(total=60, batch=25)
    programs.seed_large_programs(cast, total=12, batch=5)
    assert applications.seed_large_applications(total=300) == 300
    due = Application.objects.filter(
        status=Application.Status.ATTENDED,
        session__status=Session.Status.CLOSED,
        session__program__points_per_participant__gt=0,
        checkin_code__startswith=LARGE_CODE_PREFIX,
    )
    assert due.exists()

    made = points_demo.seed_points(scale="large")
    assert made["large_credits"] == due.count()
    credits = Transaction.objects.filter(kind="credit", application_id__in=due.values("pk"))
    assert credits.count() == due.count()
    assert credits.values("application_id").distinct().count() == due.count()
    # Each credit moved the program's points from the budget to the helper's wallet.
    points_of = dict(due.values_list("pk", "session__program__points_per_participant"))
    for credit in credits[:20]:
        points = points_of[credit.application_id]
        legs = sorted(credit.entries.values_list("account__kind", "amount"))
        assert legs == [("budget", -points), ("wallet", points)]
    assert not Entry.objects.values("transaction").annotate(s=Sum("amount")).exclude(s=0).exists()
    assert ledger_mismatches() == []
    assert not Account.objects.filter(kind="wallet", balance__lt=0).exists()
    # Old lots were expired as the beat job would have, into the expired account.
    assert Transaction.objects.filter(kind="expiry").exists()

    entries = Entry.objects.count()
    again = points_demo.seed_points(scale="large")
    assert again["large_credits"] == 0
    assert Entry.objects.count() == entries
