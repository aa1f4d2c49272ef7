"""The local-currency ledger (台帳): accounts, append-only balanced transactions, and the rows that say
what is due later (pending credits, wallet lots that expire).

Double entry: every movement is a `Transaction` whose `Entry` rows sum to zero. On PostgreSQL a deferred
constraint trigger checks that sum at commit and other triggers refuse any UPDATE or DELETE of entries and
transactions (migration 0002); on SQLite (the embedded default) only points.services checks it in Python.
A correction is a new transaction that `reverses` an older one; nothing is edited in place.

Where points live (Account.Kind): a municipality's funding sources (一般財源, 交付金, 企業版ふるさと納税: they
go negative as they fund), its budget, each helper's wallet per municipality, redeemed (exchanged for
goods) and expired. The sum over all accounts is always zero.

`Account.balance` is a cache of the sum of its entries, updated by the same statement that writes them
(points.services); `points.selectors.ledger_mismatches` compares the two, and the CHECK
`points_account_no_overdraft` keeps budgets and wallets from going below zero whatever the code does.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Municipality

# Letters and digits nobody confuses when reading a code aloud or typing it (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_wallet_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


class Account(models.Model):
    class Kind(models.TextChoices):
        SOURCE = "source", _("財源")
        BUDGET = "budget", _("予算")
        WALLET = "wallet", _("ウォレット")
        REDEEMED = "redeemed", _("交換済み")
        EXPIRED = "expired", _("失効")

    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="points_accounts",
        verbose_name=_("自治体"),
    )
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_wallets",
        verbose_name=_("お手伝いさん"),
    )
    # A funding source's name (一般財源); empty for the other kinds.
    name = models.CharField(_("名前"), max_length=50, blank=True)
    # Shown as the wallet's QR and typed by staff at the 関係案内所 to record a redemption.
    code = models.CharField(
        _("ウォレットコード"), max_length=10, unique=True, default=new_wallet_code
    )
    balance = models.BigIntegerField(_("残高"), default=0)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("作成日時"))

    class Meta:
        verbose_name = _("口座")
        verbose_name_plural = _("口座")
        constraints = [
            # Helper first: it also serves "a helper's wallets" (the wallet page).
            models.UniqueConstraint(
                fields=["helper", "municipality"],
                condition=Q(kind="wallet"),
                name="points_account_one_wallet",
            ),
            models.UniqueConstraint(
                fields=["municipality", "kind", "name"],
                condition=~Q(kind="wallet"),
                name="points_account_one_per_name",
            ),
            models.CheckConstraint(
                condition=Q(kind="wallet", helper__isnull=False)
                | (~Q(kind="wallet") & Q(helper__isnull=True)),
                name="points_account_helper_iff_wallet",
            ),
            # Only a funding source goes below zero (it is where the points came from).
            models.CheckConstraint(
                condition=Q(kind="source") | Q(balance__gte=0),
                name="points_account_no_overdraft",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.WALLET:
            return f"{self.get_kind_display()} {self.helper_id} ({self.municipality_id})"
        return f"{self.get_kind_display()} {self.name} ({self.municipality_id})".replace("  ", " ")


class Transaction(models.Model):
    """One balanced movement. `idempotency_key` makes every writer safe to retry: a credit for an
    attendance is `attendance:<application id>:<n>` (n counts earlier credits of it that were reversed),
    so a task delivered twice writes one row and the second insert hits the unique constraint."""

    class Kind(models.TextChoices):
        FUNDING = "funding", _("予算の計上")
        CREDIT = "credit", _("付与")
        REVERSAL = "reversal", _("取消")
        REDEMPTION = "redemption", _("交換")
        EXPIRY = "expiry", _("失効")

    kind = models.CharField(_("種類"), max_length=12, choices=Kind.choices)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="points_transactions",
        verbose_name=_("自治体"),
    )
    idempotency_key = models.CharField(max_length=120, unique=True, verbose_name=_("重複防止キー"))
    # The attendance a credit or its reversal is for, as plain ids: points never joins portal's tables.
    application_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("応募ID"))
    session_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("開催日ID"))
    # What the helper's statement shows (the program and date, or the place of a redemption).
    memo = models.CharField(_("内容"), max_length=200, blank=True)
    reason = models.CharField(_("理由"), max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
        verbose_name=_("取り消した取引"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作した人"),
    )
    created_at = models.DateTimeField(_("日時"), default=timezone.now)

    class Meta:
        verbose_name = _("取引")
        verbose_name_plural = _("取引")
        indexes = [
            # points.services._open_credit: the credits of one attendance.
            models.Index(fields=["application_id"], name="points_tx_application"),
            # Staff's ledger page and the month figures: a municipality's transactions in a period.
            models.Index(fields=["municipality", "created_at"], name="points_tx_municipality_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.idempotency_key}"


class Entry(models.Model):
    """One side of a transaction: a signed amount on one account. Never updated or deleted."""

    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="entries", verbose_name=_("取引")
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", verbose_name=_("口座")
    )
    amount = models.BigIntegerField(_("金額"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("作成日時"))

    class Meta:
        verbose_name = _("仕訳")
        verbose_name_plural = _("仕訳")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="points_entry_nonzero"),
        ]
        indexes = [
            # A wallet's statement: its newest entries first (points.selectors.WALLETS_SQL).
            models.Index(
                fields=["account", "-created_at", "-id"], name="points_entry_account_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d}"


class Policy(models.Model):
    """A municipality's rules for its points. Without a row: no monthly cap, no per-helper maximum,
    points expire after DEFAULT_EXPIRY_DAYS."""

    DEFAULT_EXPIRY_DAYS = 180

    municipality = models.OneToOneField(
        Municipality,
        on_delete=models.PROTECT,
        related_name="points_policy",
        verbose_name=_("自治体"),
    )
    monthly_cap = models.PositiveIntegerField(
        _("月の付与上限"), null=True, blank=True, help_text=_("空欄なら上限なし")
    )
    helper_monthly_max = models.PositiveIntegerField(
        _("1人あたりの月の付与上限"), null=True, blank=True, help_text=_("空欄なら上限なし")
    )
    expiry_days = models.PositiveIntegerField(
        _("有効期限（日）"), null=True, blank=True, default=DEFAULT_EXPIRY_DAYS,
        help_text=_("空欄なら失効しません"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("ポイントの設定")
        verbose_name_plural = _("ポイントの設定")

    def __str__(self) -> str:
        return str(self.municipality)


class BudgetPeriod(models.Model):
    """How much may be credited in one fiscal year (April-March) or one month, and how much was
    (`issued`: credits less their reversals, kept by compare-and-set in the credit's transaction)."""

    class Kind(models.TextChoices):
        YEAR = "year", _("年度")
        MONTH = "month", _("月")

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="points_budget_periods",
        verbose_name=_("自治体"),
    )
    kind = models.CharField(_("期間"), max_length=5, choices=Kind.choices)
    starts_on = models.DateField(_("開始日"))
    cap = models.PositiveBigIntegerField(
        _("付与上限"), null=True, blank=True, help_text=_("空欄なら上限なし")
    )
    issued = models.BigIntegerField(_("付与済み"), default=0)

    class Meta:
        verbose_name = _("予算期間")
        verbose_name_plural = _("予算期間")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "kind", "starts_on"], name="points_budgetperiod_one"
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(issued__lte=F("cap")),
                name="points_budgetperiod_within_cap",
            ),
            models.CheckConstraint(condition=Q(issued__gte=0), name="points_budgetperiod_issued"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.get_kind_display()} {self.starts_on}"


class Lot(models.Model):
    """The points one credit put in a wallet, and how many of them are left. Redemptions take from the
    lots that expire first; the expiry job (a beat, claiming due lots with skip_locked) expires what is
    left and, a month before, tells the helper. The wallet's balance equals the sum of `remaining`."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="lots", verbose_name=_("口座")
    )
    credit = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, related_name="lot", verbose_name=_("付与")
    )
    amount = models.PositiveBigIntegerField(verbose_name=_("ポイント"))
    remaining = models.BigIntegerField(verbose_name=_("残り"))
    expires_at = models.DateTimeField(_("有効期限"), null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("失効予告の日時"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("amount")),
                name="points_lot_remaining_in_range",
            ),
        ]
        indexes = [
            # The expiry job and its warning: lots with points left, by due time.
            models.Index(
                fields=["expires_at"], condition=Q(remaining__gt=0), name="points_lot_due"
            ),
            # Redemptions and reversals: a wallet's lots with points left, soonest expiry first; and
            # the wallet page's points left per expiry day (points.selectors.WALLETS_SQL), read from
            # the index alone (`remaining` included).
            models.Index(
                fields=["account", "expires_at"],
                include=["remaining"],
                condition=Q(remaining__gt=0),
                name="points_lot_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.remaining}/{self.amount}"


class PendingCredit(models.Model):
    """A credit that could not be made when it was due (the budget is short, a cap is reached, the
    helper's monthly maximum is used up). Nothing is dropped: the row waits, staff are told, and the
    retry job (a beat) tries it again until it is credited or no longer due (the attendance was
    corrected)."""

    class Reason(models.TextChoices):
        BUDGET = "budget", _("予算の残高不足")
        YEAR_CAP = "year_cap", _("年度の付与上限")
        MONTH_CAP = "month_cap", _("月の付与上限")
        HELPER_MAX = "helper_max", _("1人あたりの月の上限")

    idempotency_key = models.CharField(max_length=120, unique=True, verbose_name=_("重複防止キー"))
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="points_pending",
        verbose_name=_("自治体"),
    )
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("お手伝いさん"),
    )
    application_id = models.BigIntegerField(verbose_name=_("応募ID"))
    session_id = models.BigIntegerField(verbose_name=_("開催日ID"))
    amount = models.PositiveBigIntegerField(_("ポイント"))
    reason = models.CharField(_("理由"), max_length=12, choices=Reason.choices)
    memo = models.CharField(_("内容"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("作成日時"))
    next_try_at = models.DateTimeField(default=timezone.now, verbose_name=_("次に試す日時"))
    # Set once: credited, or no longer due.
    settled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("処理した日時"))

    class Meta:
        verbose_name = _("保留中の付与")
        verbose_name_plural = _("保留中の付与")
        indexes = [
            # The retry job: unsettled rows by due time.
            models.Index(
                fields=["next_try_at"],
                condition=Q(settled_at__isnull=True),
                name="points_pending_due",
            ),
        ]

    def __str__(self) -> str:
        return self.idempotency_key


class SettleRequest(models.Model):
    """Work for the points worker, written in the transaction that makes it due (portal closing a
    session, or correcting a closed session's attendance), like an outbox row: the task sent after the
    commit does it, and if that task is lost (Redis restarted, broker down) the retry job finds the row.
    Doing it twice is harmless (points_settle_attendance is idempotent)."""

    session_id = models.BigIntegerField(verbose_name=_("開催日ID"))
    # Set for a correction of one attendance; empty for a whole closed session.
    application_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("応募ID"))
    reason = models.CharField(max_length=300, blank=True, verbose_name=_("理由"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("作成日時"))
    next_try_at = models.DateTimeField(default=timezone.now, verbose_name=_("次に試す日時"))
    done_at = models.DateTimeField(null=True, blank=True, verbose_name=_("完了日時"))

    class Meta:
        indexes = [
            # The retry job: requests not done yet, by due time.
            models.Index(
                fields=["next_try_at"], condition=Q(done_at__isnull=True), name="points_settle_due"
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.session_id} application {self.application_id}"


class Issuer(models.Model):
    """Where a municipality's points go (points.issuers). Without a row: the internal wallet, redeemed
    by staff at the 関係案内所. `codes`: each credit makes a one-time PointCode. `operator`: each credit is pushed to the operator's HTTP API (an
    OperatorPush row), the helper's account there being their wallet code unless `account_map` (a
    JSON object, wallet code to the operator's account) says otherwise."""

    class Kind(models.TextChoices):
        WALLET = "wallet", _("内部ウォレット")
        OPERATOR = "operator", _("外部事業者（API）")
        CODES = "codes", _("ポイントコード（QRチケット）")

    municipality = models.OneToOneField(
        Municipality,
        on_delete=models.PROTECT,
        related_name="points_issuer",
        verbose_name=_("自治体"),
    )
    kind = models.CharField(_("ポイントの行き先"), max_length=10, choices=Kind.choices)
    operator_url = models.URLField(_("事業者のURL"), blank=True)
    api_key = models.CharField(_("APIキー"), max_length=200, blank=True)
    account_map = models.JSONField(_("口座の対応"), default=dict, blank=True)

    class Meta:
        verbose_name = _("ポイントの行き先")
        verbose_name_plural = _("ポイントの行き先")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="operator") | ~Q(operator_url=""),
                name="points_issuer_operator_url",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.get_kind_display()}"

    def operator_account(self, wallet_code: str) -> str:
        return str(self.account_map.get(wallet_code, wallet_code))


class OperatorPush(models.Model):
    """One credit to send to the municipality's operator, written in the credit's own transaction
    (an outbox row). The sender claims a due row by a conditional UPDATE, sends the credit's
    idempotency key as a header (the operator folds repeats), and records the operator's reference
    once: a late or second answer for the same key changes nothing.

    A reversal of a pushed credit is a push of its own (`reverses` the credit's push, a negative
    `amount`, the reversal's idempotency key), sent only once the credit's push is confirmed: the
    operator never sees a cancellation before the credit it cancels."""

    class State(models.TextChoices):
        PENDING = "pending", _("未確認")
        CONFIRMED = "confirmed", _("確認済み")
        FAILED = "failed", _("送信失敗")

    transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, related_name="operator_push"
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="points_operator_pushes",
        verbose_name=_("自治体"),
    )
    account = models.CharField(_("事業者の口座"), max_length=100)
    # Signed: a credit's push is positive, its reversal's (a cancellation) negative.
    amount = models.BigIntegerField(_("ポイント"))
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal_push",
        verbose_name=_("取り消す送信"),
    )
    state = models.CharField(_("状態"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("送信回数"), default=0)
    next_try_at = models.DateTimeField(default=timezone.now)
    operator_reference = models.CharField(_("事業者の受付番号"), max_length=100, blank=True)
    last_error = models.CharField(_("最後のエラー"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("作成日時"))
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("事業者への送信")
        verbose_name_plural = _("事業者への送信")
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="confirmed") | ~Q(operator_reference=""),
                name="points_push_confirmed_has_reference",
            ),
            # A credit is pushed as a positive amount; only a reversal's push is negative.
            models.CheckConstraint(
                condition=Q(amount__gt=0, reverses__isnull=True)
                | Q(amount__lt=0, reverses__isnull=False),
                name="points_push_sign",
            ),
        ]
        indexes = [
            # The sweep: unconfirmed rows by due time.
            models.Index(
                fields=["next_try_at"], condition=Q(state="pending"), name="points_push_due"
            ),
            # The reconciliation page: a municipality's unconfirmed credits.
            models.Index(
                fields=["municipality", "created_at"],
                condition=~Q(state="confirmed"),
                name="points_push_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.state}"


def new_point_code() -> str:
    # 12 characters of a 31-letter alphabet: about 59 bits, unguessable; printed as 4-4-4.
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))


class PointCode(models.Model):
    """A one-time point code (a printed QR ticket) for a credit of a 'codes' municipality, for operators
    without an API. Redeeming it moves its points from the helper's wallet to redeemed, once: the
    ledger side is keyed `code:<code>`, the code's side is a conditional UPDATE of `redeemed_at`.
    A reversal of its credit voids it (`voided_at`) if it is not redeemed yet; a voided code is never
    redeemed. Both happen under the lock of the code's wallet (points.codes, points.issuers)."""

    code = models.CharField(_("コード"), max_length=12, unique=True, default=new_point_code)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="points_codes",
        verbose_name=_("自治体"),
    )
    credit = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="point_code")
    wallet = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveBigIntegerField(_("ポイント"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("作成日時"))
    redeemed_at = models.DateTimeField(_("交換日時"), null=True, blank=True)
    voided_at = models.DateTimeField(_("無効にした日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("ポイントコード")
        verbose_name_plural = _("ポイントコード")
        constraints = [
            models.CheckConstraint(
                condition=Q(redeemed_at__isnull=True) | Q(voided_at__isnull=True),
                name="points_code_redeemed_or_voided",
            ),
        ]
        indexes = [
            # The export: a municipality's codes neither redeemed nor voided.
            models.Index(
                fields=["municipality", "created_at"],
                condition=Q(redeemed_at__isnull=True, voided_at__isnull=True),
                name="points_code_open",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def printed(self) -> str:
        return f"{self.code[:4]}-{self.code[4:8]}-{self.code[8:]}"
