"""Reads about people that other apps show."""

from django.utils.translation import gettext as _

from accounts.models import User


def public_name(user: User) -> str:
    """How a helper is named to hosts and to the other participants: their display name only, never
    their email or full name (which str(user) gives)."""
    profile = getattr(user, "helper_profile", None)
    return (profile.display_name if profile else "") or _("（表示名未設定）")
