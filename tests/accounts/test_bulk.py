"""accounts.bulk, which the large demo data loads with: COPY writes the rows as given, and the foreign
keys dropped for a bulk load come back exactly as they were and still refuse a row that breaks them."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.bulk import copy_rows, foreign_keys_checked_at_end
from accounts.models import Consent, HelperProfile
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def foreign_keys(table: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = %s::regclass ORDER BY conname",
            [table],
        )
        return cursor.fetchall()


def test_copy_rows_writes_plain_and_json_values():
    user = UserFactory()
    now = timezone.now()
    written = copy_rows(
        HelperProfile,
        ["user", "display_name", "postal_code", "home_prefecture", "home_municipality", "skills",
         "interests", "available_weekdays", "available_seasons", "available_times", "bio", "photo",
         "birth_year", "created_at", "updated_at"],
        [(user.pk, "はなこ", "506-0011", "岐阜県", "高山市", ["cooking"], ["farming", "festival"],
          [0, 6], [], [], "", "", 1980, now, now)],
    )  # fmt: skip
    assert written == 1
    profile = HelperProfile.objects.get(user=user)
    assert profile.display_name == "はなこ" and profile.birth_year == 1980
    assert profile.interests == ["farming", "festival"] and profile.available_weekdays == [0, 6]


def test_foreign_keys_come_back_as_they_were():
    before = foreign_keys("accounts_consent")
    assert before and all("DEFERRABLE INITIALLY DEFERRED" in d for _n, d in before)
    user = UserFactory()
    with transaction.atomic(), foreign_keys_checked_at_end("accounts_consent"):
        assert foreign_keys("accounts_consent") == []
        copy_rows(
            Consent,
            ["user", "document", "version", "accepted_at"],
            [(user.pk, "terms", 99, timezone.now())],
        )
    assert foreign_keys("accounts_consent") == before
    assert Consent.objects.filter(user=user, document="terms", version=99).exists()
    # The rest of the transaction checks keys at commit again, as before the block: a row may name
    # one written after it.
    later = 876_543_210  # nobody has this id yet
    copy_rows(
        Consent,
        ["user", "document", "version", "accepted_at"],
        [(later, "terms", 98, timezone.now())],
    )
    UserFactory(pk=later)


def test_every_deferrable_check_is_initially_deferred():
    """What foreign_keys_checked_at_end's SET CONSTRAINTS ALL DEFERRED relies on to leave the
    transaction as it found it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
            " WHERE n.nspname = current_schema() AND condeferrable AND NOT condeferred"
            " UNION ALL SELECT tgname FROM pg_trigger"
            " WHERE NOT tgisinternal AND tgdeferrable AND NOT tginitdeferred"
        )
        assert cursor.fetchall() == []


def test_a_row_breaking_a_dropped_key_fails_the_transaction_and_the_key_stays():
    before = foreign_keys("accounts_consent")
    with (
        pytest.raises(IntegrityError, match="accounts_consent"),
        transaction.atomic(),
        foreign_keys_checked_at_end("accounts_consent"),
    ):
        copy_rows(
            Consent,
            ["user", "document", "version", "accepted_at"],
            [(987_654_321, "terms", 1, timezone.now())],  # nobody has this id
        )
    assert foreign_keys("accounts_consent") == before
    assert not Consent.objects.filter(user_id=987_654_321).exists()


@pytest.mark.django_db(transaction=True)
def test_dropping_keys_outside_a_transaction_is_refused():
    # In autocommit the keys would be gone for good if the load failed half-way.
    before = foreign_keys("accounts_consent")
    with (
        pytest.raises(RuntimeError, match="needs a transaction"),
        foreign_keys_checked_at_end("accounts_consent"),
    ):
        pass
    assert foreign_keys("accounts_consent") == before
