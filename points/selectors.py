"""Reads of the ledger, reused by the pages, exports and the monthly reports."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Count, F, Model, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import Municipality
from points.models import Account, BudgetPeriod, Entry, Lot, PendingCredit, Transaction

Kind = Account.Kind
TxKind = Transaction.Kind


def wallet_balance(*, helper_id: int, municipality_id: int) -> int:
    return (
        Account.objects.filter(
            kind=Kind.WALLET, helper_id=helper_id, municipality_id=municipality_id
        )
        .values_list("balance", flat=True)
        .first()
        or 0
    )


@dataclass(frozen=True)
class Wallet:
    account: Account
    statement: list[Entry]  # newest first
    lots: list[Lot]  # points left, soonest expiry first


# The wallet page in one query: each wallet with its municipality, its newest entries (with their
# transaction) and its lots holding points, the two lists as JSON arrays built by PostgreSQL.
WALLETS_SQL = """
SELECT a.id, a.kind, a.municipality_id, a.helper_id, a.name, a.code, a.balance, a.created_at,
       m.name, m.points_name,
       (SELECT coalesce(jsonb_agg(jsonb_build_array(e.id, e.amount, e.created_at, t.id, t.kind, t.memo,
                                                    t.reason, t.created_at)
                                  ORDER BY e.created_at DESC, e.id DESC), '[]')
        FROM (SELECT * FROM points_entry WHERE account_id = a.id
              ORDER BY created_at DESC, id DESC LIMIT %(size)s) e
        JOIN points_transaction t ON t.id = e.transaction_id),
       (SELECT coalesce(jsonb_agg(jsonb_build_array(l.id, l.credit_id, l.amount, l.remaining,
                                                    l.expires_at, l.warned_at)
                                  ORDER BY l.expires_at ASC NULLS LAST, l.id), '[]')
        FROM points_lot l WHERE l.account_id = a.id AND l.remaining > 0)
FROM points_account a JOIN accounts_municipality m ON m.id = a.municipality_id
WHERE a.kind = 'wallet' AND a.helper_id = %(helper)s
ORDER BY a.id
"""


def _loader[M: Model](model: type[M], *names: str) -> Callable[..., M]:
    """Makes instances of `model` from values read by hand, given in the order of `names`; the fields
    not named are deferred (they load on access)."""
    order = [f.attname for f in model._meta.concrete_fields if f.attname in names]
    if order != list(names):
        raise ValueError(f"{model.__name__}: name the fields in the model's order: {order}")

    def load(*values: object) -> M:
        return model.from_db(DEFAULT_DB_ALIAS, order, values)

    return load


_account = _loader(
    Account, "id", "kind", "municipality_id", "helper_id", "name", "code", "balance", "created_at"
)
_municipality = _loader(Municipality, "id", "name", "points_name")
_entry = _loader(Entry, "id", "transaction_id", "account_id", "amount", "created_at")
_transaction = _loader(Transaction, "id", "kind", "memo", "reason", "created_at")
_lot = _loader(
    Lot, "id", "account_id", "credit_id", "amount", "remaining", "expires_at", "warned_at"
)


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def helper_wallets(*, helper_id: int, statement_size: int = 20) -> list[Wallet]:
    """A helper's wallet in each municipality: balance, the newest entries (with their transaction),
    and what expires when. One query (a helper has one or two wallets); the rows come back as model
    instances with only the fields the page reads (any other field loads on access)."""
    with connection.cursor() as cursor:
        cursor.execute(WALLETS_SQL, {"size": statement_size, "helper": helper_id})
        rows = cursor.fetchall()
    wallets = []
    for row in rows:
        account = _account(*row[:8])
        account.municipality = _municipality(account.municipality_id, row[8], row[9])
        statement = []
        for e_id, amount, at, t_id, kind, memo, reason, t_at in json.loads(row[10]):
            entry = _entry(e_id, t_id, account.pk, amount, _moment(at))
            entry.transaction = _transaction(t_id, kind, memo, reason, _moment(t_at))
            statement.append(entry)
        lots = [
            _lot(l_id, account.pk, credit_id, amount, remaining, _moment(expires), _moment(warned))
            for l_id, credit_id, amount, remaining, expires, warned in json.loads(row[11])
        ]
        wallets.append(Wallet(account=account, statement=statement, lots=lots))
    return wallets


def ledger_entries(
    *,
    municipality_id: int,
    kind: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    query: str = "",
) -> QuerySet[Entry]:
    """Staff's ledger of one municipality: entries with their transaction and account, newest first."""
    entries = Entry.objects.filter(transaction__municipality_id=municipality_id).select_related(
        "transaction", "account__helper"
    )
    if kind:
        entries = entries.filter(transaction__kind=kind)
    if start:
        entries = entries.filter(created_at__gte=start)
    if end:
        entries = entries.filter(created_at__lt=end)
    if query:
        entries = entries.filter(
            Q(transaction__memo__icontains=query)
            | Q(transaction__reason__icontains=query)
            | Q(account__helper__email__icontains=query)
            | Q(account__name__icontains=query)
        )
    return entries.order_by("-created_at", "-id")


def pending_credits(*, municipality_id: int) -> QuerySet[PendingCredit]:
    return (
        PendingCredit.objects.filter(municipality_id=municipality_id, settled_at__isnull=True)
        .select_related("helper")
        .order_by("created_at", "pk")
    )


def account_totals(*, municipality_id: int) -> dict[str, int]:
    """The balance of each kind of account (wallets added up)."""
    rows = (
        Account.objects.filter(municipality_id=municipality_id)
        .values("kind")
        .annotate(total=Sum("balance"))
    )
    return {row["kind"]: row["total"] for row in rows}


def ledger_mismatches() -> list[tuple[int, int, int]]:
    """Accounts whose cached balance differs from the sum of their entries, as (account id, cached,
    summed); and wallets whose lots do not add up to the balance (account id, balance, lots). Empty
    when the ledger is sound: tests call it after every scenario, and it can run as a check in
    production."""
    summed = Account.objects.annotate(
        summed=Coalesce(Sum("entries__amount"), 0), n=Count("entries")
    ).exclude(balance=F("summed"))
    lots = (
        Account.objects.filter(kind=Kind.WALLET)
        .annotate(in_lots=Coalesce(Sum("lots__remaining"), 0))
        .exclude(balance=F("in_lots"))
    )
    return [(a.pk, a.balance, a.summed) for a in summed] + [
        (a.pk, a.balance, a.in_lots) for a in lots
    ]


@dataclass(frozen=True)
class MonthFigures:
    issued: int  # credited in the period (before reversals)
    reversed: int  # taken back by reversals in the period
    redeemed: int
    expired: int
    outstanding: int  # in helpers' wallets at `end`
    budget_funded: int  # put into the budget in the period (net of amounts taken back)
    budget_balance: int  # left in the budget at `end`
    pending: int  # credits waiting at `end` (points)


def municipality_month_figures(
    *, municipality_id: int, start: datetime, end: datetime
) -> MonthFigures:
    """Points figures of one municipality for [start, end) — for 月次参加レポート, pass aware datetimes
    at Asia/Tokyo month boundaries (points.ledger.local_midnight). Movements are counted by when they
    were written; `outstanding`, `budget_balance` and `pending` are as at `end`. Issued and reversed are
    reported apart, so issued - reversed is the net credit of the period."""

    def moved(tx_kind: str, account_kind: str) -> Coalesce:
        within = Q(transaction__created_at__lt=end, transaction__kind=tx_kind)
        return Coalesce(Sum("amount", filter=within & Q(account__kind=account_kind)), 0)

    def after_end(account_kind: str) -> Coalesce:
        return Coalesce(
            Sum("amount", filter=Q(transaction__created_at__gte=end, account__kind=account_kind)), 0
        )

    # One pass over the municipality's transactions from `start` on (points_tx_municipality_time; an
    # entry's created_at is its transaction's): the period's movements, and what moved after `end`.
    # A balance at `end` is the cached balance now less what moved after `end`, so a recent month never
    # reads the years before it.
    sums = Entry.objects.filter(
        transaction__municipality_id=municipality_id, transaction__created_at__gte=start
    ).aggregate(
        issued=moved(TxKind.CREDIT, Kind.WALLET),
        reversed=moved(TxKind.REVERSAL, Kind.WALLET),
        redeemed=moved(TxKind.REDEMPTION, Kind.REDEEMED),
        expired=moved(TxKind.EXPIRY, Kind.EXPIRED),
        budget_funded=moved(TxKind.FUNDING, Kind.BUDGET),
        wallet_after=after_end(Kind.WALLET),
        budget_after=after_end(Kind.BUDGET),
    )
    held = dict(
        Account.objects.filter(municipality_id=municipality_id, kind__in=[Kind.WALLET, Kind.BUDGET])
        .values_list("kind")
        .annotate(total=Sum("balance"))
        .order_by()
    )
    pending = PendingCredit.objects.filter(
        municipality_id=municipality_id, created_at__lt=end
    ).filter(Q(settled_at__isnull=True) | Q(settled_at__gte=end))
    return MonthFigures(
        issued=abs(sums["issued"]),
        reversed=abs(sums["reversed"]),
        redeemed=abs(sums["redeemed"]),
        expired=abs(sums["expired"]),
        outstanding=held.get(Kind.WALLET, 0) - sums["wallet_after"],
        budget_funded=sums["budget_funded"],
        budget_balance=held.get(Kind.BUDGET, 0) - sums["budget_after"],
        pending=pending.aggregate(s=Coalesce(Sum("amount"), 0))["s"],
    )


def budget_periods(*, municipality_id: int) -> QuerySet[BudgetPeriod]:
    return BudgetPeriod.objects.filter(municipality_id=municipality_id).order_by(
        "-starts_on", "kind"
    )
