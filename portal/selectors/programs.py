"""Reads of programs: the public listing (a fixed number of queries whatever the data size), a program's page and
history, the calendar, a nushi's preview and staff's lists."""

import calendar
import datetime as dt
import re
import time
from dataclasses import dataclass
from typing import cast

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection, models
from django.db.models import Count, F, Field, QuerySet, TextField, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.categories import Category
from accounts.models import District, Municipality, User
from portal.models import Need, Program, Session
from portal.permissions import (
    can_preview_program,
    can_see_online_details,
    nushi_scope,
    public_programs,
    staff_scope,
)
from portal.search import keyword_q

PAGE_SIZE = 20


# What a listing card shows; nothing else is read (the story can be long).
LIST_FIELDS = (
    "starts_at", "capacity", "places_taken", "program_id", "program__title", "program__summary",
    "program__category", "program__is_online", "program__cover_image", "program__cover_thumbnail",
    "program__points_per_participant",
    "program__okaeshi", "program__municipality__name", "program__municipality__points_name",
    "program__district__name",
)  # fmt: skip


# A card counts places exactly only above this; at or below it says 残りわずか (its count may lag by
# views.programs.RESULTS_CACHE_SECONDS, and a few places can go in that time: the program page is live).
FEW_PLACES = 3


# How many matching sessions one listing query reads, per program wanted: enough that a prefix in date
# order almost always holds a page of distinct programs (demo data: ~1.05 sessions per program).
PREFIX_FACTOR = 3


def _local_day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def listing_sessions(filters: dict, now: dt.datetime | None = None) -> QuerySet[Session]:
    """Sessions a visitor could still join that match the filters, earliest first, with their
    program (published) joined in."""
    now = now or timezone.now()
    qs = Session.objects.filter(
        status=Session.Status.SCHEDULED,
        starts_at__gt=now,
        program__status=Program.Status.PUBLISHED,
    )
    if filters.get("date_from"):
        qs = qs.filter(starts_at__gte=_local_day_start(filters["date_from"]))
    if filters.get("date_to"):
        qs = qs.filter(starts_at__lt=_local_day_start(filters["date_to"] + dt.timedelta(days=1)))
    if filters.get("weekend"):
        # Django's week_day: 1 = Sunday, 7 = Saturday, in the current time zone (Asia/Tokyo).
        qs = qs.filter(starts_at__week_day__in=[1, 7])
    if filters.get("open_only"):
        qs = qs.filter(places_taken__lt=F("capacity"))
    if filters.get("q"):
        qs = qs.filter(keyword_q(filters["q"], "program__"))
    if filters.get("category"):
        qs = qs.filter(program__category=filters["category"])
    if filters.get("district"):
        qs = qs.filter(program__district_id=filters["district"])
    if filters.get("mode") == "online":
        qs = qs.filter(program__is_online=True)
    elif filters.get("mode") == "onsite":
        qs = qs.filter(program__is_online=False)
    return qs.order_by("starts_at", "pk")


@dataclass(slots=True)
class ListedProgram:
    """A listing card: a program and its next matching session, built from one row of plain values
    (model instances for 80 rows x 4 joined tables cost more than the query itself)."""

    pk: int
    title: str
    summary: str
    category: str
    is_online: bool
    cover_image: str
    cover_thumbnail: str
    points_per_participant: int
    okaeshi: str
    municipality_name: str
    points_name: str  # the local currency's name (さるぼぼコイン); "" for plain points
    district_name: str | None
    starts_at: dt.datetime
    places_left: int

    @property
    def few_places_left(self) -> bool:
        """Few enough places that the count may be gone by the time the visitor looks: the card,
        cached for RESULTS_CACHE_SECONDS, then says 残りわずか instead of a number that may be stale."""
        return 0 < self.places_left <= FEW_PLACES

    @property
    def category_label(self) -> str:
        return str(Category(self.category).label) if self.category in Category.values else ""

    @property
    def cover_url(self) -> str:
        """The card-sized copy; the cover itself for programs saved before thumbnails existed."""
        name = self.cover_thumbnail or self.cover_image
        return default_storage.url(name) if name else ""


def _first_per_program(rows) -> list[ListedProgram]:
    seen: dict[int, ListedProgram] = {}
    for (starts_at, capacity, taken, pk, title, summary, category, online, cover, thumbnail, points,
         okaeshi, municipality, points_name, district) in rows:  # fmt: skip
        if pk not in seen:
            seen[pk] = ListedProgram(
                pk, title, summary, category, online, cover, thumbnail, points, okaeshi, municipality,
                points_name, district, starts_at, max(capacity - taken, 0),
            )  # fmt: skip
    return list(seen.values())


class ListingSort(models.TextChoices):
    """The listing's orders: each lists a program once, by its next matching session (the card's)."""

    DATE = "date", _("開催日が近い順")
    PLACES = "places", _("空きが多い順")
    NEWEST = "new", _("新着順")


class LazyListingPage:
    """One page of the listing, queried when the template first reads it (so a cached results
    fragment costs no query)."""

    def __init__(self, filters: dict, page: int, sort: str = ListingSort.DATE):
        self.filters, self.page, self.sort = filters, page, sort
        self._result: tuple[list[ListedProgram], bool] | None = None
        self._count: int | None = None

    def _get(self) -> tuple[list[ListedProgram], bool]:
        if self._result is None:
            cards, has_next, total = program_list(self.filters, page=self.page, sort=self.sort)
            self._result, self._count = (cards, has_next), total
        return self._result

    @property
    def cards(self) -> list[ListedProgram]:
        return self._get()[0]

    @property
    def has_next(self) -> bool:
        return self._get()[1]

    @property
    def count(self) -> int:
        self._get()  # it may have read every match already, and counted them
        if self._count is None:
            self._count = program_count(self.filters)
        return self._count

    @property
    def map_points(self) -> list[dict]:
        return map_points([card.pk for card in self.cards])


def program_list(
    filters: dict,
    *,
    page: int = 1,
    sort: str = ListingSort.DATE,
    now: dt.datetime | None = None,
) -> tuple[list[ListedProgram], bool, int | None]:
    """One page of published programs that have a matching session, each with its next matching
    session, in the given order; returns (cards, has_next, total). "次へ" comes from finding one
    program more. `total`, the number of programs found, comes free when the query happened to read
    every match (a narrow search usually does), else it is None (program_count counts them).

    By date (the default, and the busiest page): grouping every upcoming session by program
    (MIN(starts_at)) reads all of them (10,000 in the large demo) on every request. Walking sessions
    in date order instead (index on starts_at) and keeping each program's first one gives the same
    order, because a program's first appearance in that walk *is* its next session. One query reads a
    prefix long enough for a page in practice; if a few programs with many sessions fill the prefix, a
    second, exact query reads them all. The other orders rank each program's sessions by date in the
    database (a window function), keep the first and sort those.
    """
    offset = (max(page, 1) - 1) * PAGE_SIZE
    if sort != ListingSort.DATE:
        return _program_list_by(filters, sort=sort, offset=offset, now=now)
    wanted = max(page, 1) * PAGE_SIZE + 1
    qs = listing_sessions(filters, now).values_list(*LIST_FIELDS)
    limit = wanted * PREFIX_FACTOR
    rows = list(qs[:limit])
    cards = _first_per_program(rows)
    complete = len(rows) < limit
    if len(cards) < wanted and not complete:
        cards = _first_per_program(qs.iterator(chunk_size=2000))
        complete = True
    page_cards, has_next = cards[offset : offset + PAGE_SIZE], len(cards) > offset + PAGE_SIZE
    return page_cards, has_next, len(cards) if complete else None


def _program_list_by(
    filters: dict, *, sort: str, offset: int, now: dt.datetime | None
) -> tuple[list[ListedProgram], bool, None]:
    order: tuple
    if sort == ListingSort.PLACES:
        order = ((F("capacity") - F("places_taken")).desc(), "starts_at", "pk")
    else:  # newest: the program published last first
        order = (F("program__published_at").desc(nulls_last=True), "starts_at", "pk")
    rank = Window(
        RowNumber(), partition_by=[F("program_id")], order_by=[F("starts_at").asc(), F("pk").asc()]
    )
    qs = (
        listing_sessions(filters, now)
        .annotate(rank=rank)
        .filter(rank=1)
        .order_by(*order)
        .values_list(*LIST_FIELDS)
    )
    cards = _first_per_program(qs[offset : offset + PAGE_SIZE + 1])
    return cards[:PAGE_SIZE], len(cards) > PAGE_SIZE, None


def program_count(filters: dict, now: dt.datetime | None = None) -> int:
    """How many programs the listing holds with these filters (all pages)."""
    return listing_sessions(filters, now).aggregate(n=Count("program_id", distinct=True))["n"]


def map_points(program_ids: list[int]) -> list[dict]:
    """The public map points of these programs (on-site ones that have a point), for the listing's
    map: the point staff placed on the public meeting place, never the exact address."""
    if not program_ids:
        return []
    rows = Program.objects.filter(
        pk__in=program_ids, is_online=False, latitude__isnull=False, longitude__isnull=False
    ).values_list("pk", "title", "latitude", "longitude")
    return [
        {"pk": pk, "title": title, "lat": f"{lat:.6f}", "lng": f"{lng:.6f}"}
        for pk, title, lat, lng in rows
    ]


def listing_districts() -> list[tuple[int, str]]:
    """(id, label) of every district for the listing's filter: one query, then cached for five minutes
    (districts change a few times a year; a new one shows in the filter within that time)."""

    def load() -> list[tuple[int, str]]:
        rows = District.objects.order_by("municipality__name", "order", "name").values_list(
            "pk", "municipality__name", "name"
        )
        return [(pk, f"{town} {name}") for pk, town, name in rows]

    return cast(list[tuple[int, str]], cache.get_or_set("portal:listing_districts", load, 300))


def public_program(pk: int) -> Program:
    """A program for anyone: published or closed (past programs stay readable), else 404."""
    return get_object_or_404(public_programs(_detail_qs()), pk=pk)


# What the program page reads outside its cached article: the head (title, share metadata), the cache
# key (updated_at) and the place (map links). Everything else is read by the article on a cache miss.
PAGE_HEAD_FIELDS = (
    "status", "title", "summary", "story", "cover_image", "updated_at", "preview_token", "is_online",
    "latitude", "longitude", "municipality",
)  # fmt: skip


# What the article shows of each session: a change to any of them (an application taking a place, a
# cancellation, a move to the rain date, staff editing the session) must show at once.
SESSION_SHOWN_FIELDS = (
    "pk", "places_taken", "capacity", "status", "starts_at", "ends_at", "apply_deadline",
    "rain_starts_at", "rain_ends_at", "acceptance_mode", "moved_from_starts_at",
)  # fmt: skip


_COLUMN_OF = {field.name: field.column for field in Session._meta.concrete_fields}
_SESSION_COLUMNS = [_COLUMN_OF[name] for name in SESSION_SHOWN_FIELDS if name != "pk"]


_SESSION_ROW = " || '|' || ".join(
    ["CAST(s.id AS TEXT)"] + [f"COALESCE(CAST(s.{c} AS TEXT), '-')" for c in _SESSION_COLUMNS]
)


_SESSIONS_VERSION_SQL = {
    # The programs table is not aliased in the head query (one table, no join).
    "postgresql": (
        f"SELECT md5(string_agg({_SESSION_ROW}, ',' ORDER BY s.id)) FROM portal_session s "  # noqa: S608 (our column names, no input)
        'WHERE s.program_id = "portal_program"."id"'
    ),
    # SQLite (the embedded default): the same rows through the program index, in a stable order.
    "sqlite": (
        f"SELECT group_concat({_SESSION_ROW}, ',') FROM portal_session s "  # noqa: S608 (as above)
        'WHERE s.program_id = "portal_program"."id"'
    ),
}


def _sessions_version() -> RawSQL:
    """A fingerprint of the program's sessions as the page shows them (their shown fields), computed
    inside the head query: the article's cache key carries it, so places left on the page are live
    whatever service changed them, with no invalidation to forget and no extra query. Raw SQL built
    once: the same subquery as ORM expressions cost more to compile per request (about 5 ms, bench
    program_detail) than the whole cached page."""
    # Fixed SQL of our own, no parameters from outside.
    return RawSQL(_SESSIONS_VERSION_SQL[connection.vendor], [], output_field=TextField())  # noqa: S611


def public_program_head(pk: int) -> Program:
    """The public program page's one query while its article is cached: a narrow row of the program
    alone (no join; about a sixth of the columns _detail_qs reads) with its sessions' version (a
    subquery on the sessions' program index), else 404 as public_program."""
    return get_object_or_404(
        public_programs(
            Program.objects.only(*PAGE_HEAD_FIELDS).annotate(sessions_version=_sessions_version())
        ),
        pk=pk,
    )


# Municipality id -> (expires, site name). Kept in this process as django.contrib.sites keeps the
# current Site: the name brands every program page's share metadata and changes once in years.
_SITE_NAMES: dict[int, tuple[float, str]] = {}


SITE_NAME_SECONDS = 300


def municipality_site_name(municipality_id: int) -> str:
    """The municipality's site name (its brand, e.g. ヒダスケ！), read at most every five minutes per
    process; saving the municipality drops it at once in the process that saved it (apps.py)."""
    now = time.monotonic()
    cached = _SITE_NAMES.get(municipality_id)
    if cached and cached[0] > now:
        return cached[1]
    name = (
        Municipality.objects.filter(pk=municipality_id).values_list("site_name", flat=True).first()
        or ""
    )
    _SITE_NAMES[municipality_id] = (now + SITE_NAME_SECONDS, name)
    return name


def forget_site_name(municipality_id: int) -> None:
    _SITE_NAMES.pop(municipality_id, None)


def full_program_of(head: Program):
    """A callable for templates: the whole program (place, nushi, every field), read only where the
    template needs it, inside the cached article, so only on a cache miss."""
    return lambda: _detail_qs().get(pk=head.pk)


def _detail_qs() -> QuerySet[Program]:
    """The program with its place and nushi. Sessions, photos and reports are read lazily by the
    template, inside the article fragment cached per program version (PAGE_CACHE_SECONDS in
    views.programs)."""
    return Program.objects.select_related("municipality", "district", "nushi").defer("search_text")


# History rows carry a short English reason (services); staff read them in Japanese.
HISTORY_REASONS = {
    "edit": _("編集"), "edit: back to draft": _("編集（下書きに戻る）"), "sent to nushi": _("ヌシに確認を依頼"),
    "confirmed by nushi": _("ヌシが確認"), "changes requested": _("ヌシが修正を依頼"),
    "rejected": _("見送り"), "published": _("公開"), "closed": _("募集終了"), "cancelled": _("中止"),
    "session added": _("開催日を追加"), "session changed": _("開催日を変更"),
}  # fmt: skip


FIELD_LABELS = {"published_at": _("公開日時"), "status": _("状態")}


def _field_label(name: str) -> str:
    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    field = Program._meta.get_field(name)
    return str(field.verbose_name) if isinstance(field, Field) else name


def program_history(program: Program, limit: int = 30) -> list:
    """The program's history, newest first, each with `changes`: the labels of the fields that changed
    from the version before (one query)."""
    records = list(
        program.history.select_related("history_user").order_by("-history_date", "-pk")[: limit + 1]
    )
    for newer, older in zip(records, [*records[1:], None], strict=False):
        newer.changes = []
        if older is not None:
            delta = newer.diff_against(
                older, excluded_fields=["updated_at", "preview_token", "cover_thumbnail"]
            )
            newer.changes = [_field_label(c.field) for c in delta.changes]
        reason = newer.history_change_reason or ""
        newer.reason_label = _reason_label(reason)
    return records[:limit]


# The reason program_confirm_for_nushi writes, with the channel in brackets.
_FOR_NUSHI = re.compile(r"confirmed for the nushi by staff \((\w+)\)")


def _reason_label(reason: str) -> str:
    """The history reason as staff read it: the code words services write, in the page's language
    (an unknown reason is shown as written)."""
    if found := _FOR_NUSHI.fullmatch(reason):
        channel = found.group(1)
        shown = Need.Channel(channel).label if channel in Need.Channel.values else channel
        return _("事務局がヌシに代わって確認（%(channel)s）") % {"channel": shown}
    return str(HISTORY_REASONS.get(reason, reason))


def program_for_preview(user: User, pk: int, token) -> Program:
    """The nushi's (or staff's) view of a draft through the preview link: only with the current token
    and only for members of the nushi organisation or staff of the municipality; others get 404."""
    program = get_object_or_404(_detail_qs(), pk=pk, preview_token=token)
    if not can_preview_program(user, program):
        raise Http404
    return program


@dataclass
class CalendarDay:
    day: dt.date
    in_month: bool
    sessions: list


def calendar_month(year: int, month: int) -> list[list[CalendarDay]]:
    """Weeks (Sunday first) of the month with the public, scheduled sessions on each day. One query."""
    first = dt.date(year, month, 1)
    cal = calendar.Calendar(firstweekday=6)  # Sunday first, as Japanese calendars are printed
    weeks = cal.monthdatescalendar(year, month)
    start, end = weeks[0][0], weeks[-1][-1] + dt.timedelta(days=1)
    sessions = (
        Session.objects.filter(
            program__status=Program.Status.PUBLISHED,
            status=Session.Status.SCHEDULED,
            starts_at__gte=_local_day_start(start),
            starts_at__lt=_local_day_start(end),
        )
        .select_related("program")
        .only(
            "pk",
            "starts_at",
            "ends_at",
            "capacity",
            "places_taken",
            "program__title",
        )
        .order_by("starts_at")
    )
    by_day: dict[dt.date, list] = {}
    for s in sessions:
        by_day.setdefault(timezone.localtime(s.starts_at).date(), []).append(s)
    return [
        [CalendarDay(d, d.month == first.month, by_day.get(d, [])) for d in week] for week in weeks
    ]


def program_online_details(user: User, pk: int) -> Program | None:
    """The join link and instructions of an online program, for someone who may see them
    (can_see_online_details), else None. Read apart from the public page's cached article."""
    program = (
        Program.objects.filter(pk=pk, is_online=True)
        .only("municipality_id", "nushi_id", "online_url", "online_instructions")
        .first()
    )
    if program is None or not can_see_online_details(user, program):
        return None
    return program


def nushi_programs_to_confirm(user: User) -> QuerySet[Program]:
    return nushi_scope(
        user, Program.objects.filter(status=Program.Status.PENDING_NUSHI).select_related("nushi")
    )


def staff_programs(user: User) -> QuerySet[Program]:
    return staff_scope(
        user,
        Program.objects.select_related("nushi", "district", "municipality").annotate(
            session_total=Count("sessions")
        ),
    )


def program_for_staff(user: User, pk: int) -> Program:
    return get_object_or_404(staff_scope(user, _detail_qs()), pk=pk)
