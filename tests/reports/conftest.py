"""A hand-built October 2026 in 飛騨市 (and a little of 郡上市), whose figures are worked out by hand in
test_figures.py. Times are Japan time (JST = UTC+9).

Programs: P1 (ヌシ A, 援農, 直接寄与型, 地区 古川町, published 10/03 from need N3),
          P2 (ヌシ B, ものづくり, 参加・交流型, no district, published in August),
          P3 (郡上市: never counted for 飛騨市).
Sessions:  S6  P1 09/15 10:00 (September)            S0  P2 10/01 08:00 (= 09/30 23:00 UTC)
           S1  P1 10/05 09:00, capacity 5            S2  P1 10/31 23:30 (last day), capacity 4
           S3  P2 09/30 → rain date 10/02 10:00, capacity 2
           S4  P2 10/20, cancelled                   S7  P1 11/01 00:30 (= 10/31 15:30 UTC)
           S8  P2 10/30 → rain date 11/02            S5  P3 10/10 (郡上市)
Helpers:   H1 東京都 (S6, S1, S2 attended: twice in October, back to ヌシ A)
           H2 岐阜県飛騨市 (S1)   H3 岐阜県高山市 (S3)   H4 abroad, no prefecture (S2)
           H5 大阪府 no-show at S1   H6 late cancellation at S2   H7 cancelled S1   H8 declined S3
           H9 waitlisted S1   H10 attended S5 in 郡上市   and a cancelled application on S4.
Needs:     N1 10/10 by phone, N2 10/15 on the web, N3 09/20 on the web (became P1, published 10/03).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.models import User
from portal.models import Application, Need, Program, RelationshipType, Session
from tests.accounts.factories import DistrictFactory, HelperProfileFactory, OrganizationFactory
from tests.portal.factories import ApplicationFactory, NeedFactory, ProgramFactory, SessionFactory

JST = ZoneInfo("Asia/Tokyo")
S = Application.Status


def jst(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JST)


@dataclass
class October:
    municipality: object
    helpers: dict[str, User]
    sessions: dict[str, Session]
    programs: dict[str, Program]


def _session(program, starts_at, *, capacity=5, status=Session.Status.CLOSED, **extra) -> Session:
    return SessionFactory(
        program=program,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        apply_deadline=starts_at - timedelta(days=2),
        capacity=capacity,
        status=status,
        **extra,
    )


def _moved(program, before, rain, *, capacity) -> Session:
    """A session moved to its rain date: its times are the rain date's, as session_move_to_rain_date
    leaves them."""
    return _session(program, rain, capacity=capacity, moved_to_rain_date=True, times_changed=1,
                    rain_starts_at=rain, rain_ends_at=rain + timedelta(hours=2))  # fmt: skip


def _apply(session, helper, status, *, late=False) -> Application:
    return ApplicationFactory(session=session, helper=helper, status=status, late_cancellation=late)


@pytest.fixture
def october(municipality, other_municipality, organization, other_organization) -> October:
    district = DistrictFactory(municipality=municipality, name="古川町")
    n3 = NeedFactory(municipality=municipality, nushi=organization, channel=Need.Channel.WEB)
    p1 = ProgramFactory(
        municipality=municipality, nushi=organization, district=district, need=n3,
        category="farming", relationship_type=RelationshipType.DIRECT, published_at=jst(10, 3),
    )  # fmt: skip
    p2 = ProgramFactory(
        municipality=municipality, nushi=other_organization, district=None,
        category="craft", relationship_type=RelationshipType.EXCHANGE, published_at=jst(8, 20),
    )  # fmt: skip
    p3 = ProgramFactory(
        municipality=other_municipality,
        nushi=OrganizationFactory(municipality=other_municipality),
        published_at=jst(10, 4),
    )
    n1 = NeedFactory(municipality=municipality, nushi=organization, channel=Need.Channel.PHONE)
    n2 = NeedFactory(municipality=municipality, nushi=other_organization)
    # created_at is auto_now_add: set the dates the way the rows would have them.
    Need.objects.filter(pk=n1.pk).update(created_at=jst(10, 10))
    Need.objects.filter(pk=n2.pk).update(created_at=jst(10, 15))
    Need.objects.filter(pk=n3.pk).update(created_at=jst(9, 20))

    sessions = {
        "S6": _session(p1, jst(9, 15)),
        "S0": _session(p2, jst(10, 1, 8), capacity=3),
        "S1": _session(p1, jst(10, 5, 9), capacity=5),
        "S2": _session(p1, jst(10, 31, 23, 30), capacity=4),
        "S3": _moved(p2, jst(9, 30), jst(10, 2), capacity=2),
        "S4": _session(p2, jst(10, 20), status=Session.Status.CANCELLED),
        "S7": _session(p1, jst(11, 1, 0, 30)),
        "S8": _moved(p2, jst(10, 30), jst(11, 2), capacity=2),
        "S5": _session(p3, jst(10, 10)),
    }

    def helper(name, prefecture, municipality_name=""):
        return HelperProfileFactory(
            display_name=name, home_prefecture=prefecture, home_municipality=municipality_name
        ).user

    helpers = {
        "H1": helper("H1", "東京都", "千代田区"),
        "H2": helper("H2", "岐阜県", "飛騨市"),
        "H3": helper("H3", "岐阜県", "高山市"),
        "H4": helper("H4", ""),
        "H5": helper("H5", "大阪府", "大阪市"),
        "H6": helper("H6", "愛知県", "名古屋市"),
        "H7": helper("H7", "東京都", "世田谷区"),
        "H8": helper("H8", "京都府", "京都市"),
        "H9": helper("H9", "東京都", "八王子市"),
        "H10": helper("H10", "岐阜県", "郡上市"),
    }
    h = helpers
    _apply(sessions["S6"], h["H1"], S.ATTENDED)
    _apply(sessions["S1"], h["H1"], S.ATTENDED)
    _apply(sessions["S1"], h["H2"], S.ATTENDED)
    _apply(sessions["S1"], h["H5"], S.NO_SHOW)
    _apply(sessions["S1"], h["H7"], S.CANCELLED)
    _apply(sessions["S1"], h["H9"], S.WAITLISTED)
    _apply(sessions["S2"], h["H1"], S.ATTENDED)
    _apply(sessions["S2"], h["H4"], S.ATTENDED)
    _apply(sessions["S2"], h["H6"], S.CANCELLED, late=True)
    _apply(sessions["S3"], h["H3"], S.ATTENDED)
    _apply(sessions["S3"], h["H8"], S.DECLINED)
    _apply(sessions["S4"], h["H2"], S.CANCELLED)
    _apply(sessions["S5"], h["H10"], S.ATTENDED)
    _apply(sessions["S7"], h["H2"], S.ATTENDED)
    _apply(sessions["S8"], h["H3"], S.ATTENDED)
    return October(municipality, helpers, sessions, {"P1": p1, "P2": p2, "P3": p3})
