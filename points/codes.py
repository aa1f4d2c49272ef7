"""One-time point codes (QR tickets) for a 'codes' municipality, whose operator has no API: each credit
makes a code for its points (points.issuers.issuer_on_credit, in the credit's transaction); staff
print the codes not redeemed yet (an A4 PDF of QR tickets, or CSV) and hand them to the operator or the
helper; the code is redeemed once.

Redeeming is two steps, each safe to repeat: the ledger moves the points from the wallet to redeemed
under the key `code:<code>` (points.services.wallet_redeem: a second call finds that transaction), then
a conditional UPDATE marks the code redeemed where it is not yet. Two redemptions at once: one wins the
UPDATE, the other is told the code is already used; a crash between the steps is healed by redeeming
again.
"""

from datetime import datetime

from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from points import services
from points.models import CODE_ALPHABET, PointCode, Transaction


def normalize(typed: str) -> str:
    """What staff typed or scanned, as stored: upper case, dashes and spaces out."""
    return "".join(ch for ch in typed.upper() if ch in CODE_ALPHABET)


def point_code_redeem(
    *, code: str, municipality_id: int, actor: User, now: datetime | None = None
) -> PointCode:
    """Redeem a code of this municipality once. Raises services.PointsError with a message."""
    now = now or timezone.now()
    found = (
        PointCode.objects.filter(code=normalize(code), municipality_id=municipality_id)
        .select_related("wallet")
        .first()
    )
    if found is None:
        raise services.PointsError(_("このポイントコードは見つかりません。"), field="code")
    if found.redeemed_at is not None:
        raise services.PointsError(_("このポイントコードは交換済みです。"), field="code")
    key = f"code:{found.code}"
    try:
        services.wallet_redeem(
            wallet_code=found.wallet.code,
            municipality_id=municipality_id,
            amount=found.amount,
            key=key,
            actor=actor,
            memo=_("ポイントコード %(code)s") % {"code": found.printed},
            now=now,
        )
    except IntegrityError:
        pass  # a redemption of this code at the same moment wrote the ledger first
    except services.PointsError:
        if not Transaction.objects.filter(idempotency_key=key).exists():
            raise  # the wallet is short (a credit was reversed): said as is
    if not PointCode.objects.filter(pk=found.pk, redeemed_at__isnull=True).update(redeemed_at=now):
        raise services.PointsError(_("このポイントコードは交換済みです。"), field="code")
    found.redeemed_at = now
    return found


def open_codes(*, municipality_id: int) -> QuerySet[PointCode]:
    """The export: codes not redeemed yet, oldest first."""
    return (
        PointCode.objects.filter(municipality_id=municipality_id, redeemed_at__isnull=True)
        .select_related("credit", "wallet__helper")
        .order_by("created_at", "pk")
    )
