"""Every message about points, one function per kind (the pattern of portal/notices.py). points may not
import portal, so these call notifications.services.notify() directly (the layers contract lets points
use notifications). Each is written in the transaction of the ledger change that causes it, once per
(recipient, kind, object): a retried credit never tells anyone twice."""

from django.utils import timezone

from accounts.models import Municipality
from accounts.permissions import municipality_staff_ids
from notifications.kinds import Kind
from notifications.services import notify, site_url
from points.models import Account, Lot, PendingCredit, Transaction


def _points_name(municipality_id: int) -> str:
    return (
        Municipality.objects.filter(pk=municipality_id)
        .values_list("points_name", flat=True)
        .first()
        or ""
    )


def credited_context(
    *, municipality_id: int, amount: int, memo: str, expires_at, points_name: str | None = None
) -> dict:
    """The context of「500 さるぼぼコインを受け取りました」(also rendered on staff's correction page)."""
    return {
        "amount": amount,
        "points_name": _points_name(municipality_id) if points_name is None else points_name,
        "memo": memo,
        # The day (Asia/Tokyo) is what the message says: the same text for everyone credited together.
        "expires_on": timezone.localdate(expires_at) if expires_at is not None else None,
        "url": site_url("points_wallet"),
    }


def reversed_context(*, municipality_id: int, amount: int, memo: str, reason: str) -> dict:
    """The context of a reversal's message (also rendered on staff's correction page)."""
    return {
        "amount": amount,
        "points_name": _points_name(municipality_id),
        "memo": memo,
        "reason": reason,
        "url": site_url("points_wallet"),
    }


def credited(
    tx: Transaction,
    *,
    helper_id: int,
    amount: int,
    expires_at,
    points_name: str | None = None,
    language: str = "",
) -> None:
    """「500 さるぼぼコインを受け取りました」. The credit path passes the points name and the helper's
    language it read with its locks (None, "": read here)."""
    notify(
        recipient_id=helper_id,
        municipality_id=tx.municipality_id,
        kind=Kind.POINTS_CREDITED,
        object_key=f"points:{tx.idempotency_key}",
        context=credited_context(
            municipality_id=tx.municipality_id,
            amount=amount,
            memo=tx.memo,
            expires_at=expires_at,
            points_name=points_name,
        ),
        language=language,
        new_object=True,  # the credit's idempotency key is unique: its notice cannot exist yet
    )


def credit_reversed(tx: Transaction, *, helper_id: int, amount: int) -> None:
    notify(
        recipient_id=helper_id,
        municipality_id=tx.municipality_id,
        kind=Kind.POINTS_REVERSED,
        object_key=f"points:{tx.idempotency_key}",
        context=reversed_context(
            municipality_id=tx.municipality_id, amount=amount, memo=tx.memo, reason=tx.reason
        ),
    )


def expiring_soon(lot: Lot, *, wallet: Account) -> None:
    notify(
        recipient_id=wallet.helper_id or 0,  # a lot is always in a wallet
        municipality_id=wallet.municipality_id,
        kind=Kind.POINTS_EXPIRING,
        object_key=f"points:lot:{lot.pk}",
        context={
            "amount": lot.remaining,
            "points_name": _points_name(wallet.municipality_id),
            "expires_at": lot.expires_at,
            "url": site_url("points_wallet"),
        },
    )


def budget_pending(pending: PendingCredit) -> None:
    """Staff of the municipality: credits for a session wait. One alert per session and reason, read
    fully as plain text (the 三層分離 gateways strip the rest), linking to the signed-in ledger page."""
    waiting = PendingCredit.objects.filter(session_id=pending.session_id, settled_at__isnull=True)
    for user_id in sorted(municipality_staff_ids(pending.municipality_id)):
        notify(
            recipient_id=user_id,
            municipality_id=pending.municipality_id,
            kind=Kind.POINTS_PENDING,
            object_key=f"points:pending:session:{pending.session_id}:{pending.reason}",
            context={
                "memo": pending.memo,
                "reason": pending.reason,  # a code: the template words it in the recipient's language
                "waiting": waiting.count(),
                "amount": pending.amount,
                "points_name": _points_name(pending.municipality_id),
                "url": site_url("points_ledger") + "?pending=1",
            },
        )
