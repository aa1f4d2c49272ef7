"""Writes for accounts. Each function is one transaction."""

from django.db import transaction

from accounts import postal
from accounts.images import StoredFiles
from accounts.models import HelperProfile, User


def _home_area(postal_code: str) -> tuple[str, str]:
    if not postal_code:
        return "", ""
    address = postal.lookup(postal_code)
    return address.prefecture, address.city


@transaction.atomic
def helper_profile_create(*, user: User, display_name: str, postal_code: str = "") -> HelperProfile:
    prefecture, city = _home_area(postal_code)
    profile, _created = HelperProfile.objects.update_or_create(
        user=user,
        defaults={
            "display_name": display_name,
            "postal_code": postal_code,
            "home_prefecture": prefecture,
            "home_municipality": city,
        },
    )
    return profile


def helper_profile_update(*, profile: HelperProfile, data: dict) -> HelperProfile:
    """Save a validated profile form's data; the home area always follows the postal code. A new
    photo is written before the transaction and removed if it fails."""
    with StoredFiles() as stored:
        data = stored.save_uploads(HelperProfile, data)
        with transaction.atomic():
            for field, value in data.items():
                setattr(profile, field, value)
            profile.home_prefecture, profile.home_municipality = _home_area(profile.postal_code)
            profile.save()
            return profile
