"""The figures of one scope-month, exactly as reports/definitions.py words them.

compute() reads the marketplace (and, for points, the ledger) and returns plain JSON-ready data: ints,
strings and a few rates rounded to four places. It writes nothing; reports.services stores the result.
Every figure is a database aggregate (no row is loaded into Python), so a month of a municipality with a
million applications takes a few dozen indexed queries.
"""

from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from accounts.models import PREFECTURES, Municipality
from portal.models import Application, Need, Program, Session

TOKYO = ZoneInfo("Asia/Tokyo")
A = Application.Status
HELD_A_PLACE = (A.ACCEPTED, A.ATTENDED, A.NO_SHOW)

# The breakdowns (definitions: "cuts"): name -> the program field grouped by, and the field naming a group.
CUTS = {
    "category": ("category", None),
    "relationship_type": ("relationship_type", None),
    "district": ("district_id", "district__name"),
    "organization": ("nushi_id", "nushi__name"),
}


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month in Japan time."""
    start = datetime(year, month, 1, tzinfo=TOKYO)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=TOKYO)
    return start, end


def shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def fiscal_year_of(year: int, month: int) -> int:
    """Japan's fiscal year (年度) runs from April to March: January 2027 is in 2026年度."""
    return year if month >= 4 else year - 1


class Scope:
    """The municipalities one snapshot covers, and how a helper's home compares with them."""

    def __init__(self, municipalities: Iterable[Municipality]):
        self.municipalities = list(municipalities)
        self.ids = [m.pk for m in self.municipalities]
        self.homes = {(m.prefecture, m.name) for m in self.municipalities}
        self.prefectures = {m.prefecture for m in self.municipalities}

    def origin_of(self, prefecture: str | None, municipality: str | None) -> str:
        if not prefecture or prefecture not in PREFECTURES:
            return "abroad_or_unknown"
        if any(prefecture == p and (municipality or "").startswith(name) for p, name in self.homes):
            return "same_municipality"
        if prefecture in self.prefectures:
            return "same_prefecture"
        return "other_prefecture"


def _sessions(scope: Scope, start: datetime | None, end: datetime) -> QuerySet[Session]:
    sessions = Session.objects.filter(program__municipality_id__in=scope.ids, starts_at__lt=end)
    return sessions if start is None else sessions.filter(starts_at__gte=start)


def _applications(scope: Scope, start: datetime | None, end: datetime) -> QuerySet[Application]:
    """Applications to the sessions held in [start, end) (start None: since launch)."""
    applications = Application.objects.filter(
        session__program__municipality_id__in=scope.ids, session__starts_at__lt=end
    ).exclude(session__status=Session.Status.CANCELLED)
    if start is not None:
        applications = applications.filter(session__starts_at__gte=start)
    return applications


# The periods each snapshot compares (definitions: "cumulative", "comparison"); all end by the month's end.
Periods = dict[str, tuple[datetime | None, datetime]]


def _periods(year: int, month: int) -> Periods:
    start, end = month_bounds(year, month)
    return {
        "this_month": (start, end),
        "previous_month": month_bounds(*shift_month(year, month, -1)),
        "year_earlier": month_bounds(year - 1, month),
        "fiscal_year_to_date": (datetime(fiscal_year_of(year, month), 4, 1, tzinfo=TOKYO), end),
        "since_launch": (None, end),
    }


def _within(field: str, lo: datetime | None, hi: datetime) -> Q:
    return Q(**{f"{field}__lt": hi}) & (Q(**{f"{field}__gte": lo}) if lo is not None else Q())


HISTORY_SQL = """
    SELECT {outer},
        SUM(CASE WHEN n_this_month > 0 AND attended >= 2 THEN 1 ELSE 0 END),
        SUM(CASE WHEN n_this_month > 0 AND returned > 0 THEN 1 ELSE 0 END)
    FROM (
        SELECT helper_id, MIN(first_at) AS first_at, SUM(attended) AS attended, {middle},
               SUM(CASE WHEN attended >= 2 AND n_this_month > 0 THEN 1 ELSE 0 END) AS returned
        FROM (
            SELECT a.helper_id, p.nushi_id, MIN(s.starts_at) AS first_at, COUNT(*) AS attended,
                   {inner}
            FROM portal_application a
            JOIN portal_session s ON s.id = a.session_id
            JOIN portal_program p ON p.id = s.program_id
            WHERE a.status = 'attended' AND s.status <> 'cancelled' AND s.starts_at < %s
              AND p.municipality_id IN ({ids})
            GROUP BY a.helper_id, p.nushi_id
        ) per_nushi
        GROUP BY helper_id
    ) per_helper
"""


def _history(scope: Scope, periods: Periods, end: datetime) -> dict[str, Any]:
    """What depends on each helper's attendances, in one pass over the attended applications before
    the month's end, grouped by helper and nushi, then by helper. For every period: attendances (延べ),
    unique helpers (実: those with an attendance in it) and first-time helpers (their first attendance
    ever lies in it: the first attendance before the month's end is the first ever, for any period
    that ends by then). For the month: repeat helpers (attended in the month and at least twice in
    all) and helpers returning to a nushi (attended a nushi in the month and at least twice in all; the
    later of two such attendances before the month's end is in the month, the earlier precedes it)."""
    inner, middle, outer = [], [], []
    inner_params: list[datetime] = []
    outer_params: list[datetime] = []
    for name, (lo, hi) in periods.items():
        inner.append(f"SUM(CASE WHEN {_between('s.starts_at', lo)} THEN 1 ELSE 0 END) AS n_{name}")
        inner_params += [p for p in (lo, hi) if p is not None]
        middle.append(f"SUM(n_{name}) AS n_{name}")
        outer.append(f"SUM(n_{name})")
        outer.append(f"SUM(CASE WHEN n_{name} > 0 THEN 1 ELSE 0 END)")
        outer.append(f"SUM(CASE WHEN {_between('first_at', lo)} THEN 1 ELSE 0 END)")
        outer_params += [p for p in (lo, hi) if p is not None]
    # Only integers and fixed text are formatted in; the datetimes are bound parameters.
    sql = HISTORY_SQL.format(
        outer=", ".join(outer),
        middle=", ".join(middle),
        inner=", ".join(inner),
        ids=", ".join(str(int(i)) for i in scope.ids),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*outer_params, *inner_params, end])
        row = [int(n or 0) for n in cursor.fetchone()]
    figures = {
        name: dict(
            zip(
                ("attendances", "unique_helpers", "first_time"), row[3 * i : 3 * i + 3], strict=True
            )
        )
        for i, name in enumerate(periods)
    }
    return {"periods": figures, "repeat": row[-2], "returning_to_nushi": row[-1]}


def _between(column: str, lo: datetime | None) -> str:
    """[lo, hi) on a column as SQL with its bound parameters in that order (lo None: no lower bound)."""
    return f"{column} >= %s AND {column} < %s" if lo is not None else f"{column} < %s"


def _headlines(
    scope: Scope, periods: Periods, history: dict[str, Any]
) -> dict[str, dict[str, int]]:
    """Sessions held, applications, participations (延べ), unique helpers (実) and first-time helpers of
    every period: one pass over the sessions and one over the applications (counts only: the figures
    about people come from _history's pass)."""
    end = max(hi for _lo, hi in periods.values())
    sessions = _sessions(scope, None, end).exclude(status=Session.Status.CANCELLED)
    held = sessions.aggregate(
        **{
            name: Count("pk", filter=_within("starts_at", lo, hi))
            for name, (lo, hi) in periods.items()
        }
    )
    applications = _applications(scope, None, end).aggregate(
        **{
            name: Count("pk", filter=_within("session__starts_at", lo, hi))
            for name, (lo, hi) in periods.items()
        }
    )
    return {
        name: {
            "sessions_held": held[name],
            "applications": applications[name],
            **history["periods"][name],
        }
        for name in periods
    }


def _needs(scope: Scope, start: datetime, end: datetime) -> dict[str, Any]:
    by_channel = dict(
        Need.objects.filter(
            municipality_id__in=scope.ids, created_at__gte=start, created_at__lt=end
        )
        .values_list("channel")
        .annotate(n=Count("pk"))
        .order_by()
    )
    published = Program.objects.filter(
        municipality_id__in=scope.ids, published_at__gte=start, published_at__lt=end
    )
    return {
        "received": sum(by_channel.values()),
        "by_channel": {channel: by_channel.get(channel, 0) for channel in Need.Channel.values},
        "turned_into_programs": published.filter(need__isnull=False)
        .values("need_id")
        .distinct()
        .count(),
        "programs_published": published.count(),
    }


def _applications_figures(scope: Scope, start: datetime, end: datetime) -> dict[str, int]:
    sessions = _sessions(scope, start, end).aggregate(
        held=Count("pk", filter=~Q(status=Session.Status.CANCELLED)),
        cancelled=Count("pk", filter=Q(status=Session.Status.CANCELLED)),
        capacity=Sum("capacity", filter=~Q(status=Session.Status.CANCELLED), default=0),
    )
    cancelled = Q(status=A.CANCELLED)
    figures = _applications(scope, start, end).aggregate(
        total=Count("pk"),
        accepted=Count("pk", filter=Q(status__in=HELD_A_PLACE)),
        attended=Count("pk", filter=Q(status=A.ATTENDED)),
        no_show=Count("pk", filter=Q(status=A.NO_SHOW)),
        waitlisted=Count("pk", filter=Q(status=A.WAITLISTED)),
        declined=Count("pk", filter=Q(status=A.DECLINED)),
        pending=Count("pk", filter=Q(status=A.APPLIED)),
        cancelled=Count("pk", filter=cancelled & Q(late_cancellation=False)),
        cancelled_late=Count("pk", filter=cancelled & Q(late_cancellation=True)),
    )
    return {
        "sessions_held": sessions["held"],
        "sessions_cancelled": sessions["cancelled"],
        "capacity": sessions["capacity"],
        **figures,
    }


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _origin(scope: Scope, start: datetime, end: datetime) -> dict[str, Any]:
    rows = (
        _applications(scope, start, end)
        .filter(status=A.ATTENDED)
        .values_list(
            "helper__helper_profile__home_prefecture", "helper__helper_profile__home_municipality"
        )
        .annotate(n=Count("helper_id", distinct=True))
        .order_by()
    )
    groups = dict.fromkeys(
        ("same_municipality", "same_prefecture", "other_prefecture", "abroad_or_unknown"), 0
    )
    by_prefecture: dict[str, int] = {}
    for prefecture, municipality, n in rows:
        groups[scope.origin_of(prefecture, municipality)] += n
        if prefecture in PREFECTURES:
            by_prefecture[prefecture] = by_prefecture.get(prefecture, 0) + n
    return {
        **groups,
        # In the national order (北海道 ... 沖縄県), for the table and the map.
        "by_prefecture": {p: by_prefecture[p] for p in PREFECTURES if p in by_prefecture},
    }


def _cut(scope: Scope, start: datetime, end: datetime, name: str) -> list[dict[str, Any]]:
    field, label_field = CUTS[name]
    keys = [f"program__{field}"] + ([f"program__{label_field}"] if label_field else [])
    held = _sessions(scope, start, end).exclude(status=Session.Status.CANCELLED)
    sessions = {row[0]: row for row in held.values_list(*keys).annotate(n=Count("pk")).order_by()}
    attended = (
        _applications(scope, start, end)
        .filter(status=A.ATTENDED)
        .values_list(*[f"session__{key}" for key in keys])
        .annotate(n=Count("pk"), helpers=Count("helper_id", distinct=True))
        .order_by()
    )
    people = {row[0]: row for row in attended}
    out = []
    for key in sessions.keys() | people.keys():
        row = sessions.get(key) or people[key]
        out.append(
            {
                "key": "" if key is None else str(key),
                # Names as they were: a district renamed later does not rename a closed month.
                "name": (row[1] or "") if label_field else "",
                "sessions_held": sessions[key][-1] if key in sessions else 0,
                "attendances": people[key][-2] if key in people else 0,
                "unique_helpers": people[key][-1] if key in people else 0,
            }
        )
    out.sort(key=lambda r: (-int(r["attendances"]), -int(r["sessions_held"]), str(r["key"])))
    return out


def _points(scope: Scope, start: datetime, end: datetime) -> dict[str, int]:
    """The ledger's figures of the period, summed over the scope's municipalities (points.selectors)."""
    from points.selectors import municipality_month_figures

    totals: dict[str, int] = {}
    for municipality_id in scope.ids:
        figures = municipality_month_figures(municipality_id=municipality_id, start=start, end=end)
        for key, value in asdict(figures).items():
            totals[key] = totals.get(key, 0) + int(value)
    totals["net_issued"] = totals.get("issued", 0) - totals.get("reversed", 0)
    return totals


def _change(now: dict[str, int], then: dict[str, int]) -> dict[str, int]:
    return {key: now[key] - then[key] for key in now}


def compute(
    scope: Scope, year: int, month: int, *, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """All figures of one scope-month. `progress(percent)` is told how far it got (for the page)."""
    start, end = month_bounds(year, month)
    tell = progress or (lambda percent: None)
    figures: dict[str, Any] = {
        "period": {
            "year": year,
            "month": month,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        "municipalities": [
            {"id": m.pk, "name": m.name, "prefecture": m.prefecture} for m in scope.municipalities
        ],
        "needs": _needs(scope, start, end),
        "applications": _applications_figures(scope, start, end),
    }
    tell(15)
    apps = figures["applications"]
    figures["rates"] = {
        "no_show_rate": _rate(apps["no_show"], apps["attended"] + apps["no_show"]),
        "fill_rate": _rate(apps["accepted"], apps["capacity"]),
    }
    periods = _periods(year, month)
    history = _history(scope, periods, end)
    headlines = _headlines(scope, periods, history)
    tell(40)
    this_month = headlines["this_month"]
    figures["participants"] = {
        "attendances": this_month["attendances"],
        "unique_helpers": this_month["unique_helpers"],
        "first_time": this_month["first_time"],
        "repeat": history["repeat"],
        "returning_to_nushi": history["returning_to_nushi"],
    }
    figures["origin"] = _origin(scope, start, end)
    figures["cuts"] = {name: _cut(scope, start, end, name) for name in CUTS}
    tell(70)
    figures["points"] = _points(scope, start, end)
    figures["cumulative"] = {
        "since_launch": headlines["since_launch"],
        "fiscal_year": fiscal_year_of(year, month),
        "fiscal_year_to_date": headlines["fiscal_year_to_date"],
    }
    previous, year_earlier = headlines["previous_month"], headlines["year_earlier"]
    figures["comparison"] = {
        "this_month": this_month,
        "previous_month": previous,
        "year_earlier": year_earlier,
        "change_vs_previous_month": _change(this_month, previous),
        "change_vs_year_earlier": _change(this_month, year_earlier),
    }
    tell(95)
    return figures
