from django import template
from django.conf import settings

from accounts.text import with_honorific

register = template.Library()


@register.filter
def honorific(name: str) -> str:
    """The name with さん, unless it already has an honorific (accounts.text.with_honorific)."""
    return with_honorific(str(name))


@register.filter
def greeting_name(user) -> str:
    """How an email greets its reader: the helper's display name, else the account's name, with さん
    (never the email address allauth's templates use); empty when neither is known."""
    profile = getattr(user, "helper_profile", None) if user else None
    name = (profile.display_name if profile else "") or getattr(user, "name", "")
    return with_honorific(name) if name.strip() else ""


@register.simple_tag
def site_url() -> str:
    """The portal's address, as links in emails use it (settings.SITE_URL)."""
    return settings.SITE_URL
