"""Reads about people that other apps show."""

from datetime import datetime

from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.models import HelperProfile, User


def public_name(user: User) -> str:
    """How a helper is named to hosts and to the other participants: their display name only, never
    their email or full name (which str(user) gives)."""
    profile = getattr(user, "helper_profile", None)
    return (profile.display_name if profile else "") or _("（表示名未設定）")


def user_display(user: User) -> str:
    """How allauth's messages and pages name the person signed in (ACCOUNT_USER_DISPLAY): the helper's
    display name, else their name, and their email address only when they have neither yet."""
    profile = getattr(user, "helper_profile", None)
    return (profile.display_name if profile else "") or user.name or user.email


# An alphabet without look-alikes (no 0/O, 1/I/L), as the check-in codes use.
_TAG_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def name_tag(profile: HelperProfile) -> str:
    """A short tag that tells two helpers with one display name apart on a roster: the same for a
    profile on every roster and in every year (it comes from the profile's id, keyed with the
    secret key so that it does not give the id away)."""
    digest = salted_hmac("accounts.helper-name-tag", str(profile.pk)).digest()
    return "".join(_TAG_ALPHABET[byte % len(_TAG_ALPHABET)] for byte in digest[:4])


def age_band(profile: HelperProfile, when: datetime) -> str:
    """The helper's age as a decade (20代) in the year of `when`: only the birth year is known (the
    eligibility rule counts the same way). Empty when the profile has no birth year."""
    if not profile.birth_year:
        return ""
    age = timezone.localtime(when).year - profile.birth_year
    return _("%(decade)d代") % {"decade": age // 10 * 10}


def member_names(organization_id: int) -> list[str]:
    """The names of the people who act for an organisation, as its own members and staff see them
    (their name, else their display name): who must confirm its drafts."""
    members = User.objects.filter(organization_memberships__organization_id=organization_id)
    return [
        user.name or public_name(user)
        for user in members.select_related("helper_profile").order_by("pk")
    ]
