"""Reads for the public pages that show what happens where: the home page, a municipality's page and a
nushi's page (programs with places left, activity reports, helpers' impressions, thank-yous). Public
fields only: never a nushi's phone or address, never a helper's real name (portal/permissions.py)."""

import datetime as dt
import itertools
from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Municipality, Organization
from portal.models import ActivityReport, Impression, Program, ThankYou
from portal.permissions import (
    public_impressions,
    public_nushi,
    public_programs,
    public_thank_yous,
)
from portal.selectors.programs import (
    LIST_FIELDS,
    PREFIX_FACTOR,
    ListedProgram,
    _first_per_program,
    listing_sessions,
)
from portal.selectors.reports import public_reports


def upcoming_cards(*, limit: int, **scope: int) -> list[ListedProgram]:
    """Up to `limit` programs with places left, by their next such session (the listing's plan and
    cards, one query); `scope`: municipality_id= or nushi_id=."""
    sessions = listing_sessions({"open_only": True}).filter(
        **{f"program__{key}": value for key, value in scope.items()}
    )
    return _first_per_program(sessions.values_list(*LIST_FIELDS)[: limit * PREFIX_FACTOR])[:limit]


def latest_reports(*, limit: int, **scope: int) -> list[ActivityReport]:
    """The newest published activity reports with their photos (two queries); `scope` as above."""
    return list(
        public_reports().filter(**{f"program__{key}": value for key, value in scope.items()})[
            :limit
        ]
    )


@dataclass(slots=True)
class PublicImpression:
    body: str
    display_name: str  # the helper's display name (表示名), never their real name
    attended_on: dt.date


def program_impressions(program_id: int, *, limit: int = 6) -> list[PublicImpression]:
    """The newest impressions of a program's helpers that they allowed to be published (one query)."""
    rows = (
        public_impressions(Impression.objects.filter(application__session__program_id=program_id))
        .order_by("-created_at", "-pk")
        .values_list(
            "body", "application__helper__helper_profile__display_name",
            "application__session__starts_at",
        )[:limit]
    )  # fmt: skip
    return [
        PublicImpression(body, name or "", timezone.localdate(starts_at))
        for body, name, starts_at in rows
    ]


# --- a municipality's page --------------------------------------------------------------------

MUNICIPALITY_FIELDS = (
    "name", "prefecture", "slug", "site_name", "helper_brand_name", "points_name", "contact_email",
    "contact_phone",
)  # fmt: skip


def public_municipality(slug: str) -> Municipality:
    return get_object_or_404(Municipality.objects.only(*MUNICIPALITY_FIELDS), slug=slug)


@dataclass(slots=True)
class CalendarEntry:
    program_id: int
    title: str
    starts_at: dt.datetime
    places_left: int


CALENDAR_DAYS = 60
CALENDAR_ENTRIES = 30


def municipality_calendar(municipality_id: int) -> list[tuple[dt.date, list[CalendarEntry]]]:
    """The municipality's sessions open to applications in the coming CALENDAR_DAYS, by day (one
    query, at most CALENDAR_ENTRIES sessions)."""
    now = timezone.now()
    rows = (
        listing_sessions({})
        .filter(program__municipality_id=municipality_id, starts_at__lt=now + dt.timedelta(days=CALENDAR_DAYS))
        .values_list("program_id", "program__title", "starts_at", "capacity", "places_taken")
    )[:CALENDAR_ENTRIES]  # fmt: skip
    entries = [
        CalendarEntry(pk, title, starts_at, max(capacity - taken, 0))
        for pk, title, starts_at, capacity, taken in rows
    ]
    return [
        (day, list(group))
        for day, group in itertools.groupby(entries, key=lambda e: timezone.localdate(e.starts_at))
    ]


# --- a nushi's page ---------------------------------------------------------------------------


def public_nushi_page(pk: int) -> Organization:
    """A nushi hosting at least one public program, with its municipality and district; else 404. Only
    the public fields are read (not the phone, postal code or address)."""
    return get_object_or_404(
        public_nushi(Organization.objects.select_related("municipality", "district")).only(
            "name", "kind", "description", "district__name",
            *(f"municipality__{field}" for field in ("name", "prefecture", "slug", "site_name")),
        ),
        pk=pk,
    )  # fmt: skip


def nushi_programs(nushi_id: int, *, limit: int = 30) -> QuerySet[Program]:
    """Every public program of the nushi, newest first, with what a short list shows."""
    return public_programs(Program.objects.filter(nushi_id=nushi_id)).only(
        "title", "summary", "status", "category", "published_at"
    )[:limit]


def nushi_thank_yous(nushi_id: int, *, limit: int = 5) -> list[ThankYou]:
    return list(
        public_thank_yous(ThankYou.objects.filter(session__program__nushi_id=nushi_id))
        .select_related("session__program")
        .only("body", "created_at", "session__starts_at", "session__program__title")
        .order_by("-created_at", "-pk")[:limit]
    )
