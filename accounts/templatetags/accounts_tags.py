from django import template

from accounts.text import with_honorific

register = template.Library()


@register.filter
def honorific(name: str) -> str:
    """The name with さん, unless it already has an honorific (accounts.text.with_honorific)."""
    return with_honorific(str(name))
