"""Where the points go (the municipality's Issuer): the internal wallet (redeemed by staff, see
points.services.wallet_redeem), an operator's HTTP API, or one-time point codes (points.codes).

For an operator municipality every credit writes an OperatorPush in the credit's own transaction
(`issuer_on_credit`, the one call from the credit path); after the commit a task sends it, and the
sweep (a beat) sends again what is still unconfirmed, with growing pauses. A send first claims the
row by a conditional UPDATE (pending and due; it moves `next_try_at` past the send's time-out), so two
workers never send one row at once. The credit's idempotency key goes in the `Idempotency-Key` header:
an operator that took a credit whose answer we lost (a time-out) folds the repeat and answers with
its first reference. The reference is recorded only while the row is pending, so a second answer for
the same key changes nothing.

The operator's API: `POST <operator_url>/credits` with `Authorization: Bearer <api_key>` and JSON
{"account", "amount", "memo"}; a 2xx answer carries JSON {"reference"}.

Reversals (attendance corrected to no-show after the credit was pushed): `issuer_reversible` decides
in the reversal's transaction, under the wallet's lock, what the issuer can take back, and
`issuer_on_reversal` writes what tells the issuer. For an operator, a push of its own: the same
request with a negative amount, `"cancels"` naming the credit's reference, and the reversal's own
idempotency key; it goes through the same claim, retries and sweep, but only once the credit's push
is confirmed (a cancellation never reaches the operator before its credit). For point codes, the
credit's code is voided if it is not redeemed yet; a redeemed one cannot be taken back: the reversal
takes nothing from the wallet and the reconciliation page lists it (`codes_not_taken_back`).

Reconciliation: `statement_differences` compares an operator's statement (CSV, UTF-8 or cp932) with
the credits the ledger pushed, account by account.
"""

import csv
import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from points.models import Account, Issuer, OperatorPush, PointCode, Transaction

log = logging.getLogger(__name__)
State = OperatorPush.State
# Well under the send task's time limit; a claim lasts longer than one send can.
SEND_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
CLAIM = timedelta(minutes=1)
MAX_ATTEMPTS = 12
SWEEP_LIMIT = 30


def retry_pause(attempts: int) -> timedelta:
    """After the n-th failed send: 1, 2, 4 ... minutes, at most 6 hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=6))


def issuer_on_credit(tx: Transaction, *, wallet: Account, amount: int) -> None:
    """Called by points.services in the transaction of each credit: for an operator municipality, the
    row that sends it (and the task sent after the commit); for a 'codes' one, its one-time code
    (points.codes)."""
    issuer = Issuer.objects.filter(municipality_id=tx.municipality_id).first()
    if issuer is None or issuer.kind == Issuer.Kind.WALLET:
        return
    if issuer.kind == Issuer.Kind.CODES:
        PointCode.objects.create(
            municipality_id=tx.municipality_id,
            credit=tx,
            wallet=wallet,
            amount=amount,
            created_at=tx.created_at,
        )
        return
    push = OperatorPush.objects.create(
        transaction=tx,
        municipality_id=tx.municipality_id,
        account=issuer.operator_account(wallet.code),
        amount=amount,
        created_at=tx.created_at,
        next_try_at=tx.created_at,
    )
    transaction.on_commit(lambda: _enqueue(push.pk), robust=True)


# Reversals -------------------------------------------------------------------------------------------


def issuer_reversible(credit: Transaction, *, amount: int, now: datetime) -> int:
    """How much of a credit's `amount` its issuer lets a reversal take back, called in the reversal's
    transaction under the wallet's lock. A point code not redeemed yet is voided here (all of it comes
    back); a redeemed one gives nothing back. Other issuers: all of it (an operator is told by the
    reversal's push)."""
    code = PointCode.objects.filter(credit=credit).values_list("pk", flat=True).first()
    if code is None:
        return amount
    voided = PointCode.objects.filter(
        pk=code, redeemed_at__isnull=True, voided_at__isnull=True
    ).update(voided_at=now)
    return amount if voided else 0


def issuer_on_reversal(tx: Transaction, *, credit: Transaction, amount: int) -> None:
    """Called in the reversal's transaction: if the credit was pushed to an operator, push the
    cancellation of `amount` (what the reversal took back) to the same operator account, whatever the
    municipality's issuer is now."""
    credit_push = OperatorPush.objects.filter(transaction=credit).first()
    if credit_push is None or amount <= 0:
        return
    push = OperatorPush.objects.create(
        transaction=tx,
        municipality_id=tx.municipality_id,
        account=credit_push.account,
        amount=-amount,
        reverses=credit_push,
        created_at=tx.created_at,
        next_try_at=tx.created_at,
    )
    transaction.on_commit(lambda: _enqueue(push.pk), robust=True)


# A push may be sent: a credit's at once, a reversal's once its credit's push is confirmed. EXISTS, not
# a join: a join makes Django's UPDATE `WHERE id IN (SELECT ...)`, and PostgreSQL then no longer
# rechecks `state = 'pending'` on the row a concurrent claim just changed (two workers would send).
SENDABLE = Q(reverses__isnull=True) | Q(
    Exists(OperatorPush.objects.filter(pk=OuterRef("reverses_id"), state=State.CONFIRMED))
)


def _enqueue(push_id: int) -> None:
    from points import tasks  # tasks imports this module

    try:
        tasks.push_credit.delay(push_id)
    except Exception as exc:  # broker down: the sweep sends it
        log.warning("operator push %s not queued, the sweep will send it: %r", push_id, exc)


def _claim(push_id: int, now: datetime) -> bool:
    return bool(
        OperatorPush.objects.filter(pk=push_id, state=State.PENDING, next_try_at__lte=now)
        .filter(SENDABLE)
        .update(attempts=F("attempts") + 1, next_try_at=now + CLAIM)
    )


def _send(push: OperatorPush, issuer: Issuer) -> tuple[str, str]:
    """(reference, "") when the operator took the credit, ("", error) otherwise."""
    tx = push.transaction
    payload: dict[str, object] = {"account": push.account, "amount": push.amount, "memo": tx.memo}
    if push.reverses is not None:
        payload["cancels"] = push.reverses.operator_reference
        payload["reason"] = tx.reason
    try:
        response = httpx.post(
            issuer.operator_url.rstrip("/") + "/credits",
            json=payload,
            headers={
                "Authorization": f"Bearer {issuer.api_key}",
                "Idempotency-Key": tx.idempotency_key,
            },
            timeout=SEND_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        return "", f"{type(exc).__name__}: {exc}"[:300]
    if not response.is_success:
        return "", f"HTTP {response.status_code}: {response.text[:200]}"
    try:
        reference = str(response.json()["reference"]).strip()
    except (ValueError, KeyError, TypeError):
        reference = ""
    if not reference:
        return "", f"HTTP {response.status_code}: no reference"
    return reference[:100], ""


def operator_push_send(*, push_id: int, now: datetime | None = None) -> str:
    """Send one pushed credit if it is pending and due. Returns "confirmed", "retry", "failed" or
    "skipped" (not due, already confirmed, or claimed by another worker)."""
    now = now or timezone.now()
    if not _claim(push_id, now):
        return "skipped"
    push = OperatorPush.objects.select_related("transaction", "reverses").get(pk=push_id)
    issuer = Issuer.objects.get(municipality_id=push.municipality_id)
    reference, error = _send(push, issuer)
    pending = OperatorPush.objects.filter(pk=push_id, state=State.PENDING)
    if reference:
        recorded = pending.update(
            state=State.CONFIRMED, operator_reference=reference, confirmed_at=now, last_error=""
        )
        return "confirmed" if recorded else "skipped"
    gave_up = push.attempts >= MAX_ATTEMPTS
    pending.update(
        state=State.FAILED if gave_up else State.PENDING,
        last_error=error,
        next_try_at=now + retry_pause(push.attempts),
    )
    log.warning("operator push %s attempt %s: %s", push_id, push.attempts, error)
    return "failed" if gave_up else "retry"


def operator_push_sweep(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """The beat: send the due pending rows (each claimed on its own). Returns how many were confirmed."""
    now = now or timezone.now()
    due = list(
        OperatorPush.objects.filter(state=State.PENDING, next_try_at__lte=now)
        .filter(SENDABLE)
        .order_by("next_try_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(operator_push_send(push_id=pk, now=now) == "confirmed" for pk in due)


def operator_push_retry(*, push_id: int, municipality_id: int, now: datetime | None = None) -> int:
    """Staff send a failed push again (from the reconciliation page): it becomes pending and due."""
    now = now or timezone.now()
    return OperatorPush.objects.filter(
        pk=push_id, municipality_id=municipality_id, state=State.FAILED
    ).update(state=State.PENDING, next_try_at=now)


# Reconciliation -------------------------------------------------------------------------------------


class StatementError(ValueError):
    """A statement file we cannot read, with a message for the person."""


@dataclass(frozen=True)
class Difference:
    account: str
    ledger: int
    operator: int

    @property
    def gap(self) -> int:
        return self.operator - self.ledger


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for encoding in ("utf-8", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StatementError(
        _("文字コードを読み取れません。UTF-8 か Shift_JIS（cp932）のCSVにしてください。")
    )


def read_statement(raw: bytes) -> dict[str, int]:
    """An operator's statement: a CSV with a header row naming the columns `account` (or 口座) and
    `amount` (or ポイント); one row per credit or per account. Returns the sum per account."""
    if not raw.strip():
        raise StatementError(_("ファイルが空です。"))
    rows = list(csv.reader(io.StringIO(_decode(raw))))
    header = [cell.strip().lower() for cell in rows[0]]
    try:
        account_col = next(i for i, name in enumerate(header) if name in ("account", "口座"))
        amount_col = next(i for i, name in enumerate(header) if name in ("amount", "ポイント"))
    except StopIteration:
        raise StatementError(
            _("1行目に「口座」(account) と「ポイント」(amount) の列名が必要です。")
        ) from None
    sums: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            account = row[account_col].strip()
            amount = int(row[amount_col].strip().replace(",", ""))
        except (IndexError, ValueError):
            raise StatementError(
                _("%(line)d 行目を読み取れません（口座とポイントの数値が必要です）。")
                % {"line": number}
            ) from None
        if not account:
            raise StatementError(_("%(line)d 行目に口座がありません。") % {"line": number})
        sums[account] = sums.get(account, 0) + amount
    return sums


def statement_differences(*, municipality_id: int, statement: dict[str, int]) -> list[Difference]:
    """Accounts whose sum on the operator's statement differs from the ledger's confirmed pushes."""
    ledger = dict(
        OperatorPush.objects.filter(municipality_id=municipality_id, state=State.CONFIRMED)
        .values("account")
        .annotate(total=Sum("amount"))
        .values_list("account", "total")
    )
    return [
        Difference(account=name, ledger=ledger.get(name, 0), operator=statement.get(name, 0))
        for name in sorted(ledger.keys() | statement.keys())
        if ledger.get(name, 0) != statement.get(name, 0)
    ]


def issuer_update(
    *,
    municipality_id: int,
    kind: str,
    operator_url: str,
    api_key: str,
    account_map: dict[str, str],
    actor: object,
) -> Issuer:
    """Staff of the municipality set where its points go. An empty `api_key` keeps the current one."""
    with transaction.atomic(durable=True):
        issuer = Issuer.objects.select_for_update().filter(municipality_id=municipality_id).first()
        issuer = issuer or Issuer(municipality_id=municipality_id)
        issuer.kind = kind
        issuer.operator_url = operator_url
        issuer.api_key = api_key or issuer.api_key
        issuer.account_map = account_map
        issuer.save()
        log.info("issuer of %s set to %s by %s", municipality_id, kind, getattr(actor, "pk", None))
        return issuer


def unconfirmed_pushes(*, municipality_id: int):
    """The reconciliation page: credits pushed to the operator and not confirmed, oldest first."""
    return (
        OperatorPush.objects.filter(municipality_id=municipality_id)
        .exclude(state=State.CONFIRMED)
        .select_related("transaction", "reverses")
        .order_by("created_at", "pk")
    )


def codes_not_taken_back(*, municipality_id: int):
    """The reconciliation page: point codes redeemed although their credit was reversed (the points
    had already left; the reversal took nothing back), newest first."""
    return (
        PointCode.objects.filter(
            municipality_id=municipality_id,
            redeemed_at__isnull=False,
            credit__reversal__isnull=False,
        )
        .select_related("credit__reversal", "wallet__helper")
        .order_by("-redeemed_at", "-pk")
    )
