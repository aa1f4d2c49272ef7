from django import template
from django.utils.safestring import mark_safe

from accounts.selectors import public_name as _public_name
from portal.demo import photos as demo_photos
from portal.selectors.sessions import checkin_open as _checkin_open
from portal.selectors.sessions import checkin_opens_at as _checkin_opens_at
from portal.structured_data import json_ld, program_events

register = template.Library()


@register.filter
def public_name(user) -> str:
    """A helper's display name, never their email or full name (accounts.selectors.public_name)."""
    return _public_name(user)


@register.simple_tag(takes_context=True)
def program_json_ld(context, program, sessions) -> str:
    """<script type="application/ld+json"> with the program's upcoming sessions as schema.org Events
    (a data block: browsers do not run it, so it needs no CSP nonce and may sit in a cached fragment)."""
    events = program_events(
        program, sessions, url=context.get("absolute_url", ""), image=context.get("og_image", "")
    )
    if not events:
        return ""
    # Safe: json_ld escapes <, > and & (as json_script does), so nothing can close the element.
    return mark_safe(f'<script type="application/ld+json">{json_ld(events)}</script>')  # noqa: S308


@register.filter
def photo_credit(name) -> str:
    """The credit line for a picture by its stored name: the demo's generated illustrations say so;
    uploaded photos carry none (the municipality owns them)."""
    return str(demo_photos.CREDIT) if demo_photos.is_demo_photo(str(name or "")) else ""


@register.filter
def checkin_open(session) -> bool:
    """Whether the 受付 button shows for this session now (portal.selectors.sessions.checkin_open)."""
    return _checkin_open(session)


@register.filter
def checkin_opens_at(session):
    return _checkin_opens_at(session)


@register.simple_tag
def sessions_by_time(sessions, now) -> dict:
    """A program's sessions for its page: the upcoming first, by date (cancelled ones too, marked),
    then the past ones, the latest first."""
    sessions = list(sessions)
    past = sorted((s for s in sessions if s.starts_at <= now), key=lambda s: s.starts_at)
    return {
        "upcoming": sorted((s for s in sessions if s.starts_at > now), key=lambda s: s.starts_at),
        "past": past[::-1],
    }
