"""The roster shows what a host needs to choose and greet a helper: display name (with a tag telling
two of one name apart), home prefecture, age band, skills, how often they helped before (here and in
total), their message. Its 確定 count is the number of rows listed under 参加確定."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import HelperProfile
from accounts.selectors import age_band, name_tag
from portal.models import Application, Session
from tests.accounts.factories import HelperProfileFactory, MunicipalityFactory
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


def _past(program, days):
    starts = timezone.now() - timedelta(days=days)
    return SessionFactory(
        program=program,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        apply_deadline=starts - timedelta(days=1),
    )


def _roster(client, user, session) -> str:
    client.force_login(user)
    response = client.get(reverse("session_roster", args=[session.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_row_tells_who_is_coming(client, nushi, session, municipality):
    profile = HelperProfileFactory(
        display_name="たけし", home_prefecture="愛知県", birth_year=timezone.now().year - 34,
        skills=["farming", "driving"],
    )  # fmt: skip
    helper = profile.user
    ApplicationFactory(
        session=session, helper=helper, status=Status.APPLIED, message="軽トラ運転できます"
    )
    # Helped twice in 飛騨市 and once elsewhere; a cancelled application does not count.
    for days in (30, 60):
        ApplicationFactory(
            session=_past(session.program, days), helper=helper, status=Status.ATTENDED
        )
    elsewhere = ProgramFactory(municipality=MunicipalityFactory(name="高山市"))
    ApplicationFactory(session=_past(elsewhere, 90), helper=helper, status=Status.ATTENDED)
    ApplicationFactory(session=_past(elsewhere, 120), helper=helper, status=Status.CANCELLED)
    page = _roster(client, nushi, session)
    assert "たけし" in page and f"#{name_tag(profile)}" in page
    assert "愛知県・30代・飛騨市で2回・全体で3回 お手伝い" in page
    assert "農作業、運転" in page and "軽トラ運転できます" in page


def test_times_helped_before_leave_out_this_session(client, nushi, session, helper):
    past = _past(session.program, 3)
    ApplicationFactory(session=past, helper=helper, status=Status.ATTENDED)
    ApplicationFactory(session=_past(session.program, 40), helper=helper, status=Status.ATTENDED)
    assert "飛騨市で1回・全体で1回 お手伝い" in _roster(client, nushi, past)


def test_a_first_timer_says_so(client, nushi, session, helper):
    ApplicationFactory(session=session, helper=helper, status=Status.APPLIED)
    assert "はじめてのお手伝い" in _roster(client, nushi, session)


def test_two_helpers_of_one_name_are_told_apart(client, nushi, session):
    twins = [HelperProfileFactory(display_name="はな") for _ in range(2)]
    for profile in twins:
        ApplicationFactory(session=session, helper=profile.user, status=Status.APPLIED)
    tags = re.findall(r'data-testid="name-tag"[^>]*>#(\w+)<', _roster(client, nushi, session))
    assert len(tags) == 2 and tags[0] != tags[1]
    # Stable: the same profile has the same tag on every roster.
    assert tags == [name_tag(HelperProfile.objects.get(pk=p.pk)) for p in twins]


def test_the_age_band_counts_by_the_sessions_year(session):
    profile = HelperProfile(birth_year=2008)
    assert age_band(profile, session.starts_at.replace(year=2026)) == "10代"
    assert age_band(profile, session.starts_at.replace(year=2028)) == "20代"
    assert age_band(HelperProfile(birth_year=None), session.starts_at) == ""


def test_a_past_roster_lists_under_kakutei_exactly_the_count_it_shows(client, staff, session):
    past = _past(session.program, 3)
    people = [HelperProfileFactory().user for _ in range(10)]
    for helper in people[:6]:
        ApplicationFactory(session=past, helper=helper, status=Status.ATTENDED)
    for helper in people[6:]:
        ApplicationFactory(session=past, helper=helper, status=Status.NO_SHOW)
    Session.objects.filter(pk=past.pk).update(places_taken=6)
    page = _roster(client, staff, past)
    assert "確定 6 / 定員" in page
    held = page.split('data-testid="roster-held"')[1].split("</ul>")[0]
    assert held.count('data-testid="roster-row"') == 6
    no_show = page.split('data-testid="roster-no_show"')[1].split("</ul>")[0]
    assert no_show.count('data-testid="roster-row"') == 4
    assert "参加確定（6）" in page and "欠席（4）" in page


def test_the_roster_reads_two_queries_for_its_rows(session, django_assert_num_queries):
    from portal.selectors.sessions import roster_rows

    for _ in range(5):
        ApplicationFactory(session=session, helper=HelperProfileFactory().user)
    session = Session.objects.select_related("program").get(pk=session.pk)
    # The applications with their helpers' profiles and attendance (1), earlier attendance (1).
    with django_assert_num_queries(2):
        rows = roster_rows(session)
    assert len(rows) == 5


def test_the_meeting_address_follows_the_place_as_japanese_is_written(client, nushi, session):
    program = session.program
    program.meeting_place, program.meeting_postal_code = "古川町公民館", "509-4234"
    program.meeting_address = "岐阜県飛騨市古川町殿町1-2"
    program.save()
    page = _roster(client, nushi, session)
    # No space before the full-width parenthesis.
    assert re.search(
        r"古川町公民館<span[^>]*>（〒509-4234 岐阜県飛騨市古川町殿町1-2）</span>", page
    )
