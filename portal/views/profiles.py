"""A municipality's page and a nushi's page: who they are, their programs, calendar, activity reports,
helpers' thank-yous, and how to reach the municipality's office. Public, read-only."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.selectors import profiles


def municipality_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Queries: the municipality (1), programs with places left (1), the calendar (1), reports and
    their photos (2)."""
    municipality = profiles.public_municipality(slug)
    return render(
        request,
        "portal/pages/municipality.html",
        {
            "municipality": municipality,
            "upcoming": profiles.upcoming_cards(limit=12, municipality_id=municipality.pk),
            "calendar": profiles.municipality_calendar(municipality.pk),
            "latest_reports": profiles.latest_reports(limit=6, municipality_id=municipality.pk),
        },
    )


def nushi_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Queries: the nushi (1), programs with places left (1), all their public programs (1), reports
    and their photos (2), thank-yous (1)."""
    nushi = profiles.public_nushi_page(pk)
    return render(
        request,
        "portal/pages/nushi.html",
        {
            "nushi": nushi,
            "upcoming": profiles.upcoming_cards(limit=6, nushi_id=nushi.pk),
            "programs": profiles.nushi_programs(nushi.pk),
            "latest_reports": profiles.latest_reports(limit=6, nushi_id=nushi.pk),
            "thank_yous": profiles.nushi_thank_yous(nushi.pk),
        },
    )
