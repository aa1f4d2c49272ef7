"""Every figure of the hand-built October (tests/reports/conftest.py), worked out by hand.

The month's edges: S0 at 10/01 08:00 JST (still September in UTC) counts; S2 at 10/31 23:30 JST counts;
S7 at 11/01 00:30 JST (still October in UTC) does not. Rain dates: S3 moved from 09/30 into October
counts in October; S8 moved from 10/30 into November does not."""

import pytest

from portal.models import Application
from reports.figures import Scope, compute, fiscal_year_of, month_bounds, shift_month
from tests.reports.conftest import S, jst

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(october):
    return compute(Scope([october.municipality]), 2026, 10)


def test_month_bounds_are_japan_time():
    start, end = month_bounds(2026, 12)
    assert (start.isoformat(), end.isoformat()) == (
        "2026-12-01T00:00:00+09:00",
        "2027-01-01T00:00:00+09:00",
    )
    assert shift_month(2026, 1, -1) == (2025, 12)
    assert fiscal_year_of(2027, 3) == 2026
    assert fiscal_year_of(2026, 4) == 2026


def test_needs_and_programs(figures):
    # N1 (phone) and N2 (web) in October; N3 in September became P1, published 10/03.
    assert figures["needs"] == {
        "received": 2,
        "by_channel": {"web": 1, "phone": 1, "paper": 0, "visit": 0},
        "turned_into_programs": 1,
        "programs_published": 1,
    }


def test_sessions_and_applications(figures):
    # Held: S0, S1, S2, S3 (capacity 3 + 5 + 4 + 2); cancelled: S4. Applications on the held ones:
    # S1: H1 ✓, H2 ✓, H5 no-show, H7 cancelled, H9 waitlisted; S2: H1 ✓, H4 ✓, H6 late; S3: H3 ✓, H8 declined.
    assert figures["applications"] == {
        "sessions_held": 4,
        "sessions_cancelled": 1,
        "capacity": 14,
        "total": 10,
        "accepted": 6,
        "attended": 5,
        "no_show": 1,
        "waitlisted": 1,
        "declined": 1,
        "pending": 0,
        "cancelled": 1,
        "cancelled_late": 1,
    }
    assert figures["rates"] == {"no_show_rate": round(1 / 6, 4), "fill_rate": round(6 / 14, 4)}


def test_participants(figures):
    # 延べ 5 (H1 twice); 実 4; first time H2, H3, H4 (H1 came in September); repeat H1 (3 in all);
    # H1 came back to ヌシ A.
    assert figures["participants"] == {
        "attendances": 5,
        "unique_helpers": 4,
        "first_time": 3,
        "repeat": 1,
        "returning_to_nushi": 1,
    }


def test_origin(figures):
    assert figures["origin"] == {
        "same_municipality": 1,  # H2 飛騨市
        "same_prefecture": 1,  # H3 高山市
        "other_prefecture": 1,  # H1 東京都
        "abroad_or_unknown": 1,  # H4
        "by_prefecture": {"岐阜県": 2, "東京都": 1},
    }


def test_cuts(october, figures):
    cuts = figures["cuts"]
    assert cuts["category"] == [
        {"key": "farming", "name": "", "sessions_held": 2, "attendances": 4, "unique_helpers": 3},
        {"key": "craft", "name": "", "sessions_held": 2, "attendances": 1, "unique_helpers": 1},
    ]
    assert [(r["key"], r["attendances"]) for r in cuts["relationship_type"]] == [
        ("direct", 4),
        ("exchange", 1),
    ]
    assert [(r["name"], r["sessions_held"], r["attendances"]) for r in cuts["district"]] == [
        ("古川町", 2, 4),
        ("", 2, 1),
    ]
    p1, p2 = october.programs["P1"], october.programs["P2"]
    assert [(r["key"], r["name"], r["unique_helpers"]) for r in cuts["organization"]] == [
        (str(p1.nushi_id), p1.nushi.name, 3),
        (str(p2.nushi_id), p2.nushi.name, 1),
    ]


def test_cumulative_and_comparison(figures):
    october = {"sessions_held": 4, "applications": 10, "attendances": 5, "unique_helpers": 4,
               "first_time": 3}  # fmt: skip
    september = {"sessions_held": 1, "applications": 1, "attendances": 1, "unique_helpers": 1,
                 "first_time": 1}  # fmt: skip
    to_date = {"sessions_held": 5, "applications": 11, "attendances": 6, "unique_helpers": 4,
               "first_time": 4}  # fmt: skip
    nothing = dict.fromkeys(october, 0)
    assert figures["comparison"] == {
        "this_month": october,
        "previous_month": september,
        "year_earlier": nothing,
        "change_vs_previous_month": {k: october[k] - september[k] for k in october},
        "change_vs_year_earlier": october,
    }
    assert figures["cumulative"] == {
        "since_launch": to_date,
        "fiscal_year": 2026,
        "fiscal_year_to_date": to_date,
    }


def test_another_municipality_is_not_counted(october, other_municipality):
    gujo = compute(Scope([other_municipality]), 2026, 10)
    assert gujo["participants"]["attendances"] == 1  # H10 at S5
    assert gujo["origin"]["same_municipality"] == 1
    both = compute(Scope([october.municipality, other_municipality]), 2026, 10)
    assert both["participants"]["attendances"] == 6
    assert both["origin"]["same_municipality"] == 2  # H2 in 飛騨市, H10 in 郡上市


def test_points_from_the_ledger(october, staff):
    """Funded in September; S6's credit in September; S1's and S3's credits in October, then H2's taken
    back (marked no-show on 10/20); S2's credits written on 11/01, after its 23:30 end: November's."""
    from points.services import budget_fund, points_settle_attendance

    hida, h, s = october.municipality, october.helpers, october.sessions
    budget_fund(municipality_id=hida.pk, source="一般財源", amount=100_000, key="fy2026",
                actor=staff, now=jst(9, 1))  # fmt: skip

    def settle(session, helper, when, reason=""):
        application = Application.objects.get(session=session, helper=helper)
        return points_settle_attendance(application_id=application.pk, reason=reason, now=when)

    assert settle(s["S6"], h["H1"], jst(9, 16)) == "credited"
    assert settle(s["S1"], h["H1"], jst(10, 6)) == "credited"
    assert settle(s["S1"], h["H2"], jst(10, 6)) == "credited"
    assert settle(s["S3"], h["H3"], jst(10, 3)) == "credited"
    Application.objects.filter(session=s["S1"], helper=h["H2"]).update(status=S.NO_SHOW)
    assert settle(s["S1"], h["H2"], jst(10, 20), reason="欠席に訂正") == "reversed"
    assert settle(s["S2"], h["H1"], jst(11, 1, 9)) == "credited"
    assert settle(s["S2"], h["H4"], jst(11, 1, 9)) == "credited"

    points = compute(Scope([hida]), 2026, 10)["points"]
    assert points == {
        "issued": 1_500,
        "reversed": 500,
        "net_issued": 1_000,
        "redeemed": 0,
        "expired": 0,
        "outstanding": 1_500,  # 500 (September) + 1,500 - 500
        "budget_funded": 0,
        "budget_balance": 98_500,
        "pending": 0,
    }
