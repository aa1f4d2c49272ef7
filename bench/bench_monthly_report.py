"""monthly_report: compute one municipality-month of 月次参加レポート figures (reports.figures.compute, what
the beat job and staff's runs call) on the large demo data (飛騨市, 1,000,000 applications over three
years), in seconds. Floor: one hand-written SQL statement that computes the same figures (the same
definitions: needs, sessions, applications by state, participants, first-time, repeat, returning to a
nushi, origin, the four breakdowns, points, since launch, fiscal year to date, the previous month and a
year earlier) in one round trip. Target: ratio <= 1.5 and value <= 2 s."""

import statistics
import time

from django.db import connection
from django.utils import timezone

from accounts.models import Municipality
from bench.harness import emit
from reports.figures import Scope, compute, fiscal_year_of, month_bounds, shift_month

HEADLINE = """
    SELECT json_build_object(
        'sessions_held', (SELECT count(*) FROM s WHERE status <> 'cancelled' AND starts_at >= {lo} AND starts_at < {hi}),
        'applications', count(*),
        'attendances', count(*) FILTER (WHERE status = 'attended'),
        'unique_helpers', count(DISTINCT helper_id) FILTER (WHERE status = 'attended'),
        'first_time', count(DISTINCT helper_id) FILTER (
            WHERE status = 'attended' AND helper_id IN (SELECT helper_id FROM firsts WHERE first_at >= {lo})))
    FROM a WHERE starts_at >= {lo} AND starts_at < {hi}
"""

CUT = """
    SELECT json_agg(x) FROM (
        SELECT coalesce(h.k, p.k) AS k, coalesce(h.n, 0) AS sessions, coalesce(p.n, 0) AS attendances,
               coalesce(p.u, 0) AS helpers
        FROM (SELECT {col}::text AS k, count(*) AS n FROM s
              WHERE status <> 'cancelled' AND starts_at >= %(start)s GROUP BY 1) h
        FULL JOIN (SELECT {col}::text AS k, count(*) AS n, count(DISTINCT helper_id) AS u FROM a
                   WHERE status = 'attended' AND starts_at >= %(start)s GROUP BY 1) p ON p.k = h.k
    ) x
"""

FLOOR_SQL = f"""
WITH s AS MATERIALIZED (
    SELECT s.id, s.starts_at, s.status, s.capacity, p.category, p.relationship_type, p.district_id,
           p.nushi_id
    FROM portal_session s JOIN portal_program p ON p.id = s.program_id
    WHERE p.municipality_id = %(m)s AND s.starts_at < %(end)s
),
a AS MATERIALIZED (
    SELECT a.helper_id, a.status, a.late_cancellation, s.starts_at, s.category, s.relationship_type,
           s.district_id, s.nushi_id
    FROM portal_application a JOIN s ON s.id = a.session_id
    WHERE s.status <> 'cancelled'
),
firsts AS MATERIALIZED (
    SELECT helper_id, min(starts_at) AS first_at, count(*) AS n FROM a WHERE status = 'attended'
    GROUP BY helper_id
)
SELECT json_build_object(
    'needs', (SELECT json_object_agg(channel, n) FROM (
        SELECT channel, count(*) AS n FROM portal_need WHERE municipality_id = %(m)s
        AND created_at >= %(start)s AND created_at < %(end)s GROUP BY channel) x),
    'turned', (SELECT count(DISTINCT need_id) FROM portal_program WHERE municipality_id = %(m)s
        AND published_at >= %(start)s AND published_at < %(end)s),
    'published', (SELECT count(*) FROM portal_program WHERE municipality_id = %(m)s
        AND published_at >= %(start)s AND published_at < %(end)s),
    'sessions', (SELECT json_build_object(
        'held', count(*) FILTER (WHERE status <> 'cancelled'),
        'cancelled', count(*) FILTER (WHERE status = 'cancelled'),
        'capacity', coalesce(sum(capacity) FILTER (WHERE status <> 'cancelled'), 0))
        FROM s WHERE starts_at >= %(start)s),
    'applications', (SELECT json_build_object(
        'total', count(*),
        'accepted', count(*) FILTER (WHERE status IN ('accepted', 'attended', 'no_show')),
        'attended', count(*) FILTER (WHERE status = 'attended'),
        'no_show', count(*) FILTER (WHERE status = 'no_show'),
        'waitlisted', count(*) FILTER (WHERE status = 'waitlisted'),
        'declined', count(*) FILTER (WHERE status = 'declined'),
        'pending', count(*) FILTER (WHERE status = 'applied'),
        'cancelled', count(*) FILTER (WHERE status = 'cancelled' AND NOT late_cancellation),
        'cancelled_late', count(*) FILTER (WHERE status = 'cancelled' AND late_cancellation),
        'unique', count(DISTINCT helper_id) FILTER (WHERE status = 'attended'))
        FROM a WHERE starts_at >= %(start)s),
    'first_time', (SELECT count(*) FROM firsts WHERE first_at >= %(start)s),
    'repeat', (SELECT count(*) FROM firsts f WHERE f.n >= 2 AND EXISTS (
        SELECT 1 FROM a WHERE a.helper_id = f.helper_id AND a.status = 'attended'
        AND a.starts_at >= %(start)s)),
    'returning', (SELECT count(DISTINCT m.helper_id) FROM a m WHERE m.status = 'attended'
        AND m.starts_at >= %(start)s AND EXISTS (
            SELECT 1 FROM a e WHERE e.helper_id = m.helper_id AND e.nushi_id = m.nushi_id
            AND e.status = 'attended' AND e.starts_at < m.starts_at)),
    'origin', (SELECT json_agg(x) FROM (
        SELECT hp.home_prefecture, hp.home_municipality, count(DISTINCT a.helper_id) AS n FROM a
        LEFT JOIN accounts_helperprofile hp ON hp.user_id = a.helper_id
        WHERE a.status = 'attended' AND a.starts_at >= %(start)s GROUP BY 1, 2) x),
    'category', ({CUT.format(col="category")}),
    'relationship_type', ({CUT.format(col="relationship_type")}),
    'district', ({CUT.format(col="district_id")}),
    'organization', ({CUT.format(col="nushi_id")}),
    'points', (SELECT json_build_object(
        'issued', abs(coalesce(sum(e.amount) FILTER (WHERE t.kind = 'credit' AND ac.kind = 'wallet'
            AND e.created_at >= %(start)s), 0)),
        'reversed', abs(coalesce(sum(e.amount) FILTER (WHERE t.kind = 'reversal' AND ac.kind = 'wallet'
            AND e.created_at >= %(start)s), 0)),
        'redeemed', abs(coalesce(sum(e.amount) FILTER (WHERE t.kind = 'redemption'
            AND ac.kind = 'redeemed' AND e.created_at >= %(start)s), 0)),
        'expired', abs(coalesce(sum(e.amount) FILTER (WHERE t.kind = 'expiry' AND ac.kind = 'expired'
            AND e.created_at >= %(start)s), 0)),
        'budget_funded', coalesce(sum(e.amount) FILTER (WHERE t.kind = 'funding' AND ac.kind = 'budget'
            AND e.created_at >= %(start)s), 0),
        'outstanding', coalesce(sum(e.amount) FILTER (WHERE ac.kind = 'wallet'), 0),
        'budget_balance', coalesce(sum(e.amount) FILTER (WHERE ac.kind = 'budget'), 0),
        'pending', (SELECT coalesce(sum(amount), 0) FROM points_pendingcredit
            WHERE municipality_id = %(m)s AND created_at < %(end)s
            AND (settled_at IS NULL OR settled_at >= %(end)s)))
        FROM points_entry e JOIN points_transaction t ON t.id = e.transaction_id
        JOIN points_account ac ON ac.id = e.account_id
        WHERE t.municipality_id = %(m)s AND e.created_at < %(end)s),
    'since_launch', ({HEADLINE.format(lo="'-infinity'::timestamptz", hi="%(end)s")}),
    'fiscal_year_to_date', ({HEADLINE.format(lo="%(fy)s", hi="%(end)s")}),
    'this_month', ({HEADLINE.format(lo="%(start)s", hi="%(end)s")}),
    'previous_month', ({HEADLINE.format(lo="%(prev_start)s", hi="%(prev_end)s")}),
    'year_earlier', ({HEADLINE.format(lo="%(ye_start)s", hi="%(ye_end)s")})
)
"""


def _median_s(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def run() -> list[dict]:
    municipality = Municipality.objects.get(slug="hida")
    today = timezone.localdate()
    year, month = shift_month(today.year, today.month, -1)
    start, end = month_bounds(year, month)
    params = {
        "m": municipality.pk,
        "start": start,
        "end": end,
        "fy": month_bounds(fiscal_year_of(year, month), 4)[0],
        "prev_start": month_bounds(*shift_month(year, month, -1))[0],
        "prev_end": start,
        "ye_start": month_bounds(year - 1, month)[0],
        "ye_end": month_bounds(year - 1, month)[1],
    }

    def floor() -> dict:
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, params)
            return cursor.fetchone()[0]

    scope = Scope([municipality])
    ours = compute(scope, year, month)
    theirs = floor()
    # The same figures, or the comparison means nothing.
    assert theirs["applications"]["total"] == ours["applications"]["total"], (theirs, ours)
    assert theirs["applications"]["unique"] == ours["participants"]["unique_helpers"]
    assert theirs["first_time"] == ours["participants"]["first_time"]
    assert theirs["repeat"] == ours["participants"]["repeat"]
    assert theirs["returning"] == ours["participants"]["returning_to_nushi"]
    assert theirs["since_launch"] == ours["cumulative"]["since_launch"]
    assert theirs["previous_month"] == ours["comparison"]["previous_month"]
    points = {k: v for k, v in ours["points"].items() if k != "net_issued"}
    assert theirs["points"] == points, (theirs["points"], points)
    value = _median_s(lambda: compute(scope, year, month), runs=3)
    floor_s = _median_s(floor, runs=3)
    return [
        emit(
            "monthly_report",
            value,
            "s",
            floor_s,
            applications=ours["cumulative"]["since_launch"]["applications"],
            month=f"{year}-{month:02d}",
        )
    ]
