"""The credit path's statements are prepared once per connection (points.prepared) and still work
after what makes psycopg drop its prepared statements (a rollback)."""

import pytest
from django.db import IntegrityError, connection, transaction

from points import services
from points.ledger import Leg, account, post
from points.models import Transaction
from points.prepared import prepared_cursor
from tests.points.conftest import ended_session

pytestmark = pytest.mark.django_db


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [statement for (statement,) in cursor.fetchall()]


def test_a_credit_prepares_its_statements_once(funded, helper, other_helper):
    first, second = [ended_session(funded, helpers=[h])[1][0] for h in (helper, other_helper)]
    assert services.points_settle_attendance(application_id=first.pk) == "credited"
    after_first = prepared_statements()
    # The attendance's lock, the budget's, the wallet's, the periods counted, the ledger rows.
    assert len(after_first) >= 5
    assert any("FOR UPDATE OF a" in statement for statement in after_first)
    assert any("INSERT INTO points_entry" in statement for statement in after_first)
    assert services.points_settle_attendance(application_id=second.pk) == "credited"
    assert sorted(prepared_statements()) == sorted(after_first)  # reused, none added


def test_the_credit_path_works_after_a_rollback(funded, helper, other_helper):
    first, second = [ended_session(funded, helpers=[h])[1][0] for h in (helper, other_helper)]
    services.points_settle_attendance(application_id=first.pk)
    credit = Transaction.objects.get(application_id=first.pk)
    budget = account(municipality_id=funded.pk, kind="budget")
    wallet = account(municipality_id=funded.pk, kind="wallet", helper_id=helper.pk)
    # The same key again through the prepared cursor: refused, and its savepoint rolled back.
    with pytest.raises(IntegrityError), transaction.atomic(), prepared_cursor() as cursor:
        post(kind="credit", municipality_id=funded.pk, key=credit.idempotency_key,
             legs=[Leg(budget, -1), Leg(wallet, 1)], now=credit.created_at, cursor=cursor)  # fmt: skip
    assert services.points_settle_attendance(application_id=second.pk) == "credited"
    assert Transaction.objects.filter(kind="credit").count() == 2
