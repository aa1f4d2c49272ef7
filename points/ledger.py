"""The one place that writes ledger rows: a balanced transaction, its entries, the cached balances and the
wallet lots. Callers (points.services) hold the locks and decide; this module only records.

Dates: months and fiscal years (April-March) are Asia/Tokyo ones.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Case, F, Value, When

from accounts.models import User
from points.models import Account, Lot, Transaction

TOKYO = ZoneInfo("Asia/Tokyo")


class Unbalanced(ValueError):
    """A transaction whose entries do not sum to zero (a bug: PostgreSQL refuses it at commit too)."""


@dataclass(frozen=True)
class Leg:
    account: Account
    amount: int


def post(
    *,
    kind: str,
    municipality_id: int,
    key: str,
    legs: list[Leg],
    now: datetime,
    actor: User | None = None,
    reverses: Transaction | None = None,
    application_id: int | None = None,
    session_id: int | None = None,
    memo: str = "",
    reason: str = "",
) -> Transaction:
    """Write one balanced transaction and keep the accounts' cached balances in step, in the caller's
    transaction. A second transaction with the same key raises IntegrityError (the unique constraint is
    what makes a retried writer harmless); a balance below zero where it may not be raises IntegrityError
    (points_account_no_overdraft)."""
    if sum(leg.amount for leg in legs) != 0 or any(leg.amount == 0 for leg in legs):
        raise Unbalanced(f"{key}: {[leg.amount for leg in legs]}")
    if any(leg.account.municipality_id != municipality_id for leg in legs):
        raise ValueError(f"{key}: every leg's account must be in municipality {municipality_id}")
    tx = Transaction.objects.create(
        kind=kind,
        municipality_id=municipality_id,
        idempotency_key=key,
        actor=actor,
        reverses=reverses,
        application_id=application_id,
        session_id=session_id,
        memo=memo[:200],
        reason=reason[:300],
        created_at=now,
    )
    tx.entries.bulk_create(
        [
            tx.entries.model(transaction=tx, account=leg.account, amount=leg.amount, created_at=now)
            for leg in legs
        ]
    )
    # One UPDATE for every leg's account (the caller holds their locks).
    Account.objects.filter(pk__in=[leg.account.pk for leg in legs]).update(
        balance=F("balance")
        + Case(*(When(pk=leg.account.pk, then=Value(leg.amount)) for leg in legs))
    )
    for leg in legs:
        leg.account.balance += leg.amount
    return tx


def account(
    *,
    municipality_id: int,
    kind: str,
    name: str = "",
    helper_id: int | None = None,
    lock: bool = False,
    related: tuple[str, ...] = (),
) -> Account:
    """The account, made on first use. `lock=True` fetches and locks it in one query (when its balance
    decides anything); `related` names select_related() paths read along (not locked)."""
    accounts = Account.objects.select_related(*related) if related else Account.objects.all()
    if lock:
        accounts = accounts.select_for_update(of=("self",))
    if kind == Account.Kind.WALLET:
        found = accounts.filter(
            municipality_id=municipality_id, kind=kind, helper_id=helper_id
        ).first()
    else:
        found = accounts.filter(municipality_id=municipality_id, kind=kind, name=name).first()
    if found is not None:
        return found
    # A concurrent first use makes the same row: ON CONFLICT DO NOTHING, then read whichever won.
    Account.objects.bulk_create(
        [Account(municipality_id=municipality_id, kind=kind, name=name, helper_id=helper_id)],
        ignore_conflicts=True,
    )
    return account(
        municipality_id=municipality_id,
        kind=kind,
        name=name,
        helper_id=helper_id,
        lock=lock,
        related=related,
    )


def lock_account(pk: int) -> Account:
    return Account.objects.select_for_update().get(pk=pk)


def take_from_lots(wallet: Account, amount: int, *, first: Lot | None = None) -> None:
    """Take `amount` from the wallet's lots: `first` (a reversal takes back its own credit's lot),
    then the lots that expire soonest. The caller holds the wallet's lock."""
    lots = list(
        Lot.objects.filter(account=wallet, remaining__gt=0).order_by(
            F("expires_at").asc(nulls_last=True), "pk"
        )
    )
    if first is not None:
        lots.sort(key=lambda lot: lot.pk != first.pk)
    for lot in lots:
        if amount == 0:
            break
        take = min(lot.remaining, amount)
        updated = Lot.objects.filter(pk=lot.pk, remaining__gte=take).update(
            remaining=F("remaining") - take
        )
        if updated != 1:
            raise RuntimeError("a lot changed under the wallet's lock")
        amount -= take
    if amount:
        raise ValueError("the wallet's lots hold less than its balance")


def month_start(moment: datetime) -> date:
    local = moment.astimezone(TOKYO)
    return date(local.year, local.month, 1)


def fiscal_year_start(moment: datetime) -> date:
    local = moment.astimezone(TOKYO)
    return date(local.year if local.month >= 4 else local.year - 1, 4, 1)


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=TOKYO)
