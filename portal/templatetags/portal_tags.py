from django import template
from django.utils.safestring import mark_safe

from accounts.selectors import public_name as _public_name
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
