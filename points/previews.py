"""What settling one corrected attendance would do to the points, for staff's confirmation page
(portal's attendance correction): credit or reverse, how much, what the issuer does (a point code
made, voided or found redeemed; a push or a cancellation sent to the operator), and the message the
helper receives, with the context the notice itself uses. Reads only, takes no lock: the settlement
after the correction decides again under its locks (points.services), so the page can be stale by a
redemption made meanwhile, never wrong about who may act."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from notifications.kinds import Kind as NoticeKind
from points import notices
from points.models import (
    Account,
    Issuer,
    OperatorPush,
    PendingCredit,
    PointCode,
    Policy,
    Transaction,
)
from points.services import reversal_reason


@dataclass(frozen=True)
class Forecast:
    """`outcome`: "credit" (the budget allows it now), "pending" (the budget is short: it waits and
    staff are told), "reverse" or "nothing". `amount`: points that move; `short`: points of the
    credit that cannot be taken back. `issuer`: the issuer's kind for a credit, or what reaches the
    issuer for a reversal ("operator", "code_void", "code_redeemed", "" for the internal wallet).
    `notice`: the helper's message kind and context, or None."""

    outcome: str
    amount: int = 0
    short: int = 0
    issuer: str = ""
    code: str = ""
    notice: tuple[str, dict] | None = None


def settlement_forecast(
    *,
    application_id: int,
    to: str,
    reason: str,
    municipality_id: int,
    points: int,
    memo: str,
    now: datetime | None = None,
) -> Forecast:
    """`to` is the attendance after the correction ("attended" or "no_show")."""
    now = now or timezone.now()
    open_credit = (
        Transaction.objects.filter(
            application_id=application_id, kind=Transaction.Kind.CREDIT, reversal__isnull=True
        )
        .order_by("pk")
        .first()
    )
    if to == "no_show":
        return _reversal(open_credit, reason=reason) if open_credit else Forecast("nothing")
    if open_credit is not None or points <= 0:
        return Forecast("nothing")
    budget = Account.objects.filter(municipality_id=municipality_id, kind=Account.Kind.BUDGET)
    balance = budget.values_list("balance", flat=True).first() or 0
    issuer = (
        Issuer.objects.filter(municipality_id=municipality_id)
        .values_list("kind", flat=True)
        .first()
    )
    if balance < points:
        return Forecast("pending", amount=points, issuer=issuer or "")
    policy = Policy.objects.filter(municipality_id=municipality_id).first()
    expiry_days = policy.expiry_days if policy is not None else Policy().expiry_days
    expires_at = now + timedelta(days=expiry_days) if expiry_days else None
    context = notices.credited_context(
        municipality_id=municipality_id, amount=points, memo=memo, expires_at=expires_at
    )
    return Forecast(
        "credit",
        amount=points,
        issuer=issuer or "",
        notice=(NoticeKind.POINTS_CREDITED, context),
    )


def _reversal(credit: Transaction, *, reason: str) -> Forecast:
    wallet_entry = credit.entries.select_related("account").get(account__kind=Account.Kind.WALLET)
    credited = wallet_entry.amount
    reversible, issuer, printed = credited, "", ""
    code = PointCode.objects.filter(credit=credit).first()
    if code is not None:
        printed = code.printed
        if code.redeemed_at is not None:
            reversible, issuer = 0, "code_redeemed"
        else:
            issuer = "code_void"
    elif OperatorPush.objects.filter(transaction=credit).exists():
        issuer = "operator"
    take = min(reversible, wallet_entry.account.balance)
    told_reason = reversal_reason(reason, short=credited - take)
    context = notices.reversed_context(
        municipality_id=credit.municipality_id, amount=take, memo=credit.memo, reason=told_reason
    )
    return Forecast(
        "reverse",
        amount=take,
        short=credited - take,
        issuer=issuer,
        code=printed,
        notice=(NoticeKind.POINTS_REVERSED, context),
    )


def pending_credit_waits(*, application_id: int) -> bool:
    """A credit of this attendance waits for budget (a correction to no-show drops it)."""
    return PendingCredit.objects.filter(
        application_id=application_id, settled_at__isnull=True
    ).exists()
