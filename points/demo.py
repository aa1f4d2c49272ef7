"""Demo points: funded budgets, a credit for every attended application of a closed session, some
redemptions, expiries and one reversal; in a municipality whose issuer is point codes
(portal.demo.codes_town), each credit's code, the older ones redeemed. Idempotent (every row has its
idempotency key).

Small scale goes through points.services (without notices), as real credits do. The large scale's
hundreds of thousands of credits are written set-wise in SQL (PostgreSQL), the same rows the services
write: one balanced transaction per attendance (the deferred trigger checks each at commit), its lot,
the cached balances and the budget periods recomputed from the entries."""

from datetime import timedelta

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.bulk import foreign_keys_checked_at_end
from accounts.models import Municipality, User
from points import codes, services
from points.ledger import account
from points.models import Account, Issuer, PointCode, Policy, Transaction

SOURCES = [("一般財源", 2_000_000), ("交付金", 1_000_000), ("企業版ふるさと納税", 500_000)]
DEMO_EXPIRY_DAYS = 30
# In a codes municipality, codes of credits older than this were exchanged at its shops.
CODES_REDEEMED_AFTER = timedelta(days=14)
LARGE_CODE_PREFIX = "1"  # portal.demo.applications: the large scale's check-in codes
# What _seed_large writes to (their foreign keys are checked once, at the end of its transaction).
LARGE_TABLES = ("points_account", "points_transaction", "points_entry", "points_lot")


def _due_applications(*, large: bool):
    application_model = apps.get_model("portal", "Application")
    rows = application_model.objects.filter(
        status="attended",
        session__status="closed",
        session__program__points_per_participant__gt=0,
    )
    if large:
        return rows.filter(checkin_code__startswith=LARGE_CODE_PREFIX)
    return rows.exclude(checkin_code__startswith=LARGE_CODE_PREFIX)


def _fund(municipality_id: int, *, extra: int = 0, label: str = "") -> None:
    for name, amount in SOURCES:
        services.budget_fund(
            municipality_id=municipality_id, source=name, amount=amount, actor=None,
            key=f"demo:fund{label}:{municipality_id}:{name}",
        )  # fmt: skip
    if extra:
        services.budget_fund(
            municipality_id=municipality_id, source="一般財源", amount=extra, actor=None,
            key=f"demo:fund{label}:{municipality_id}:extra",
        )  # fmt: skip


def use_point_codes(*, municipality_id: int) -> None:
    """The municipality's points go out as one-time point codes (before its first credit)."""
    Issuer.objects.get_or_create(
        municipality_id=municipality_id, defaults={"kind": Issuer.Kind.CODES}
    )


def _redeem_old_codes() -> int:
    """Codes of credits older than CODES_REDEEMED_AFTER, redeemed by their municipality's staff two
    days after the credit (the newer ones stay open: the codes page has some to print)."""
    redeemed = 0
    old = PointCode.objects.filter(
        redeemed_at__isnull=True,
        voided_at__isnull=True,
        credit__created_at__lt=timezone.now() - CODES_REDEEMED_AFTER,
    ).select_related("credit")
    for code in old.order_by("pk"):
        staff = (
            User.objects.filter(staff_memberships__municipality_id=code.municipality_id)
            .order_by("pk")
            .first()
        )
        if staff is None:
            continue
        codes.point_code_redeem(
            code=code.code, municipality_id=code.municipality_id, actor=staff,
            now=code.credit.created_at + timedelta(days=2),
        )  # fmt: skip
        redeemed += 1
    return redeemed


def seed_points(*, scale: str = "small") -> dict[str, int]:
    for municipality in Municipality.objects.all():
        # Shorter than the usual 180 days, so that the demo's month of past sessions shows expiries
        # (and expiry dates close enough to be warned about).
        Policy.objects.get_or_create(
            municipality=municipality, defaults={"expiry_days": DEMO_EXPIRY_DAYS}
        )
        _fund(municipality.pk)
    made = _seed_small()
    if scale == "large":
        made["large_credits"] = _seed_large()
    return made


def _seed_small() -> dict[str, int]:
    credited = 0
    for application_id, ends_at in (
        _due_applications(large=False)
        .values_list("pk", "session__ends_at")
        .order_by("session__ends_at", "pk")
    ):
        outcome = services.points_settle_attendance(
            application_id=application_id, now=ends_at + timedelta(hours=1), tell=False
        )
        credited += outcome == "credited"
    staff = User.objects.filter(staff_memberships__isnull=False).order_by("pk").first()
    redeemed = 0
    # Every third wallet exchanged some points at the 関係案内所 (not in a codes municipality: there
    # the codes are exchanged).
    wallets = (
        Account.objects.filter(kind="wallet")
        .exclude(code__startswith=LARGE_CODE_PREFIX)
        .exclude(municipality__points_issuer__kind=Issuer.Kind.CODES)
    )
    for n, wallet in enumerate(wallets.order_by("pk")[:300]):
        key = f"demo:redeem:{wallet.pk}"
        if n % 3 or wallet.balance < 300 or staff is None:
            continue
        if Transaction.objects.filter(idempotency_key=key).exists():
            continue
        services.wallet_redeem(
            wallet_code=wallet.code, municipality_id=wallet.municipality_id, amount=300,
            key=key, actor=staff, memo="飛騨牛コロッケ",
        )  # fmt: skip
        redeemed += 1
    codes_redeemed = _redeem_old_codes()
    expired = services.points_expire_due(limit=10_000, tell=False)["expired"]
    # The demo's one reversal is a correction of attendance through portal's service
    # (portal.demo.applications.seed_attendance_correction), as staff would make it.
    return {
        "credited": credited,
        "redeemed": redeemed,
        "codes_redeemed": codes_redeemed,
        "expired": expired,
    }


def _seed_large() -> int:
    """One statement per step, in one transaction; only attendances without a credit yet."""
    due = _due_applications(large=True)
    needed = due.values("session__program__municipality_id").annotate(
        total=Sum("session__program__points_per_participant")
    )
    for row in needed:
        _fund(row["session__program__municipality_id"], extra=row["total"], label=":large")
    for municipality_id in Municipality.objects.values_list("pk", flat=True):
        account(municipality_id=municipality_id, kind=Account.Kind.EXPIRED)
    expiry_days = DEMO_EXPIRY_DAYS
    with (
        transaction.atomic(),
        foreign_keys_checked_at_end(*LARGE_TABLES),
        connection.cursor() as cursor,
    ):
        # Wallets: a code that can never be a real one (it starts with "1").
        cursor.execute(
            """
            INSERT INTO points_account (kind, municipality_id, helper_id, name, code, balance, created_at)
            SELECT DISTINCT 'wallet', p.municipality_id, a.helper_id, '',
                   '1' || upper(lpad(to_hex(p.municipality_id * 16777216 + a.helper_id), 9, '0')), 0, now()
            FROM portal_application a
            JOIN portal_session s ON s.id = a.session_id
            JOIN portal_program p ON p.id = s.program_id
            WHERE a.status = 'attended' AND s.status = 'closed' AND p.points_per_participant > 0
              AND a.checkin_code LIKE '1%%'
            ON CONFLICT DO NOTHING
            """
        )
        cursor.execute(
            """
            WITH due AS (
                SELECT a.id AS application_id, s.id AS session_id, a.helper_id, p.municipality_id,
                       p.points_per_participant AS points, s.ends_at + interval '1 hour' AS at,
                       left(p.title || ' ' || to_char(s.starts_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD'), 200) AS memo
                FROM portal_application a
                JOIN portal_session s ON s.id = a.session_id
                JOIN portal_program p ON p.id = s.program_id
                WHERE a.status = 'attended' AND s.status = 'closed' AND p.points_per_participant > 0
                  AND a.checkin_code LIKE '1%%'
                  AND NOT EXISTS (SELECT 1 FROM points_transaction t WHERE t.application_id = a.id)
            ), tx AS (
                INSERT INTO points_transaction
                    (kind, municipality_id, idempotency_key, application_id, session_id, memo, reason, created_at)
                SELECT 'credit', municipality_id, 'attendance:' || application_id || ':0', application_id,
                       session_id, memo, '', at FROM due
                RETURNING id, application_id, municipality_id, created_at
            ), legs AS (
                SELECT tx.id, tx.created_at, d.points, d.helper_id, tx.municipality_id
                FROM tx JOIN due d ON d.application_id = tx.application_id
            ), entries AS (
                INSERT INTO points_entry (transaction_id, account_id, amount, created_at)
                SELECT l.id, b.id, -l.points, l.created_at FROM legs l
                JOIN points_account b ON b.municipality_id = l.municipality_id AND b.kind = 'budget'
                UNION ALL
                SELECT l.id, w.id, l.points, l.created_at FROM legs l
                JOIN points_account w ON w.municipality_id = l.municipality_id AND w.kind = 'wallet'
                     AND w.helper_id = l.helper_id
                RETURNING transaction_id, account_id, amount
            )
            INSERT INTO points_lot (account_id, credit_id, amount, remaining, expires_at)
            SELECT e.account_id, e.transaction_id, e.amount, e.amount,
                   l.created_at + make_interval(days => %s)
            FROM entries e JOIN legs l ON l.id = e.transaction_id WHERE e.amount > 0
            """,
            [expiry_days],
        )
        made = cursor.rowcount
        # Lots past their expiry: expired, as the beat job would have done.
        cursor.execute(
            """
            WITH due AS (
                SELECT l.id AS lot_id, l.account_id, l.remaining, l.expires_at, w.municipality_id
                FROM points_lot l JOIN points_account w ON w.id = l.account_id
                WHERE l.remaining > 0 AND l.expires_at <= now()
            ), tx AS (
                INSERT INTO points_transaction
                    (kind, municipality_id, idempotency_key, memo, reason, created_at)
                SELECT 'expiry', municipality_id, 'expiry:lot:' || lot_id, '', '', expires_at FROM due
                RETURNING id, idempotency_key
            ), legs AS (
                SELECT tx.id, d.* FROM tx JOIN due d ON 'expiry:lot:' || d.lot_id = tx.idempotency_key
            ), entries AS (
                INSERT INTO points_entry (transaction_id, account_id, amount, created_at)
                SELECT id, account_id, -remaining, expires_at FROM legs
                UNION ALL
                SELECT l.id, x.id, l.remaining, l.expires_at FROM legs l
                JOIN points_account x ON x.municipality_id = l.municipality_id AND x.kind = 'expired'
            )
            UPDATE points_lot SET remaining = 0 WHERE id IN (SELECT lot_id FROM due)
            """
        )
        # The caches, from the entries.
        cursor.execute(
            """
            UPDATE points_account a SET balance = s.total
            FROM (SELECT account_id, sum(amount) AS total FROM points_entry GROUP BY account_id) s
            WHERE a.id = s.account_id AND a.balance <> s.total
            """
        )
        cursor.execute(
            """
            INSERT INTO points_budgetperiod (municipality_id, kind, starts_on, issued)
            SELECT t.municipality_id, k.kind,
                   CASE WHEN k.kind = 'month' THEN date_trunc('month', t.created_at AT TIME ZONE 'Asia/Tokyo')::date
                        ELSE (date_trunc('year', (t.created_at AT TIME ZONE 'Asia/Tokyo') - interval '3 months')
                              + interval '3 months')::date END AS starts_on,
                   -sum(e.amount)
            FROM points_transaction t
            JOIN points_entry e ON e.transaction_id = t.id
            JOIN points_account w ON w.id = e.account_id AND w.kind = 'budget'
            CROSS JOIN (VALUES ('year'), ('month')) AS k(kind)
            WHERE t.kind IN ('credit', 'reversal')
            GROUP BY 1, 2, 3
            ON CONFLICT (municipality_id, kind, starts_on) DO UPDATE SET issued = excluded.issued
            """
        )
    return made
