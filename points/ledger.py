"""The one place that writes ledger rows: a balanced transaction, its entries, the cached balances and the
wallet lots. Callers (points.services) hold the locks and decide; this module only records.

Dates: months and fiscal years (April-March) are Asia/Tokyo ones.
"""

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.backends.utils import CursorWrapper
from django.db.models import F

from accounts.models import User
from points.models import Account, Entry, Lot, Transaction
from points.prepared import prepared_cursor

TOKYO = ZoneInfo("Asia/Tokyo")


class Unbalanced(ValueError):
    """A transaction whose entries do not sum to zero (a bug: PostgreSQL refuses it at commit too)."""


@dataclass(frozen=True)
class Leg:
    account: Account
    amount: int


@dataclass(frozen=True)
class NewLot:
    """The lot a credit puts in a wallet (its points, and when they expire)."""

    account: Account
    amount: int
    expires_at: datetime | None


# One statement (one round trip) for the whole movement: the transaction, its entries (in the legs'
# order), the cached balances of the legs' accounts and, for a credit, its lot. The unique key, the
# CHECKs and the deferred balance trigger hold for it as for separate statements.
POST_SQL = """
WITH tx AS (
    INSERT INTO points_transaction (kind, municipality_id, idempotency_key, actor_id, reverses_id,
                                    application_id, session_id, memo, reason, created_at)
    VALUES (%(kind)s, %(municipality)s, %(key)s, %(actor)s, %(reverses)s, %(application)s,
            %(session)s, %(memo)s, %(reason)s, %(now)s)
    RETURNING id
), entries AS (
    INSERT INTO points_entry (transaction_id, account_id, amount, created_at)
    SELECT tx.id, leg.account_id, leg.amount, %(now)s
    FROM tx, unnest(%(leg_accounts)s::bigint[], %(leg_amounts)s::bigint[]) WITH ORDINALITY
         AS leg(account_id, amount, n)
    ORDER BY leg.n
), balances AS (
    UPDATE points_account a SET balance = a.balance + moved.amount
    FROM unnest(%(accounts)s::bigint[], %(amounts)s::bigint[]) AS moved(account_id, amount)
    WHERE a.id = moved.account_id
), lot AS (
    INSERT INTO points_lot (account_id, credit_id, amount, remaining, expires_at, warned_at)
    SELECT %(lot_account)s, tx.id, %(lot_amount)s, %(lot_amount)s, %(lot_expires)s, NULL
    FROM tx WHERE %(lot_account)s::bigint IS NOT NULL
)
SELECT id FROM tx
"""


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
    lot: NewLot | None = None,
    cursor: CursorWrapper | None = None,
) -> Transaction:
    """Write one balanced transaction and keep the accounts' cached balances in step, in the caller's
    transaction (and `lot`, the lot of a credit). A second transaction with the same key raises
    IntegrityError (the unique constraint is what makes a retried writer harmless); a balance below
    zero where it may not be raises IntegrityError (points_account_no_overdraft). `cursor`: the
    caller's, when it has one open for its statements."""
    if sum(leg.amount for leg in legs) != 0 or any(leg.amount == 0 for leg in legs):
        raise Unbalanced(f"{key}: {[leg.amount for leg in legs]}")
    if any(leg.account.municipality_id != municipality_id for leg in legs):
        raise ValueError(f"{key}: every leg's account must be in municipality {municipality_id}")
    moved: dict[int, int] = {}
    for leg in legs:
        moved[leg.account.pk] = moved.get(leg.account.pk, 0) + leg.amount
    fields = {
        "kind": kind,
        "municipality_id": municipality_id,
        "idempotency_key": key,
        "actor": actor,
        "reverses": reverses,
        "application_id": application_id,
        "session_id": session_id,
        "memo": memo[:200],
        "reason": reason[:300],
        "created_at": now,
    }
    if connection.vendor == "postgresql":
        with nullcontext(cursor) if cursor is not None else prepared_cursor() as open_cursor:
            tx = _post_sql(open_cursor, fields, legs, moved, lot)
    else:  # SQLite (the embedded default) has no data-modifying CTE: the same rows, one at a time
        tx = Transaction.objects.create(**fields)
        Entry.objects.bulk_create(
            Entry(transaction=tx, account_id=leg.account.pk, amount=leg.amount, created_at=now)
            for leg in legs
        )
        for account_id, amount in moved.items():
            Account.objects.filter(pk=account_id).update(balance=F("balance") + amount)
        if lot is not None:
            Lot.objects.create(
                account_id=lot.account.pk, credit=tx, amount=lot.amount, remaining=lot.amount,
                expires_at=lot.expires_at,
            )  # fmt: skip
    for leg in legs:
        leg.account.balance += leg.amount
    return tx


def _post_sql(
    cursor: CursorWrapper, fields: dict, legs: list[Leg], moved: dict[int, int], lot: NewLot | None
) -> Transaction:
    cursor.execute(
        POST_SQL,
        {
            "kind": fields["kind"],
            "municipality": fields["municipality_id"],
            "key": fields["idempotency_key"],
            "actor": fields["actor"].pk if fields["actor"] is not None else None,
            "reverses": fields["reverses"].pk if fields["reverses"] is not None else None,
            "application": fields["application_id"],
            "session": fields["session_id"],
            "memo": fields["memo"],
            "reason": fields["reason"],
            "now": fields["created_at"],
            "leg_accounts": [leg.account.pk for leg in legs],
            "leg_amounts": [leg.amount for leg in legs],
            "accounts": list(moved),
            "amounts": list(moved.values()),
            "lot_account": lot.account.pk if lot is not None else None,
            "lot_amount": lot.amount if lot is not None else None,
            "lot_expires": lot.expires_at if lot is not None else None,
        },
    )
    (tx_id,) = cursor.fetchone()
    tx = Transaction(id=tx_id, **fields)
    tx._state.adding = False
    tx._state.db = DEFAULT_DB_ALIAS
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
