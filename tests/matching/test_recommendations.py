"""「あなたへのおすすめ」 on the home page and my page: reasons, eligibility, a bounded number of queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Application, Program, Session
from portal.selectors.matching import recommendations_for
from tests.accounts.factories import HelperProfileFactory
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def programs(municipality, organization, other_organization):
    # A Saturday four weeks ahead.
    start = timezone.now() + timedelta(days=28)
    start += timedelta(days=(5 - timezone.localtime(start).weekday()) % 7)
    myoga = ProgramFactory(municipality=municipality, nushi=organization, title="みょうが畑づくり")
    washi = ProgramFactory(
        municipality=municipality, nushi=other_organization, title="楮の皮はぎ", category="craft"
    )
    return {
        "myoga": SessionFactory(program=myoga, starts_at=start),
        "washi": SessionFactory(program=washi, starts_at=start + timedelta(days=7)),
    }


def test_a_returning_helper_is_told_why(client, programs, organization):
    profile = HelperProfileFactory(
        home_prefecture="岐阜県", home_municipality="岐阜市", available_weekdays=[5, 6]
    )
    past = SessionFactory(
        program=programs["myoga"].program,
        starts_at=timezone.now() - timedelta(days=30),
    )
    ApplicationFactory(session=past, helper=profile.user, status=Application.Status.ATTENDED)
    client.force_login(profile.user)
    for url in (reverse("home"), reverse("mypage")):
        page = client.get(url).content.decode()
        assert "あなたへのおすすめ" in page
        assert (
            "前回お手伝いしたみょうが農家 中田さんのプログラム・興味のある「援農・農作業」" in page
        )
        assert "みょうが畑づくり" in page


def test_nothing_for_visitors_and_people_without_a_helper_profile(client, programs, staff):
    assert "あなたへのおすすめ" not in client.get(reverse("home")).content.decode()
    client.force_login(staff)
    assert "あなたへのおすすめ" not in client.get(reverse("home")).content.decode()


def test_a_session_that_closed_after_the_table_was_built_is_not_shown(helper, programs):
    assert {r.session.pk for r in recommendations_for(helper)} == {
        programs["myoga"].pk,
        programs["washi"].pk,
    }
    # The table is kept for minutes; what is shown is read again.
    Session.objects.filter(pk=programs["myoga"].pk).update(places_taken=10)
    Program.objects.filter(pk=programs["washi"].program_id).update(status=Program.Status.CLOSED)
    assert recommendations_for(helper) == []


def test_already_applied_sessions_are_not_recommended(helper, programs):
    ApplicationFactory(session=programs["myoga"], helper=helper)
    assert [r.session.pk for r in recommendations_for(helper)] == [programs["washi"].pk]


def test_home_page_query_budget(client, helper, programs, django_assert_max_num_queries):
    client.force_login(helper)
    client.get(reverse("home"))  # builds this process's table of open sessions
    # The page's own queries (session, user, municipalities, ...) plus the recommendations':
    # profile, applications, municipalities of the prefecture, the sessions shown (rechecked).
    with django_assert_max_num_queries(12) as ctx:
        client.get(reverse("home"))
    matching = [
        q
        for q in ctx.captured_queries
        if "helperprofile" in q["sql"] or "portal_session" in q["sql"]
    ]
    assert len(matching) <= 4
    for n in range(20):  # more sessions: the same number of queries
        SessionFactory(
            program=programs["myoga"].program, starts_at=timezone.now() + timedelta(days=40 + n)
        )
    with django_assert_max_num_queries(12):
        client.get(reverse("home"))
