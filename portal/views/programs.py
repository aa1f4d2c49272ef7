"""Public pages: the program list (filters, keyword search, htmx-enhanced), the calendar, program
pages with .ics per session, and activity reports. Everything works without JavaScript."""

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django_htmx.middleware import HtmxDetails

from portal import query_params
from portal.calendars import session_calendar
from portal.forms.programs import ProgramFilterForm
from portal.maps import map_context
from portal.models import Program, Session
from portal.selectors import profiles as profiles_selectors
from portal.selectors import programs as programs_selectors
from portal.selectors import reports as reports_selectors
from portal.selectors.programs import ListingSort

# The rendered result list is the same for everyone with the same filters and page, and rendering 20
# cards costs more than the query: it is kept this long. Places left on a card may lag by as much, so a
# card gives an exact count only while it is too large to run out meanwhile (portal.selectors.programs.FEW_PLACES);
# the program page shows the live count, and the application itself checks it.
RESULTS_CACHE_SECONDS = 30


def _results_key(filters: dict, page: int, sort: str = ListingSort.DATE) -> str:
    raw = repr(sorted((k, str(v)) for k, v in filters.items())) + f"|{page}|{sort}|{get_language()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


class HtmxHttpRequest(HttpRequest):
    """A request through django-htmx's middleware, for the type checker (django-htmx's own advice)."""

    htmx: HtmxDetails


def program_list(request: HtmxHttpRequest) -> HttpResponse:
    """Queries, whatever the number of programs: the districts for the filter when they are not cached
    (1); while the rendered results are not cached, one page of sessions (1), the count of programs
    (1, unless that page's query read every match) and the page's map points (1)."""
    districts = programs_selectors.listing_districts()
    form = ProgramFilterForm(request.GET or None, districts=districts)
    filters = form.filters() if request.GET else {}
    sort = form.sort_order() if request.GET else ListingSort.DATE
    page, page_problem = query_params.listing_page(request.GET)
    problems = form.problems() if request.GET else []
    if page_problem:
        problems.append(page_problem)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "problems": problems,
        # Lazy: evaluated by the template only when the results fragment is not cached.
        "listing": programs_selectors.LazyListingPage(filters, page, sort),
        "results_key": _results_key(filters, page, sort),
        "results_seconds": RESULTS_CACHE_SECONDS,
        "page": page,
        "base_query": query.urlencode(),
        "filtered": bool(filters),
        "map_tiles": settings.MAP_TILE_URL,
        "map_attribution": settings.MAP_ATTRIBUTION,
    }
    template = "portal/programs/list.html"
    if getattr(request, "htmx", False) and request.htmx.target == "program-results":
        template += "#results"
    return render(request, template, context)


def program_calendar(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    first, adjusted = query_params.calendar_month(request.GET, today)
    earliest, latest = query_params.calendar_bounds(today)
    weeks = programs_selectors.calendar_month(first.year, first.month)
    prev_month = (first - dt.timedelta(days=1)).replace(day=1) if first > earliest else None
    next_month = (first + dt.timedelta(days=32)).replace(day=1) if first < latest else None
    return render(
        request,
        "portal/programs/calendar.html",
        {
            "weeks": weeks,
            "first": first,
            "prev_month": prev_month,
            "next_month": next_month,
            "adjusted": adjusted,
        },
    )


# The program page's article (sessions with places left, story, photos, reports) is cached for this long
# per program version (updated_at moves on every edit, transition, photo and report change) and per
# version of its sessions (read live by the head query), so places left on the page are never stale.
PAGE_CACHE_SECONDS = 30


def program_page_context(
    program: Program, article: Program | Callable[[], Program], *, page_seconds: int
) -> dict[str, Any]:
    """What templates/portal/programs/detail.html needs, for the public page and the nushi's preview
    alike. `program` fills the head and the cache key; `article` (the program, or a callable that
    reads it whole) fills the cached article."""
    return {
        "program": program,
        "article": article,
        "site_name": programs_selectors.municipality_site_name(program.municipality_id),
        "now": timezone.now(),
        "map_tiles": settings.MAP_TILE_URL,
        "map_attribution": settings.MAP_ATTRIBUTION,
        "published_reports": reports_selectors.published_reports_of(program),
        "impressions": lambda: profiles_selectors.program_impressions(program.pk),
        "page_seconds": page_seconds,
        **map_context(program),
    }


def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One narrow query while the article is cached (PAGE_CACHE_SECONDS); on a miss the article reads
    the whole program, its sessions, photos and reports."""
    program = programs_selectors.public_program_head(pk)
    return render(
        request,
        "portal/programs/detail.html",
        {
            **program_page_context(
                program,
                programs_selectors.full_program_of(program),
                page_seconds=PAGE_CACHE_SECONDS,
            ),
            # An online program's link and instructions, outside the cached article: only for
            # those who may see them (none of this is read for a visitor who is not signed in).
            "online_program": programs_selectors.program_online_details(request.user, program.pk)
            if program.is_online and request.user.is_authenticated
            else None,
            "absolute_url": request.build_absolute_uri(),
            "og_image": request.build_absolute_uri(program.cover_image.url)
            if program.cover_image
            else "",
        },
    )


def session_ics(request: HttpRequest, pk: int, session_pk: int) -> HttpResponse:
    """One session as an iCalendar file (カレンダーに追加)."""
    program = programs_selectors.public_program(pk)
    session = get_object_or_404(Session, pk=session_pk, program=program)
    ics = session_calendar(
        session,
        uid=f"session-{session.pk}@otagaisama",
        url=request.build_absolute_uri(reverse("program_detail", args=[program.pk])),
    )
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}.ics"'
    return response


def report_list(request: HttpRequest) -> HttpResponse:
    reports = reports_selectors.public_reports()[:30]
    return render(request, "portal/reports/list.html", {"reports": reports})


def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = reports_selectors.public_report(pk)
    return render(request, "portal/reports/detail.html", {"report": report})
