"""Crediting attendances: one balanced transaction per attendance, exactly once, reversed on a
correction, waiting (not dropped) when the budget is short."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from notifications.models import OutboxMessage
from points import services
from points.ledger import Leg, account, post
from points.models import Account, Entry, PendingCredit, Transaction
from points.selectors import ledger_mismatches, wallet_balance
from portal.models import Application
from tests.points.conftest import ended_session

pytestmark = pytest.mark.django_db


def test_settle_credits_each_attendee_once(funded, helper, other_helper):
    _session, apps = ended_session(funded, helpers=[helper, other_helper])
    for _ in range(2):  # run twice: idempotent
        for app in apps:
            services.points_settle_attendance(application_id=app.pk)
    assert Transaction.objects.filter(kind="credit").count() == 2
    assert wallet_balance(helper_id=helper.pk, municipality_id=funded.pk) == 500
    assert Account.objects.get(kind="budget").balance == 100_000 - 1000
    assert Entry.objects.aggregate(s=Sum("amount"))["s"] == 0
    assert ledger_mismatches() == []
    notice = OutboxMessage.objects.get(recipient=helper, kind="points_credited")
    assert (
        "500 さるぼぼコインを受け取りました" in notice.subject
        or "500 ポイントを受け取りました" in notice.subject
    )


def test_open_session_and_no_show_are_not_credited(funded, helper, other_helper):
    _, open_apps = ended_session(funded, helpers=[helper], closed=False)
    _, no_show = ended_session(funded, helpers=[other_helper], status=Application.Status.NO_SHOW)
    assert services.points_settle_attendance(application_id=open_apps[0].pk) == "nothing"
    assert services.points_settle_attendance(application_id=no_show[0].pk) == "nothing"
    assert not Transaction.objects.filter(kind="credit").exists()


def test_the_idempotency_key_refuses_a_second_credit(funded, helper):
    """The unique key is the guard even if the code that looks for an existing credit were wrong."""
    _, (app,) = ended_session(funded, helpers=[helper])
    services.points_settle_attendance(application_id=app.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.create(
            kind="credit", municipality=funded, idempotency_key=f"attendance:{app.pk}:0"
        )


def test_correction_reverses_then_credits_again(funded, helper):
    _, (app,) = ended_session(funded, helpers=[helper])
    services.points_settle_attendance(application_id=app.pk)
    Application.objects.filter(pk=app.pk).update(status="no_show")
    assert (
        services.points_settle_attendance(application_id=app.pk, reason="別人の受付") == "reversed"
    )
    assert services.points_settle_attendance(application_id=app.pk) == "nothing"
    reversal = Transaction.objects.get(kind="reversal")
    assert reversal.reason == "別人の受付"
    assert reversal.reverses.kind == "credit"
    assert wallet_balance(helper_id=helper.pk, municipality_id=funded.pk) == 0
    assert OutboxMessage.objects.filter(recipient=helper, kind="points_reversed").count() == 1
    Application.objects.filter(pk=app.pk).update(status="attended")
    assert services.points_settle_attendance(application_id=app.pk) == "credited"
    assert wallet_balance(helper_id=helper.pk, municipality_id=funded.pk) == 500
    keys = sorted(Transaction.objects.values_list("idempotency_key", flat=True))
    assert f"attendance:{app.pk}:1" in keys
    assert Account.objects.get(kind="budget").balance == 100_000 - 500
    assert ledger_mismatches() == []


def test_reversal_takes_back_only_what_is_left(funded, helper, staff):
    _, (app,) = ended_session(funded, helpers=[helper])
    services.points_settle_attendance(application_id=app.pk)
    wallet = Account.objects.get(kind="wallet", helper=helper)
    services.wallet_redeem(
        wallet_code=wallet.code, municipality_id=funded.pk, amount=300, key="r1", actor=staff
    )
    Application.objects.filter(pk=app.pk).update(status="no_show")
    services.points_settle_attendance(application_id=app.pk, reason="訂正")
    assert wallet_balance(helper_id=helper.pk, municipality_id=funded.pk) == 0
    reversal = Transaction.objects.get(kind="reversal")
    assert "300" in reversal.reason
    assert reversal.entries.get(account=wallet).amount == -200
    assert ledger_mismatches() == []


def test_short_budget_waits_and_tells_staff(municipality, helper, other_helper, staff):
    services.budget_fund(
        municipality_id=municipality.pk, source="交付金", amount=700, key="f", actor=None
    )
    _session, apps = ended_session(municipality, helpers=[helper, other_helper])
    outcomes = [services.points_settle_attendance(application_id=a.pk) for a in apps]
    assert outcomes == ["credited", "pending"]
    pending = PendingCredit.objects.get()
    assert pending.reason == "budget" and pending.settled_at is None
    alert = OutboxMessage.objects.get(recipient=staff, kind="points_pending")
    assert "予算の残高不足" in alert.body and "/staff/points/ledger/" in alert.body
    # Funding the budget and running the retry job credits it, once.
    services.budget_fund(
        municipality_id=municipality.pk, source="交付金", amount=1000, key="f2", actor=None
    )
    from django.utils import timezone

    later = timezone.now() + services.PENDING_RETRY
    assert services.points_retry_pending(now=later) == 1
    assert services.points_retry_pending(now=later) == 0
    pending.refresh_from_db()
    assert pending.settled_at is not None
    assert wallet_balance(helper_id=other_helper.pk, municipality_id=municipality.pk) == 500


def test_the_database_refuses_an_unbalanced_transaction(funded):
    """The deferred trigger checks the sum at commit (PostgreSQL)."""
    assert connection.vendor == "postgresql"
    budget = Account.objects.get(kind="budget")
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        tx = Transaction.objects.create(kind="credit", municipality=funded, idempotency_key="bad")
        Entry.objects.create(transaction=tx, account=budget, amount=-5)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_database_refuses_to_edit_or_delete_entries(funded):
    entry = Entry.objects.first()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(amount=1)
    # PROTECT stops the ORM first; the trigger stops SQL.
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM points_entry WHERE id = %s", [entry.pk])
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Transaction.objects.filter(pk=entry.transaction_id).update(reason="edited")


def test_no_wallet_goes_below_zero_in_the_database(funded, helper):
    _, (app,) = ended_session(funded, helpers=[helper])
    services.points_settle_attendance(application_id=app.pk)
    with pytest.raises(IntegrityError, match="no_overdraft"), transaction.atomic():
        Account.objects.filter(kind="wallet").update(balance=-1)


def test_a_credit_makes_few_queries(funded, helper, django_assert_num_queries):
    """Once the wallet and the budget periods exist: the attendance's lock (with the helper's
    language), the budget's lock (with the points name, policy, issuer and the attendance's credits),
    the wallet's lock, both periods counted (compare-and-set), the ledger rows (transaction, entries,
    balances and lot in one statement) and the notice (no savepoint of its own: the credit's key is
    unique), in the service's transaction (here a savepoint and its release); 19 before (the notice's points name and language, the issuer, the periods read, the
    transaction, entries, balances and lot apart, a waiting credit settled that was not there)."""
    _, (first,) = ended_session(funded, helpers=[helper])
    services.points_settle_attendance(application_id=first.pk)
    _, (second,) = ended_session(funded, helpers=[helper])
    # Read with the attendance's lock: the notice is in the helper's language.
    helper.language = "en"
    helper.save(update_fields=["language"])
    with django_assert_num_queries(8) as captured:
        assert services.points_settle_attendance(application_id=second.pk) == "credited"
    # Inside the test's transaction the service's own is a savepoint; the notice takes none.
    assert [q["sql"].split()[0] for q in captured.captured_queries if "SAVEPOINT" in q["sql"]] == [
        "SAVEPOINT",
        "RELEASE",
    ]
    assert wallet_balance(helper_id=helper.pk, municipality_id=funded.pk) == 1000
    assert ledger_mismatches() == []
    message = OutboxMessage.objects.get(recipient=helper, object_key__endswith=f":{second.pk}:0")
    assert message.subject.startswith("You received 500 ")


def test_a_leg_outside_the_transaction_municipality_is_refused(funded, other_municipality, helper):
    budget = account(municipality_id=funded.pk, kind="budget")
    elsewhere = account(municipality_id=other_municipality.pk, kind="wallet", helper_id=helper.pk)
    with pytest.raises(ValueError, match="must be in municipality"):
        post(
            kind="credit",
            municipality_id=funded.pk,
            key="cross",
            legs=[Leg(budget, -1), Leg(elsewhere, 1)],
            now=timezone.now(),
        )
    assert not Transaction.objects.filter(idempotency_key="cross").exists()
