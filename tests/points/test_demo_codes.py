"""The demo data's second municipality, 白川村, gives its points as one-time codes: each credit of its
closed sessions has a code, the older ones redeemed, the newer ones open for the codes page; 飛騨市's
one reversal takes points back from a wallet; the ledger balances."""

import re

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse

from accounts.models import User
from points.models import Entry, Issuer, PointCode, Transaction
from points.selectors import ledger_mismatches
from portal.demo.codes_town import CODES_STAFF_EMAIL

pytestmark = pytest.mark.django_db


def test_demo_has_a_codes_municipality_with_open_and_redeemed_codes(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the reversal's settle task
        call_command("seed_demo", "--with-demo-logins", verbosity=0)
    issuer = Issuer.objects.get(municipality__slug="shirakawa")
    assert issuer.kind == Issuer.Kind.CODES
    town_credits = Transaction.objects.filter(kind="credit", municipality=issuer.municipality)
    codes = PointCode.objects.filter(municipality=issuer.municipality)
    assert codes.count() == town_credits.count() == 10
    assert codes.filter(redeemed_at__isnull=False).count() == 5
    assert codes.filter(redeemed_at__isnull=True, voided_at__isnull=True).count() == 5
    reversal = Transaction.objects.get(kind="reversal")
    assert reversal.municipality.slug == "hida" and reversal.entries.exists()
    assert Entry.objects.aggregate(s=Sum("amount"))["s"] == 0
    assert ledger_mismatches() == []
    # 白川村's staff have the open codes to print, and in the CSV
    client.force_login(User.objects.get(email=CODES_STAFF_EMAIL))
    page = client.get(reverse("points_codes")).content.decode()
    assert re.search(r'data-testid="open-codes">\s*5枚', page)
    exported = client.get(reverse("points_codes_export", args=["csv"])).content.decode("utf-8-sig")
    assert all(code.printed in exported for code in codes.filter(redeemed_at__isnull=True))
    # seeding again changes nothing
    call_command("seed_demo", "--with-demo-logins", verbosity=0)
    assert (
        PointCode.objects.count() == 10 and Transaction.objects.filter(kind="reversal").count() == 1
    )
