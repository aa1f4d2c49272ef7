"""Every movement of points: crediting an attendance (or reversing its credit), funding a budget,
redeeming at the 関係案内所, expiring. Each is one `transaction.atomic(durable=True)`.

Locks, always in this order: the attendance's application row (portal's, through apps.get_model: a
correction of that attendance waits for us, and we read its final state), the municipality's budget
account, a wallet. Every change of a budget or a wallet happens under its lock, so a decision read
from a balance (enough budget? enough in the wallet?) still holds when the rows are written.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from notifications.services import many_messages
from points import notices
from points.issuers import issuer_on_credit, issuer_on_reversal, issuer_reversible
from points.ledger import (
    Leg,
    NewLot,
    account,
    fiscal_year_start,
    local_midnight,
    lock_account,
    month_start,
    post,
    take_from_lots,
)
from points.models import (
    Account,
    BudgetPeriod,
    Issuer,
    Lot,
    PendingCredit,
    Policy,
    SettleRequest,
    Transaction,
)
from points.prepared import for_update, prepared_cursor

log = logging.getLogger(__name__)
Kind = Account.Kind
TxKind = Transaction.Kind
# How long a pending credit waits before the retry job tries it again.
PENDING_RETRY = timedelta(hours=1)
# How long the task sent after a commit has before the retry job does its work.
SETTLE_GRACE = timedelta(minutes=2)
# When the helper is told that points will expire.
EXPIRY_WARNING = timedelta(days=30)


class PointsError(Exception):
    """Refused, with a message for the person; `field` names the form field it is about."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Attendance:
    """What a credit needs to know of an attendance, read from portal's rows under a lock."""

    application_id: int
    session_id: int
    helper_id: int
    municipality_id: int
    points: int
    due: bool  # attended, and the session is closed (attendance final)
    memo: str
    language: str = ""  # the helper's (the notice is written in it)


# The attendance's application row locked, with what a credit needs of its session, program and helper,
# in one statement. points may not import portal (the layers contract): it reads portal's rows by
# their models' table names (apps.get_model), here only.
ATTENDANCE_SQL = """
SELECT a.session_id, a.helper_id, a.status, s.status, s.starts_at, p.municipality_id,
       p.points_per_participant, p.title, u.language
FROM {application} a
JOIN {session} s ON s.id = a.session_id
JOIN {program} p ON p.id = s.program_id
JOIN {user} u ON u.id = a.helper_id
WHERE a.id = %(application)s
"""


@cache
def _attendance_sql() -> str:
    return ATTENDANCE_SQL.format(
        application=apps.get_model("portal", "Application")._meta.db_table,
        session=apps.get_model("portal", "Session")._meta.db_table,
        program=apps.get_model("portal", "Program")._meta.db_table,
        user=User._meta.db_table,
    ) + for_update("FOR UPDATE OF a")


def _lock_attendance(cursor: CursorWrapper, application_id: int) -> Attendance | None:
    cursor.execute(_attendance_sql(), {"application": application_id})
    row = cursor.fetchone()
    if row is None:
        return None
    (
        session_id, helper_id, status, session_status, starts_at, municipality_id, points, title,
        language,
    ) = row  # fmt: skip
    if starts_at.tzinfo is None:  # SQLite's raw rows: naive, in UTC
        starts_at = starts_at.replace(tzinfo=UTC)
    return Attendance(
        application_id=application_id,
        session_id=session_id,
        helper_id=helper_id,
        municipality_id=municipality_id,
        points=points,
        due=status == "attended" and session_status == "closed" and points > 0,
        memo=f"{title} {timezone.localtime(starts_at):%Y-%m-%d}",
        language=language or "",
    )


@dataclass(frozen=True)
class Terms:
    """What settling an attendance reads along with the budget's lock, in the same statement: the
    municipality's points name, policy (its defaults without a row) and issuer kind (None: no row,
    the internal wallet); and the attendance's credits so far. Those are read after the attendance's
    lock (a statement of their own, so they include whatever a settle that held it committed): only a
    holder of that lock writes them."""

    points_name: str
    policy: Policy
    issuer_kind: str | None
    credits: int  # credits written for the attendance, reversed or not (the n of the next key)
    open_credit_id: int | None  # the one not reversed
    pending: bool  # a credit of it waits under the next key


BUDGET_SQL = """
WITH credits AS (
    SELECT t.id, EXISTS (SELECT 1 FROM points_transaction r WHERE r.reverses_id = t.id) AS reversed
    FROM points_transaction t WHERE t.application_id = %(application)s AND t.kind = 'credit'
)
SELECT b.id, b.balance, m.points_name, p.id, p.monthly_cap, p.helper_monthly_max, p.expiry_days,
       i.kind,
       (SELECT count(*) FROM credits),
       (SELECT min(id) FROM credits WHERE NOT reversed),
       EXISTS (SELECT 1 FROM points_pendingcredit c
               WHERE c.idempotency_key = 'attendance:' || %(application)s || ':' || (SELECT count(*) FROM credits)
                 AND c.settled_at IS NULL)
FROM points_account b
JOIN accounts_municipality m ON m.id = b.municipality_id
LEFT JOIN points_policy p ON p.municipality_id = b.municipality_id
LEFT JOIN points_issuer i ON i.municipality_id = b.municipality_id
WHERE b.municipality_id = %(municipality)s AND b.kind = 'budget' AND b.name = ''
"""


def _lock_budget(
    cursor: CursorWrapper, municipality_id: int, application_id: int
) -> tuple[Account, Terms]:
    """The municipality's budget account, locked (made on first use), and the Terms read with it."""
    cursor.execute(
        BUDGET_SQL + for_update("FOR UPDATE OF b"),
        {"municipality": municipality_id, "application": application_id},
    )
    row = cursor.fetchone()
    if row is None:
        account(municipality_id=municipality_id, kind=Kind.BUDGET)
        return _lock_budget(cursor, municipality_id, application_id)
    budget_id, balance, points_name, policy_id, monthly_cap, helper_max, expiry_days = row[:7]
    issuer_kind, credits, open_credit_id, pending = row[7:]
    budget = Account.from_db(
        DEFAULT_DB_ALIAS,
        ["id", "kind", "municipality_id", "name", "balance"],
        [budget_id, Kind.BUDGET, municipality_id, "", balance],
    )
    if policy_id is None:
        policy = Policy(municipality_id=municipality_id)
    else:
        policy = Policy(
            id=policy_id,
            municipality_id=municipality_id,
            monthly_cap=monthly_cap,
            helper_monthly_max=helper_max,
            expiry_days=expiry_days,
        )
    return budget, Terms(
        points_name=points_name or "",
        policy=policy,
        issuer_kind=issuer_kind,
        credits=credits,
        open_credit_id=open_credit_id,
        pending=pending,
    )


WALLET_SQL = """
SELECT id, code, balance FROM points_account
WHERE kind = 'wallet' AND municipality_id = %(municipality)s AND helper_id = %(helper)s
"""


def _lock_wallet(cursor: CursorWrapper, municipality_id: int, helper_id: int) -> Account:
    """The helper's wallet in the municipality, locked (made on first use)."""
    cursor.execute(
        WALLET_SQL + for_update("FOR UPDATE"),
        {"municipality": municipality_id, "helper": helper_id},
    )
    row = cursor.fetchone()
    if row is None:
        return account(
            municipality_id=municipality_id, kind=Kind.WALLET, helper_id=helper_id, lock=True
        )
    return Account.from_db(
        DEFAULT_DB_ALIAS,
        ["id", "kind", "municipality_id", "helper_id", "code", "balance"],
        [row[0], Kind.WALLET, municipality_id, helper_id, row[1], row[2]],
    )


def _periods(
    municipality_id: int, moment: datetime, policy: Policy | None
) -> tuple[BudgetPeriod, BudgetPeriod]:
    """The fiscal year and the month `moment` falls in, read in one query. With a policy, a missing
    period is made (the month with the policy's cap); without one (a reversal), both must exist."""
    Period = BudgetPeriod.Kind
    wanted = {Period.YEAR: fiscal_year_start(moment), Period.MONTH: month_start(moment)}
    found = {
        period.kind: period
        for period in BudgetPeriod.objects.filter(municipality_id=municipality_id).filter(
            Q(kind=Period.YEAR, starts_on=wanted[Period.YEAR])
            | Q(kind=Period.MONTH, starts_on=wanted[Period.MONTH])
        )
    }
    for kind, starts_on in wanted.items():
        if kind in found:
            continue
        if policy is None:
            raise BudgetPeriod.DoesNotExist(f"{municipality_id} {kind} {starts_on}")
        cap = policy.monthly_cap if kind == Period.MONTH else None
        found[kind], _created = BudgetPeriod.objects.get_or_create(
            municipality_id=municipality_id, kind=kind, starts_on=starts_on, defaults={"cap": cap}
        )
    return found[Period.YEAR], found[Period.MONTH]


def _blocked(
    attendance: Attendance, *, budget: Account, wallet: Account, policy: Policy, now: datetime
) -> tuple[str | None, list[BudgetPeriod]]:
    """Why this credit must wait (a PendingCredit.Reason), or None; and the periods it counts in."""
    amount = attendance.points
    year, month = _periods(attendance.municipality_id, now, policy)
    Reason = PendingCredit.Reason
    if budget.balance < amount:
        return Reason.BUDGET, [year, month]
    if year.cap is not None and year.issued + amount > year.cap:
        return Reason.YEAR_CAP, [year, month]
    if month.cap is not None and month.issued + amount > month.cap:
        return Reason.MONTH_CAP, [year, month]
    if policy.helper_monthly_max is not None:
        this_month = (
            Transaction.objects.filter(
                kind__in=(TxKind.CREDIT, TxKind.REVERSAL),
                entries__account=wallet,
                created_at__gte=local_midnight(month_start(now)),
            ).aggregate(total=Sum("entries__amount"))["total"]
            or 0
        )
        if this_month + amount > policy.helper_monthly_max:
            return Reason.HELPER_MAX, [year, month]
    return None, [year, month]


def _count_issued(periods: list[BudgetPeriod], amount: int) -> None:
    """Compare-and-set, one UPDATE for all the periods: a period's total moves only while it stays
    within its cap; if one does not, the error rolls the whole credit back."""
    within = Q(cap__isnull=True) | Q(issued__lte=F("cap") - amount)
    updated = (
        BudgetPeriod.objects.filter(pk__in=[period.pk for period in periods])
        .filter(within if amount > 0 else Q())
        .update(issued=F("issued") + amount)
    )
    if updated != len(periods):
        raise PointsError(_("付与上限を超えるため付与できません。"))


# The credit's compare-and-set on its fiscal year's and month's totals, in one statement: a period's
# total moves only while it stays within its cap (the CHECK points_budgetperiod_within_cap is the last
# word); the rows it moved come back.
COUNT_SQL = """
UPDATE points_budgetperiod SET issued = issued + %(amount)s
WHERE municipality_id = %(municipality)s
  AND ((kind = 'year' AND starts_on = %(year)s) OR (kind = 'month' AND starts_on = %(month)s))
  AND (cap IS NULL OR issued + %(amount)s <= cap)
RETURNING id
"""


def _count_or_wait(
    cursor: CursorWrapper,
    attendance: Attendance,
    *,
    budget: Account,
    wallet: Account,
    policy: Policy,
    now: datetime,
) -> str | None:
    """Count the credit in its periods' totals and return None; or return why it must wait (a
    PendingCredit.Reason), counting nothing. Usually one statement (COUNT_SQL moves both periods).
    When it moves fewer (a cap is reached, or this month's row is not made yet), or a helper's monthly
    maximum is set (it needs the wallet's month), what it moved is put back and _blocked reads the
    periods (making a missing one) to say why, or counts with _count_issued."""
    amount = attendance.points
    if budget.balance < amount:
        return PendingCredit.Reason.BUDGET
    if policy.helper_monthly_max is None:
        cursor.execute(
            COUNT_SQL,
            {
                "amount": amount,
                "municipality": attendance.municipality_id,
                "year": fiscal_year_start(now),
                "month": month_start(now),
            },
        )
        counted = [pk for (pk,) in cursor.fetchall()]
        if len(counted) == 2:
            return None
        if counted:
            BudgetPeriod.objects.filter(pk__in=counted).update(issued=F("issued") - amount)
    waiting_reason, periods = _blocked(
        attendance, budget=budget, wallet=wallet, policy=policy, now=now
    )
    if waiting_reason is None:
        _count_issued(periods, amount)
    return waiting_reason


def points_settle_attendance(
    *, application_id: int, reason: str = "", now: datetime | None = None, tell: bool = True
) -> str:
    """Make the ledger agree with one attendance: credit it if it is due and not credited, reverse its
    credit (with `reason`) if it is credited and no longer due. Safe to run any number of times, at
    once or after a crash: the outcome depends only on the attendance and the ledger. Returns what was
    done: "credited", "pending", "reversed" or "nothing". `tell=False` (the demo data only) writes no
    notices."""
    now = now or timezone.now()
    # One cursor for the statements of the credit, prepared once per connection (points.prepared).
    with transaction.atomic(durable=True), prepared_cursor() as cursor:
        attendance = _lock_attendance(cursor, application_id)
        if attendance is None:
            return "nothing"
        budget, terms = _lock_budget(cursor, attendance.municipality_id, application_id)
        if attendance.due and terms.open_credit_id is None:
            return _credit(cursor, attendance, budget=budget, terms=terms, now=now, tell=tell)
        if not attendance.due:
            # No longer due: nothing waits any more.
            PendingCredit.objects.filter(
                application_id=application_id, settled_at__isnull=True
            ).update(settled_at=now)
            if terms.open_credit_id is not None:
                open_credit = Transaction.objects.get(pk=terms.open_credit_id)
                _reverse(open_credit, attendance, budget=budget, reason=reason, now=now, tell=tell)
                return "reversed"
        return "nothing"


def _credit(
    cursor: CursorWrapper,
    attendance: Attendance,
    *,
    budget: Account,
    terms: Terms,
    now: datetime,
    tell: bool,
) -> str:
    key = f"attendance:{attendance.application_id}:{terms.credits}"
    policy = terms.policy
    wallet = _lock_wallet(cursor, attendance.municipality_id, attendance.helper_id)
    waiting_reason = _count_or_wait(
        cursor, attendance, budget=budget, wallet=wallet, policy=policy, now=now
    )
    if waiting_reason is not None:
        pending, _created = PendingCredit.objects.update_or_create(
            idempotency_key=key,
            defaults={"reason": waiting_reason, "next_try_at": now + PENDING_RETRY},
            create_defaults={
                "municipality_id": attendance.municipality_id,
                "helper_id": attendance.helper_id,
                "application_id": attendance.application_id,
                "session_id": attendance.session_id,
                "amount": attendance.points,
                "reason": waiting_reason,
                "memo": attendance.memo,
                "created_at": now,
                "next_try_at": now + PENDING_RETRY,
            },
        )
        if tell:
            notices.budget_pending(pending)
        return "pending"
    expires_at = now + timedelta(days=policy.expiry_days) if policy.expiry_days else None
    tx = post(
        cursor=cursor,
        kind=TxKind.CREDIT,
        municipality_id=attendance.municipality_id,
        key=key,
        legs=[Leg(budget, -attendance.points), Leg(wallet, attendance.points)],
        now=now,
        application_id=attendance.application_id,
        session_id=attendance.session_id,
        memo=attendance.memo,
        lot=NewLot(account=wallet, amount=attendance.points, expires_at=expires_at),
    )
    if terms.issuer_kind not in (None, Issuer.Kind.WALLET):  # the internal wallet: nothing more
        issuer_on_credit(tx, wallet=wallet, amount=attendance.points)
    if terms.pending:  # it waited: settled by this credit
        PendingCredit.objects.filter(idempotency_key=key, settled_at__isnull=True).update(
            settled_at=now
        )
    if tell:
        notices.credited(
            tx,
            helper_id=attendance.helper_id,
            amount=attendance.points,
            expires_at=expires_at,
            points_name=terms.points_name,
            language=attendance.language,
        )
    return "credited"


def reversal_reason(reason: str, *, short: int) -> str:
    """A reversal's reason as recorded and told, saying how much could not be taken back."""
    if short <= 0:
        return reason
    return _("%(reason)s（%(short)d ポイントは交換・失効済みのため取り消せませんでした）") % {
        "reason": reason,
        "short": short,
    }


def _reverse(
    credit: Transaction,
    attendance: Attendance,
    *,
    budget: Account,
    reason: str,
    now: datetime,
    tell: bool,
) -> None:
    """Take the credit back from the wallet into the budget. Points the helper already redeemed or
    that expired cannot be taken back (no wallet goes below zero): the reversal takes what is left, and
    its reason says how much could not be."""
    wallet_entry = credit.entries.get(account__kind=Kind.WALLET)
    wallet = lock_account(wallet_entry.account_id)
    # The issuer first (under the wallet's lock): a point code is voided, or found redeemed.
    take = min(issuer_reversible(credit, amount=wallet_entry.amount, now=now), wallet.balance)
    reason = reversal_reason(reason, short=wallet_entry.amount - take)
    legs = [Leg(wallet, -take), Leg(budget, take)] if take else []
    tx = post(
        kind=TxKind.REVERSAL,
        municipality_id=credit.municipality_id,
        key=f"reversal:{credit.pk}",
        legs=legs,
        now=now,
        reverses=credit,
        application_id=credit.application_id,
        session_id=credit.session_id,
        memo=credit.memo,
        reason=reason,
    )
    if take:
        take_from_lots(wallet, take, first=Lot.objects.filter(credit=credit).first())
        _count_issued(list(_periods(credit.municipality_id, credit.created_at, None)), -take)
    issuer_on_reversal(tx, credit=credit, amount=take)
    if tell:
        notices.credit_reversed(tx, helper_id=attendance.helper_id, amount=take)


def points_request_settlement(
    *, session_id: int, application_id: int | None = None, reason: str = ""
) -> SettleRequest:
    """Called by portal inside the transaction that closes a session (or corrects the attendance of a
    closed one): records the work and hands it to a worker after the commit. With the broker down the
    row waits for the retry job."""
    request = SettleRequest.objects.create(
        session_id=session_id, application_id=application_id, reason=reason[:300]
    )
    pk = request.pk
    transaction.on_commit(lambda: _enqueue_settle(pk), robust=True)
    return request


def _enqueue_settle(request_id: int) -> None:
    from points import tasks  # tasks imports this module

    try:
        tasks.settle.delay(request_id)
    except Exception as exc:  # kombu's OperationalError, redis' ConnectionError, a timeout
        log.warning("points settle %s not queued, the retry job will do it: %r", request_id, exc)


def _session_application_ids(session_id: int) -> list[int]:
    application_model = apps.get_model("portal", "Application")
    ids = set(
        application_model.objects.filter(
            session_id=session_id, status__in=("attended", "no_show")
        ).values_list("pk", flat=True)
    ) | {
        pk
        for pk in Transaction.objects.filter(session_id=session_id).values_list(
            "application_id", flat=True
        )
        if pk is not None
    }
    return sorted(ids)


def points_settle_request(*, request_id: int) -> dict[str, int]:
    """Do one settle request: each attendance in its own transaction, so a crash in the middle keeps
    what was done and a re-run does the rest. Marked done at the end; doing it again is harmless."""
    request = SettleRequest.objects.filter(pk=request_id).first()
    if request is None or request.done_at is not None:
        return {}
    if request.application_id is not None:
        ids = [request.application_id]
    else:
        ids = _session_application_ids(request.session_id)
    outcomes: dict[str, int] = {}
    with many_messages():
        for application_id in ids:
            outcome = points_settle_attendance(application_id=application_id, reason=request.reason)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    SettleRequest.objects.filter(pk=request_id, done_at=None).update(done_at=timezone.now())
    return outcomes


def points_retry_requests(*, now: datetime | None = None, limit: int = 100) -> int:
    """The beat job's first half: settle requests not done a while after they were written (their
    task was lost), each claimed by moving its next try forward (skip_locked)."""
    now = now or timezone.now()
    done = 0
    while done < limit:
        due = SettleRequest.objects.filter(
            done_at__isnull=True, next_try_at__lte=now - SETTLE_GRACE
        )
        if (request := _claim(due, until=now + PENDING_RETRY)) is None:
            break
        points_settle_request(request_id=request.pk)
        done += 1
    return done


def _claim[Row: (SettleRequest, PendingCredit)](
    due: QuerySet[Row], *, until: datetime
) -> Row | None:
    """The first of the due rows that no other worker holds, its next try moved to `until`, in a
    transaction of its own (skip_locked: a second beat takes the next row)."""
    with transaction.atomic(durable=True):
        row = due.select_for_update(skip_locked=True).order_by("next_try_at", "pk").first()
        if row is not None:
            row.next_try_at = until
            row.save(update_fields=["next_try_at"])
    return row


def points_retry_pending(*, now: datetime | None = None, limit: int = 500) -> int:
    """The beat job: try the pending credits that are due again, one per transaction, each claimed by
    moving its next try forward (skip_locked: a second beat takes other rows). Returns how many were
    tried."""
    now = now or timezone.now()
    tried = 0
    with many_messages():
        while tried < limit:
            due = PendingCredit.objects.filter(settled_at__isnull=True, next_try_at__lte=now)
            if (pending := _claim(due, until=now + PENDING_RETRY)) is None:
                break
            points_settle_attendance(application_id=pending.application_id, now=now)
            tried += 1
    return tried


def budget_fund(
    *,
    municipality_id: int,
    source: str,
    amount: int,
    key: str,
    actor: User | None,
    now: datetime | None = None,
) -> Transaction:
    """Move `amount` from a funding source (一般財源, 交付金, 企業版ふるさと納税) into the municipality's
    budget; a negative amount takes unspent budget back to its source. `key` (one per form or import
    line) makes a repeated submit harmless: the same key returns the first transaction."""
    now = now or timezone.now()
    if not source.strip():
        raise PointsError(_("財源を入力してください。"))
    if amount == 0:
        raise PointsError(_("0 以外の金額を入力してください。"))
    with transaction.atomic(durable=True):
        existing = Transaction.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        budget = account(municipality_id=municipality_id, kind=Kind.BUDGET, lock=True)
        if budget.balance + amount < 0:
            raise PointsError(
                _("予算の残高（%(balance)d）より多くは戻せません。") % {"balance": budget.balance}
            )
        source_account = account(
            municipality_id=municipality_id, kind=Kind.SOURCE, name=source.strip()
        )
        return post(
            kind=TxKind.FUNDING,
            municipality_id=municipality_id,
            key=key,
            legs=[Leg(source_account, -amount), Leg(budget, amount)],
            now=now,
            actor=actor,
            memo=source.strip(),
        )


def wallet_redeem(
    *,
    wallet_code: str,
    municipality_id: int,
    amount: int,
    key: str,
    actor: User,
    memo: str = "",
    now: datetime | None = None,
) -> Transaction:
    """Staff record that a helper exchanged points for local goods (wallet → redeemed). The wallet is
    found by its code (scanned from the helper's QR or typed) within the staff's municipality only.
    `key` comes from the form, so a double submit redeems once."""
    now = now or timezone.now()
    code = "".join(ch for ch in wallet_code.upper() if ch.isalnum())
    if amount <= 0:
        raise PointsError(_("1 以上のポイント数を入力してください。"), field="amount")
    with transaction.atomic(durable=True):
        existing = Transaction.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        wallet = (
            Account.objects.select_for_update()
            .filter(code=code, kind=Kind.WALLET, municipality_id=municipality_id)
            .first()
        )
        if wallet is None:
            raise PointsError(_("このコードのウォレットが見つかりません。"), field="code")
        if wallet.balance < amount:
            raise PointsError(
                _("残高（%(balance)d）が足りません。") % {"balance": wallet.balance},
                field="amount",
            )
        redeemed = account(municipality_id=municipality_id, kind=Kind.REDEEMED)
        tx = post(
            kind=TxKind.REDEMPTION,
            municipality_id=municipality_id,
            key=key,
            legs=[Leg(wallet, -amount), Leg(redeemed, amount)],
            now=now,
            actor=actor,
            memo=memo,
        )
        take_from_lots(wallet, amount)
        return tx


def points_expire_due(*, now: datetime | None = None, limit: int = 1000, tell: bool = True) -> dict:
    """The beat job: warn helpers a month before points expire, and expire what is left of the lots
    whose time has come (wallet → expired). One lot per transaction; a lot is taken only under its
    wallet's lock, claimed with skip_locked, and read again there, so a second beat running at the
    same time takes other lots or finds nothing left to expire."""
    now = now or timezone.now()
    expired = warned = 0
    skipped: set[int] = set()
    while expired + warned < limit:
        lot = (
            Lot.objects.filter(remaining__gt=0, expires_at__isnull=False)
            .filter(
                Q(expires_at__lte=now) | Q(expires_at__lte=now + EXPIRY_WARNING, warned_at=None)
            )
            .exclude(pk__in=skipped)
            .order_by("expires_at", "pk")
            .values_list("pk", "account_id")
            .first()
        )
        if lot is None:
            break
        lot_id, wallet_id = lot
        with transaction.atomic(durable=True):
            wallet = (
                Account.objects.select_for_update(skip_locked=True).filter(pk=wallet_id).first()
            )
            row = Lot.objects.filter(pk=lot_id, remaining__gt=0).select_related("credit").first()
            if wallet is None or row is None:
                skipped.add(lot_id)
                continue
            if row.expires_at is not None and row.expires_at <= now:
                post(
                    kind=TxKind.EXPIRY,
                    municipality_id=wallet.municipality_id,
                    key=f"expiry:lot:{row.pk}",
                    legs=[
                        Leg(wallet, -row.remaining),
                        Leg(
                            account(municipality_id=wallet.municipality_id, kind=Kind.EXPIRED),
                            row.remaining,
                        ),
                    ],
                    now=now,
                    memo=row.credit.memo,
                )
                Lot.objects.filter(pk=row.pk).update(remaining=0)
                expired += 1
            else:
                if Lot.objects.filter(pk=row.pk, warned_at=None).update(warned_at=now):
                    if tell:
                        notices.expiring_soon(row, wallet=wallet)
                    warned += 1
    return {"expired": expired, "warned": warned}
