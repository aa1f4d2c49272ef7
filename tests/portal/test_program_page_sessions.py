"""The program page's sessions: upcoming first by date, the past ones after them, folded, the latest
first; a session moved to its rain date reads as one move, not as two equal dates."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from portal.services import session_changes
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2030, 7, 1, 12, 0, tzinfo=TOKYO)


def at(month: int, day: int) -> dict:
    starts = datetime(2030, month, day, 9, 0, tzinfo=TOKYO)
    return {
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=3),
        "apply_deadline": starts - timedelta(days=2),
    }


def dates_in(html: str) -> list[str]:
    return re.findall(r"2030年(\d+月\d+日)", html)


@pytest.fixture
def program(municipality):
    return ProgramFactory(municipality=municipality)


def test_upcoming_sessions_come_first_and_past_ones_fold_after(client, program):
    for month, day in [(6, 1), (7, 20), (6, 20), (7, 10)]:
        SessionFactory(program=program, **at(month, day))
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("program_detail", args=[program.pk])).content.decode()
    upcoming, _, past = page.partition('data-testid="past-sessions"')
    assert dates_in(upcoming) == ["7月10日", "7月20日"]
    assert dates_in(past) == ["6月20日", "6月1日"]
    assert "終わった開催日（2件）" in past


def test_only_past_sessions_say_there_is_none_ahead(client, program):
    SessionFactory(program=program, **at(6, 1))
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("program_detail", args=[program.pk])).content.decode()
    assert "これからの開催日はありません。" in page


def test_a_rain_date_move_reads_as_a_move(client, program, staff):
    session = SessionFactory(
        program=program,
        **at(7, 5),
        rain_starts_at=datetime(2030, 7, 6, 9, 0, tzinfo=TOKYO),
        rain_ends_at=datetime(2030, 7, 6, 12, 0, tzinfo=TOKYO),
    )
    url = reverse("program_detail", args=[program.pk])
    with time_machine.travel(NOW, tick=False):
        before = client.get(url).content.decode()
        session_changes.session_move_to_rain_date(session_id=session.pk, actor=staff)
        after = client.get(url).content.decode()
    assert "予備日: 7月6日(土) 09:00〜12:00" in before
    assert "7月5日(金) → 雨天のため2030年7月6日(土) 09:00〜12:00に変更" in after
    assert "予備日:" not in after
