"""Reads of the ledger, reused by the pages, exports and the monthly reports."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Municipality
from points.models import Account, BudgetPeriod, Entry, PendingCredit, Transaction
from points.prepared import prepared_cursor

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
class StatementLine:
    """One entry of a wallet's statement, with what the page shows of its transaction."""

    amount: int
    created_at: datetime
    kind: str  # Transaction.Kind
    memo: str
    reason: str

    @property
    def kind_label(self) -> str:
        return str(TxKind(self.kind).label)


@dataclass(frozen=True)
class Expiring:
    """Points left in a wallet that expire on one day (Asia/Tokyo); `day` None: never."""

    day: date | None
    amount: int


@dataclass(frozen=True)
class Wallet:
    account: Account
    statement: list[StatementLine]  # newest first
    expiring: list[Expiring]  # soonest first, then the points that never expire


# The wallet page in one query (points.views.wallet): each of the helper's wallets with its
# municipality, what is left in it grouped by the day it expires (two arrays, soonest first, a
# never-expiring sum last; index points_lot_open), and its newest entries with their transaction, one
# row each (index points_entry_account_time). A wallet without entries comes as one row of NULLs.
WALLETS_SQL = """
SELECT a.id, a.code, a.balance, a.municipality_id, m.name, m.points_name, x.days, x.amounts,
       e.amount, e.created_at, t.kind, t.memo, t.reason
FROM points_account a
JOIN accounts_municipality m ON m.id = a.municipality_id
CROSS JOIN LATERAL (
    SELECT array_agg(g.day ORDER BY g.day NULLS LAST) AS days,
           array_agg(g.amount ORDER BY g.day NULLS LAST) AS amounts
    FROM (SELECT (l.expires_at AT TIME ZONE %(tz)s)::date AS day, sum(l.remaining)::bigint AS amount
          FROM points_lot l WHERE l.account_id = a.id AND l.remaining > 0
          GROUP BY 1) g
) x
LEFT JOIN LATERAL (
    SELECT * FROM points_entry e WHERE e.account_id = a.id
    ORDER BY e.created_at DESC, e.id DESC LIMIT %(size)s
) e ON true
LEFT JOIN points_transaction t ON t.id = e.transaction_id
WHERE a.kind = 'wallet' AND a.helper_id = %(helper)s
ORDER BY a.id, e.created_at DESC, e.id DESC
"""


def helper_wallets(*, helper_id: int, statement_size: int = 20) -> list[Wallet]:
    """A helper's wallet in each municipality: balance, the newest entries, and how much expires on
    which day. One query (a helper has one or two wallets); each account comes as an Account with
    only the fields the page reads (any other loads on access), its municipality's name and points
    name read along."""
    if connection.vendor != "postgresql":
        return _helper_wallets_portable(helper_id, statement_size)
    with prepared_cursor() as cursor:  # the page is read often: planned once per connection
        cursor.execute(
            WALLETS_SQL,
            {
                "size": statement_size,
                "helper": helper_id,
                "tz": timezone.get_current_timezone_name(),  # the days the page shows
            },
        )
        rows = cursor.fetchall()
    wallets: list[Wallet] = []
    for row in rows:
        account_id, code, balance, municipality_id, m_name, points_name, days, amounts = row[:8]
        if not wallets or wallets[-1].account.pk != account_id:
            account = Account.from_db(
                DEFAULT_DB_ALIAS,
                ["id", "kind", "municipality_id", "helper_id", "code", "balance"],
                [account_id, Kind.WALLET, municipality_id, helper_id, code, balance],
            )
            account.municipality = Municipality.from_db(
                DEFAULT_DB_ALIAS,
                ["id", "name", "points_name"],
                [municipality_id, m_name, points_name],
            )
            expiring = [
                Expiring(day, amount) for day, amount in zip(days or (), amounts or (), strict=True)
            ]
            wallets.append(Wallet(account=account, statement=[], expiring=expiring))
        if row[8] is not None:
            wallets[-1].statement.append(StatementLine(*row[8:]))
    return wallets


def _helper_wallets_portable(helper_id: int, statement_size: int) -> list[Wallet]:
    """helper_wallets() on SQLite (the embedded default: no LATERAL, no arrays), a few queries per
    wallet."""
    wallets = []
    for account in (
        Account.objects.filter(kind=Kind.WALLET, helper_id=helper_id)
        .select_related("municipality")
        .order_by("pk")
    ):
        expiring: dict[date | None, int] = {}
        for expires_at, remaining in account.lots.filter(remaining__gt=0).values_list(
            "expires_at", "remaining"
        ):
            day = timezone.localdate(expires_at) if expires_at is not None else None
            expiring[day] = expiring.get(day, 0) + remaining
        statement = [
            StatementLine(e.amount, e.created_at, e.transaction.kind, e.transaction.memo,
                          e.transaction.reason)
            for e in account.entries.select_related("transaction").order_by("-created_at", "-pk")[
                :statement_size
            ]
        ]  # fmt: skip
        days = sorted(expiring, key=lambda day: (day is None, day or date.min))
        wallets.append(Wallet(account, statement, [Expiring(day, expiring[day]) for day in days]))
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
