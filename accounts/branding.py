"""Whose name an account email (allauth's: confirm the address, reset the password, ...) carries:
a municipality's brand (its site name, e.g. ヒダスケ！, and the place, 岐阜県飛騨市) or the portal's,
お互いさま. The rule, in order:

1. staff of exactly one municipality: that municipality;
2. a member of nushi organisations, all of one municipality: that municipality;
3. a helper who signed up from a municipality's page (its town page, one of its programs, a session's
   apply page: the `next` address of the signup, recorded as a SignupOrigin): that one;
4. otherwise (staff of several towns, a nushi in several, a helper from the portal's own pages, an
   address with no account): お互いさま.

Which municipality a page belongs to is the marketplace's knowledge: portal registers the resolver
(`register_path_resolver`, portal.apps), so that accounts knows nothing of programs."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.models import Municipality, Organization, SignupOrigin, StaffMembership, User

# path -> the pk of the municipality whose page it is, or None.
PathResolver = Callable[[str], int | None]
_path_resolvers: list[PathResolver] = []


def register_path_resolver(resolver: PathResolver) -> None:
    if resolver not in _path_resolvers:
        _path_resolvers.append(resolver)


def municipality_of_path(path: str | None) -> int | None:
    """The municipality whose page `path` is (a signup's `next` address), or None."""
    if not path:
        return None
    for resolver in _path_resolvers:
        if (found := resolver(path)) is not None:
            return found
    return None


@dataclass(frozen=True)
class MailBrand:
    """`name`: the subject prefix's and the sender's name; `signature`: the line that signs the mail
    above the portal's own."""

    name: str
    signature: str
    municipality: Municipality | None = None


def _one(ids: set[int]) -> int | None:
    return next(iter(ids)) if len(ids) == 1 else None


def brand_municipality(user: User | None) -> Municipality | None:
    """The municipality whose brand `user`'s account emails carry (the module's rule), or None."""
    if user is None or user.pk is None:
        return None
    chosen = _one(
        set(StaffMembership.objects.filter(user=user).values_list("municipality_id", flat=True))
    )
    if chosen is None:
        nushi_towns = set(
            Organization.objects.filter(memberships__user=user).values_list(
                "municipality_id", flat=True
            )
        )
        chosen = _one(nushi_towns)
    if chosen is None:
        chosen = (
            SignupOrigin.objects.filter(user=user).values_list("municipality_id", flat=True).first()
        )
    return Municipality.objects.filter(pk=chosen).first() if chosen is not None else None


def mail_brand(user: User | None) -> MailBrand:
    municipality = brand_municipality(user)
    if municipality is None:
        return MailBrand(
            name=portal_name(), signature=_("お互いさま — 地域の困りごとと、手伝いたい人をつなぐ")
        )
    name = municipality.site_name or str(municipality)
    return MailBrand(
        name=name,
        signature=_("%(brand)s（%(town)sの事務局）") % {"brand": name, "town": str(municipality)},
        municipality=municipality,
    )


def portal_name() -> str:
    return _("お互いさま")


def branded_from_email(brand: MailBrand) -> str:
    """DEFAULT_FROM_EMAIL with the brand as the sender's name (the address stays the portal's:
    it is the one the mail server may send as)."""
    from email.utils import formataddr, parseaddr

    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((brand.name, address))
