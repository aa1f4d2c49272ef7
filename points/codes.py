"""One-time point codes (QR tickets) for a 'codes' municipality, whose operator has no API: each credit
makes a code for its points (points.issuers.issuer_on_credit, in the credit's transaction); staff
print the codes not redeemed yet (an A4 PDF of QR tickets, or CSV) and hand them to the operator or the
helper; the code is redeemed once.

Redeeming is one transaction under the lock of the code's wallet: the code is read again there,
refused if it is redeemed or voided (a reversal of its credit voids it under the same lock), the
ledger moves its points from the wallet to redeemed under the key `code:<code>` (unique: a second
redemption cannot write it), and a conditional UPDATE marks the code redeemed where it is neither
redeemed nor voided. Two redemptions at once: the second waits for the lock and is told the code is
used; a reversal at the same moment either voids the code first (then it is not redeemed) or finds it
redeemed (then the reversal takes nothing back).
"""

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from points import services
from points.ledger import Leg, account, lock_account, post, take_from_lots
from points.models import CODE_ALPHABET, Account, PointCode, Transaction


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
        .values_list("pk", "wallet_id")
        .first()
    )
    if found is None:
        raise services.PointsError(_("このポイントコードは見つかりません。"), field="code")
    code_id, wallet_id = found
    with transaction.atomic(durable=True):
        wallet = lock_account(wallet_id)
        point_code = PointCode.objects.get(pk=code_id)  # read under the wallet's lock
        if point_code.voided_at is not None:
            raise services.PointsError(
                _("このポイントコードは付与が取り消されたため無効です。"), field="code"
            )
        if point_code.redeemed_at is not None:
            raise services.PointsError(_("このポイントコードは交換済みです。"), field="code")
        if wallet.balance < point_code.amount:
            raise services.PointsError(
                _("残高（%(balance)d）が足りません。") % {"balance": wallet.balance},
                field="code",
            )
        post(
            kind=Transaction.Kind.REDEMPTION,
            municipality_id=municipality_id,
            key=f"code:{point_code.code}",
            legs=[
                Leg(wallet, -point_code.amount),
                Leg(
                    account(municipality_id=municipality_id, kind=Account.Kind.REDEEMED),
                    point_code.amount,
                ),
            ],
            now=now,
            actor=actor,
            memo=_("ポイントコード %(code)s") % {"code": point_code.printed},
        )
        take_from_lots(wallet, point_code.amount)
        marked = PointCode.objects.filter(
            pk=code_id, redeemed_at__isnull=True, voided_at__isnull=True
        ).update(redeemed_at=now)
        if not marked:  # cannot happen under the lock; refuse rather than redeem twice
            raise services.PointsError(_("このポイントコードは交換済みです。"), field="code")
    point_code.redeemed_at = now
    return point_code


def open_codes(*, municipality_id: int) -> QuerySet[PointCode]:
    """The export: codes neither redeemed nor voided, oldest first."""
    return (
        PointCode.objects.filter(
            municipality_id=municipality_id, redeemed_at__isnull=True, voided_at__isnull=True
        )
        .select_related("credit", "wallet__helper")
        .order_by("created_at", "pk")
    )
