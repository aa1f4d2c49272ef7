"""Which municipality a page of the marketplace belongs to, for the brand of a helper's account emails
(accounts.branding, which knows nothing of programs: portal.apps registers this resolver there)."""

from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

from accounts.models import Municipality
from portal.models import Program

# url name -> how its keyword arguments name the municipality.
_BY_SLUG = {"municipality_page", "contact_municipality", "contact_sent"}
_BY_PROGRAM = {"program_detail", "session_ics"}
_BY_SESSION = {"application_apply"}


def municipality_of_path(path: str) -> int | None:
    """The municipality of a town page, a program page or a session's apply page; None for any other
    address (or one that names nothing)."""
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    kwargs = match.kwargs
    if match.url_name in _BY_SLUG:
        towns = Municipality.objects.filter(slug=kwargs["slug"])
        return towns.values_list("pk", flat=True).first()
    if match.url_name in _BY_PROGRAM:
        programs = Program.objects.filter(pk=kwargs["pk"])
    elif match.url_name in _BY_SESSION:
        programs = Program.objects.filter(sessions__pk=kwargs["session_pk"])
    else:
        return None
    return programs.values_list("municipality_id", flat=True).first()
