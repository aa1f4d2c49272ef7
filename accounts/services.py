"""Writes for accounts. Each function is one transaction."""

from django.core.cache import cache
from django.db import transaction

from accounts import pages, postal
from accounts.branding import municipality_of_path
from accounts.images import StoredFiles
from accounts.models import Consent, HelperProfile, Municipality, PageText, SignupOrigin, User


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


@transaction.atomic
def consent_record(*, user: User, versions: dict[str, int]) -> None:
    """Record that `user` accepted these versions of the terms and the privacy policy (at signup, or on
    the consent page). Accepting a version twice (two tabs) records it once."""
    for document, version in versions.items():
        Consent.objects.get_or_create(user=user, document=document, version=version)


def consent_record_many(*, user_ids: list[int], versions: dict[str, int]) -> None:
    """consent_record for many people at once: demo and bench data made in bulk."""
    Consent.objects.bulk_create(
        [
            Consent(user_id=user_id, document=document, version=version)
            for user_id in user_ids
            for document, version in versions.items()
        ],
        ignore_conflicts=True,
    )


def page_text_save(
    *,
    municipality: Municipality,
    kind: str,
    title: str,
    body: str,
    material_change: bool,
    actor: User,
) -> PageText:
    """Save a municipality's own text of a page. For the terms and the privacy policy a material change
    takes the next version above every one in use, so that everyone is asked to accept again; any other
    edit keeps the version in force (a typo fixed asks nobody)."""
    with transaction.atomic(durable=True):
        # The municipality's row serialises two staff members saving the same page at once.
        Municipality.objects.select_for_update().get(pk=municipality.pk)
        text = PageText.objects.filter(municipality=municipality, kind=kind).first()
        if text is None:
            text = PageText(municipality=municipality, kind=kind)
        if kind in Consent.Document.values:
            in_force = pages.versions_in_force()[kind]
            text.version = in_force + 1 if material_change else in_force
        text.title = title
        text.body = body
        text.updated_by = actor
        text._history_user = actor  # type: ignore[attr-defined]  # simple_history reads it
        text.save()
        transaction.on_commit(lambda: cache.delete(pages.VERSIONS_CACHE_KEY))
    return text


@transaction.atomic
def signup_origin_record(*, user: User, path: str | None) -> None:
    """At signup: the municipality whose page `path` (the signup's `next` address) is, if any, for
    the brand of the helper's account emails (accounts.branding)."""
    municipality_id = municipality_of_path(path)
    if municipality_id is not None:
        SignupOrigin.objects.get_or_create(user=user, defaults={"municipality_id": municipality_id})
