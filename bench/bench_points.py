"""ledger_credit and wallet_balance.

ledger_credit: 10,000 attendance credits through the service, as the Celery task that follows a
session's close does them (points_settle_request: one transaction per attendance, its notice
included), session after session on one connection, in credits/s. Each run makes its own closed
sessions of 100 attended applications and their settle requests (a program marked BENCH_PREFIX; the
ledger is append-only, so a run adds its rows and deletes nothing). Floor: the same ledger rows
(transaction, two entries, two balance updates, the lot) written by raw SQL, one transaction per
credit, on the same connection. The two take turns, a session's 100 credits each, so that both meet
the same load (on a shared machine the floor alone swung between 290 and 480 credits/s from one run
to the next).

wallet_balance: a regular helper's wallet (_regular_helper: two years of fortnightly visits, about a
hundred entries; the large demo's ledger is topped up to 1,000,000 entries with 1-point budget
fundings if it holds fewer): their balance, last 20 entries and the points left per expiry day as the
wallet page reads them (points.selectors.helper_wallets), in ms. Floor: one
hand-written query for the balance and the last 20 entries. The two are timed call by call in turn
(the median of each)."""

import os
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from bench.harness import emit

BENCH_PREFIX = "bench-points"
CREDITS = int(os.environ.get("BENCH_POINTS_CREDITS", "10000"))
PER_SESSION = 100
ENTRIES = 1_000_000


def _world(run: str) -> tuple[list[int], list[int]]:
    """CREDITS attended applications in closed sessions of this run, ids in order, and a settle
    request per session (as closing it records one)."""
    from accounts.models import HelperProfile, Municipality, Organization
    from points import services
    from points.models import SettleRequest
    from portal.models import Application, Program, Session

    municipality = Municipality.objects.order_by("pk").first()
    organization, _ = Organization.objects.get_or_create(
        municipality=municipality, name=f"{BENCH_PREFIX} 団体"
    )
    program, _ = Program.objects.get_or_create(
        nushi=organization, title=BENCH_PREFIX,
        defaults={"municipality": municipality, "category": "farming", "status": "published",
                  "published_at": timezone.now(), "points_per_participant": 500},
    )  # fmt: skip
    helpers = list(
        HelperProfile.objects.order_by("pk").values_list("user_id", flat=True)[:PER_SESSION]
    )
    # Far in the past, one day per session per run, so no bench session overlaps another.
    base = timezone.now() - timedelta(days=3000 + (int(run) % 1000) * (CREDITS // PER_SESSION + 1))
    sessions = Session.objects.bulk_create(
        Session(program=program, starts_at=base + timedelta(days=i), ends_at=base + timedelta(days=i, hours=3),
                apply_deadline=base + timedelta(days=i - 2), capacity=PER_SESSION, status="closed",
                places_taken=PER_SESSION)
        for i in range(CREDITS // PER_SESSION)
    )  # fmt: skip
    apps = Application.objects.bulk_create(
        Application(session=s, helper_id=h, status="attended") for s in sessions for h in helpers
    )
    services.budget_fund(
        municipality_id=municipality.pk, source="ベンチ", amount=2 * 500 * CREDITS, actor=None,
        key=f"bench:fund:{run}",
    )  # the service's credits and the floor's  # fmt: skip
    requests = SettleRequest.objects.bulk_create(SettleRequest(session_id=s.pk) for s in sessions)
    return [a.pk for a in apps], [r.pk for r in requests]


def _floor(
    run: str, municipality_id: int, budget_id: int, wallet_ids: list[int], start: int
) -> float:
    """PER_SESSION credits by raw SQL, numbered from `start`; the seconds they took."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for i in range(start, start + PER_SESSION):
            wallet_id = wallet_ids[i % len(wallet_ids)]
            with transaction.atomic():
                cursor.execute(
                    "INSERT INTO points_transaction (kind, municipality_id, idempotency_key, application_id,"
                    " session_id, memo, reason, created_at) VALUES ('credit', %s, %s, NULL, NULL, %s, '', now())"
                    " RETURNING id",
                    [municipality_id, f"bench-floor:{run}:{i}", BENCH_PREFIX],
                )
                tx_id = cursor.fetchone()[0]
                cursor.execute(
                    "INSERT INTO points_entry (transaction_id, account_id, amount, created_at)"
                    " VALUES (%s, %s, -500, now()), (%s, %s, 500, now())",
                    [tx_id, budget_id, tx_id, wallet_id],
                )
                cursor.execute(
                    "UPDATE points_account SET balance = balance - 500 WHERE id = %s", [budget_id]
                )
                cursor.execute(
                    "UPDATE points_account SET balance = balance + 500 WHERE id = %s", [wallet_id]
                )
                cursor.execute(
                    "INSERT INTO points_lot (account_id, credit_id, amount, remaining, expires_at)"
                    " VALUES (%s, %s, 500, 500, now() + interval '180 days')",
                    [wallet_id, tx_id],
                )
    return time.perf_counter() - started


def run_ledger_credit() -> None:
    from notifications.services import site_url
    from points import services
    from points.models import Account, Transaction

    run = str(int(time.time()))
    ids, requests = _world(run)
    site_url("points_wallet")  # the URLconf is imported once per process, not per credit
    service_s = floor_s = 0.0
    floor_accounts: tuple[int, int, list[int]] | None = None
    for n, request_id in enumerate(requests):
        started = time.perf_counter()
        services.points_settle_request(request_id=request_id)
        service_s += time.perf_counter() - started
        if floor_accounts is None:  # the first session's credits made the wallets
            tx = Transaction.objects.get(kind="credit", application_id=ids[0])
            budget = Account.objects.get(municipality_id=tx.municipality_id, kind="budget")
            wallets = Account.objects.filter(
                kind="wallet", entries__transaction__application_id__in=ids[:PER_SESSION]
            )
            floor_accounts = (
                tx.municipality_id,
                budget.pk,
                list(wallets.values_list("pk", flat=True)),
            )
        floor_s += _floor(run, *floor_accounts, start=n * PER_SESSION)
    credited = Transaction.objects.filter(kind="credit", application_id__in=ids).count()
    if credited != len(ids):
        raise RuntimeError(f"ledger_credit: {credited} credits for {len(ids)} attendances")
    emit("ledger_credit", len(ids) / service_s, "credits/s", len(ids) / floor_s, credits=len(ids))


def _top_up_entries() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM points_entry")
        have = cursor.fetchone()[0]
        if have >= ENTRIES:
            return have
        from accounts.models import Municipality
        from points.ledger import account

        municipality_id = Municipality.objects.order_by("pk").values_list("pk", flat=True).first()
        source = account(municipality_id=municipality_id, kind="source", name="ベンチ")
        budget = account(municipality_id=municipality_id, kind="budget")
        n = (ENTRIES - have + 1) // 2
        with transaction.atomic():
            cursor.execute(
                """
                WITH tx AS (
                    INSERT INTO points_transaction (kind, municipality_id, idempotency_key, memo, reason, created_at)
                    SELECT 'funding', %s, 'bench:filler:' || g || ':' || extract(epoch FROM now()), 'ベンチ', '',
                           now() - interval '4000 days'
                    FROM generate_series(1, %s) g RETURNING id
                )
                INSERT INTO points_entry (transaction_id, account_id, amount, created_at)
                SELECT id, %s, -1, now() - interval '4000 days' FROM tx
                UNION ALL SELECT id, %s, 1, now() - interval '4000 days' FROM tx
                """,
                [municipality_id, n, source.pk, budget.pk],
            )
            cursor.execute(
                "UPDATE points_account SET balance = balance - %s WHERE id = %s", [n, source.pk]
            )
            cursor.execute(
                "UPDATE points_account SET balance = balance + %s WHERE id = %s", [n, budget.pk]
            )
        cursor.execute("ANALYZE points_entry")
        cursor.execute("SELECT count(*) FROM points_entry")
        return cursor.fetchone()[0]


FLOOR_SQL = """
SELECT a.balance, e.amount, e.created_at, t.kind, t.memo, t.reason
FROM points_account a
LEFT JOIN LATERAL (
    SELECT * FROM points_entry e WHERE e.account_id = a.id ORDER BY e.created_at DESC, e.id DESC LIMIT 20
) e ON true
LEFT JOIN points_transaction t ON t.id = e.transaction_id
WHERE a.kind = 'wallet' AND a.helper_id = %s
"""


REGULAR = "bench-regular@example.jp"


def _regular_helper() -> int:
    """A helper who has come every other week for two years (made once, with the ledger's own
    functions): 52 credits of 500 points expiring after 180 days, those past it expired, a
    redemption every fourth month; about a hundred entries, thirteen lots with points left. (The
    helpers of ledger_credit are no model: each run credits the same hundred of them a hundred times
    on one day, so the most entries in the ledger belong to one of them, with a hundred open lots per
    run behind them.)"""
    from accounts.models import Municipality, User
    from points.ledger import Leg, NewLot, account, post, take_from_lots
    from points.models import Lot

    municipality_id = Municipality.objects.order_by("pk").values_list("pk", flat=True).first()
    start = timezone.now() - timedelta(days=2 * 365)
    with transaction.atomic():  # the helper and the whole history, or nothing
        helper, created = User.objects.get_or_create(email=REGULAR, defaults={"name": "常連さん"})
        if not created:
            return helper.pk
        budget = account(municipality_id=municipality_id, kind="budget", lock=True)
        wallet = account(municipality_id=municipality_id, kind="wallet", helper_id=helper.pk)
        expired = account(municipality_id=municipality_id, kind="expired")
        redeemed = account(municipality_id=municipality_id, kind="redeemed")
        for n in range(52):
            moment = start + timedelta(days=14 * n)
            for lot in Lot.objects.filter(account=wallet, remaining__gt=0, expires_at__lte=moment):
                post(
                    kind="expiry",
                    municipality_id=municipality_id,
                    key=f"{REGULAR}:expiry:{lot.pk}",
                    legs=[Leg(wallet, -lot.remaining), Leg(expired, lot.remaining)],
                    now=lot.expires_at,
                )
                Lot.objects.filter(pk=lot.pk).update(remaining=0)  # fmt: skip
            post(kind="credit", municipality_id=municipality_id, key=f"{REGULAR}:credit:{n}",
                 legs=[Leg(budget, -500), Leg(wallet, 500)], now=moment, memo=f"{BENCH_PREFIX} {n}",
                 lot=NewLot(account=wallet, amount=500, expires_at=moment + timedelta(days=180)))  # fmt: skip
            if n % 8 == 7:
                post(
                    kind="redemption",
                    municipality_id=municipality_id,
                    key=f"{REGULAR}:redeem:{n}",
                    legs=[Leg(wallet, -300), Leg(redeemed, 300)],
                    now=moment + timedelta(days=1),
                )
                take_from_lots(wallet, 300)  # fmt: skip
    return helper.pk


def run_wallet_balance() -> None:
    from points import selectors

    entries = _top_up_entries()
    helper_id = _regular_helper()

    def service():
        wallets = selectors.helper_wallets(helper_id=helper_id)
        assert wallets and len(wallets[0].statement) <= 20

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [helper_id])
            cursor.fetchall()

    value, floor_ms = _interleaved_median_ms(service, floor, runs=200)
    (wallet,) = selectors.helper_wallets(helper_id=helper_id)
    emit("wallet_balance", value, "ms", floor_ms, entries=entries,
         helper_entries=wallet.account.entries.count(), expiry_days=len(wallet.expiring))  # fmt: skip


def _interleaved_median_ms(
    service: Callable[[], object], floor: Callable[[], object], *, runs: int, warmup: int = 5
) -> tuple[float, float]:
    """The median of each, their calls alternating: on a shared machine the load drifts between two
    series run one after the other (a sub-millisecond call measured seconds apart), so each service
    call is timed next to a floor call, under the same load."""
    for _ in range(warmup):
        service()
        floor()
    service_ms, floor_ms = [], []
    for _ in range(runs):
        started = time.perf_counter()
        service()
        service_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        floor()
        floor_ms.append((time.perf_counter() - started) * 1000)
    return statistics.median(service_ms), statistics.median(floor_ms)


def run() -> None:
    run_ledger_credit()
    run_wallet_balance()
