"""Numbers from the address bar (?page=, ?year=, ?month=), read in one place: whatever a visitor, a
crawler or a scanner types there gets a sane value, never an exception. A value that is not a number
gives the default; a number out of range is brought to the nearest allowed one, and the caller learns
it was adjusted so the page can say so."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The listing reads page x 20 cards' worth of sessions; past this page it would read every upcoming
# session for a page nobody reaches by clicking 次へ. A municipality lists far fewer programs.
MAX_PAGE = 200
# The calendar goes this many years back and ahead of today: enough for any session planned or held,
# and far from the years datetime and PostgreSQL cannot hold (a month's grid spills into the next).
CALENDAR_YEARS = 10


@dataclass(frozen=True, slots=True)
class Bounded:
    value: int
    adjusted: bool  # the given number was out of range and was brought into it


def bounded_int(params: QueryDict, name: str, *, default: int, low: int, high: int) -> Bounded:
    """params[name] as an int in [low, high]: the default when missing or not a whole number (int()
    refuses more than 4300 digits with ValueError, so a huge string costs nothing), the nearest bound
    when out of range."""
    raw = params.get(name, "")
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return Bounded(default, adjusted=bool(raw))
    clamped = min(max(number, low), high)
    return Bounded(clamped, adjusted=clamped != number)


def shown_value(value: str) -> str:
    """A value from the address bar as a message quotes it: printable and short enough to read."""
    value = "".join(ch if ch.isprintable() else "?" for ch in value[:31])
    return value if len(value) <= 30 else value[:30] + "…"


def listing_page(params: QueryDict) -> tuple[int, str]:
    """?page= of the listing and a message when it was not usable: a missing page is the first; a
    malformed or out-of-range one is the first too, and the message names it (a silent jump would look
    like results lost)."""
    page = bounded_int(params, "page", default=1, low=1, high=MAX_PAGE)
    if not page.adjusted:
        return page.value, ""
    message = _(
        "「ページ」の「%(value)s」は使えないため、1ページ目を表示しています（1から%(max)dまでの数で指定してください）。"
    ) % {"value": shown_value(params.get("page", "")), "max": MAX_PAGE}
    return 1, message


def calendar_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and the last month the calendar shows (its 前の月 / 次の月 stop there)."""
    return dt.date(today.year - CALENDAR_YEARS, 1, 1), dt.date(today.year + CALENDAR_YEARS, 12, 1)


def calendar_month(params: QueryDict, today: dt.date) -> tuple[dt.date, bool]:
    """(first day of the month asked for by ?year=&month=, adjusted). A missing or malformed value
    means this year or this month; a month before or after calendar_bounds is the nearest bound."""
    first, last = calendar_bounds(today)
    year = bounded_int(params, "year", default=today.year, low=-(10**9), high=10**9)
    month = bounded_int(params, "month", default=today.month, low=1, high=12)
    if month.adjusted:  # month 13 or 0 is a malformed link, not a nearby month
        month = Bounded(today.month, adjusted=True)
    if year.value < first.year:
        return first, True
    if year.value > last.year:
        return last, True
    return dt.date(year.value, month.value, 1), year.adjusted or month.adjusted


def validate_listing_date(value: dt.date) -> None:
    """A date filter (この日から / この日まで) within the calendar's years: 9999-12-31 would overflow
    when the listing adds a day to it, and no session is planned that far off."""
    first, last = calendar_bounds(timezone.localdate())
    if not first <= value <= dt.date(last.year, 12, 31):
        raise ValidationError(
            _("日付は%(first)s年から%(last)s年までで指定してください。"),
            params={"first": first.year, "last": last.year},
            code="out_of_range",
        )
