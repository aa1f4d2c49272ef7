"""The pages staff and nushi land on after signing in: what each lists (their municipality's or their
organisation's only), the login redirect by role, and the query budgets."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.adapter import AccountAdapter
from accounts.models import User
from notifications.delivery import MAX_ATTEMPTS
from notifications.models import OutboxMessage
from portal.models import Application, Program, SessionMessage, ThankYou
from portal.selectors.dashboards import nushi_dashboard, staff_dashboard
from tests.accounts.factories import PASSWORD, HelperProfileFactory
from tests.portal.factories import (
    ApplicationFactory,
    NeedFactory,
    ProgramFactory,
    SessionFactory,
    later_today,
)

pytestmark = pytest.mark.django_db
Status = Application.Status


def _session(program, *, days=0.0, hours=2, **kwargs):
    starts = timezone.now() + timedelta(days=days, hours=hours)
    return SessionFactory(
        program=program,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        apply_deadline=min(starts, timezone.now() + timedelta(days=days)) - timedelta(hours=1),
        **kwargs,
    )


def _fresh(user: User) -> User:
    """The user as a new request reads it: no role caches left on the object."""
    return User.objects.get(pk=user.pk)


# --- where each role lands ----------------------------------------------------------------------


def test_a_nushi_lands_on_their_programs_and_a_helper_on_my_page(client, nushi, helper):
    response = client.post(reverse("account_login"), {"login": nushi.email, "password": PASSWORD})
    assert response["Location"] == reverse("nushi_dashboard")
    client.logout()
    response = client.post(reverse("account_login"), {"login": helper.email, "password": PASSWORD})
    assert response["Location"] == reverse("mypage")


def test_a_next_address_still_wins(client, nushi):
    response = client.post(
        reverse("account_login") + "?next=/programs/",
        {"login": nushi.email, "password": PASSWORD},
    )
    assert response["Location"] == "/programs/"


def test_the_adapter_sends_each_role_to_its_page(staff, nushi, helper):
    request = RequestFactory().get("/")
    adapter = AccountAdapter(request)
    for user, name in ((staff, "staff_dashboard"), (nushi, "nushi_dashboard"), (helper, "mypage")):
        request.user = _fresh(user)
        assert adapter.get_login_redirect_url(request) == reverse(name)


def test_the_nav_shows_each_dashboard_to_its_role(client, staff, nushi, helper):
    client.force_login(staff)
    assert reverse("staff_dashboard") in client.get(reverse("mypage")).content.decode()
    client.force_login(nushi)
    page = client.get(reverse("mypage")).content.decode()
    assert reverse("nushi_dashboard") in page and reverse("staff_dashboard") not in page
    client.force_login(helper)
    page = client.get(reverse("mypage")).content.decode()
    assert reverse("nushi_dashboard") not in page and reverse("staff_dashboard") not in page


def test_a_helper_is_refused_both_dashboards(client, helper):
    client.force_login(helper)
    assert client.get(reverse("staff_dashboard")).status_code == 403
    assert client.get(reverse("nushi_dashboard")).status_code == 403


# --- staff ------------------------------------------------------------------------------------------


@pytest.fixture
def staff_world(municipality, organization, other_municipality, helper, other_helper, staff):
    program = ProgramFactory(municipality=municipality, nushi=organization, title="きょうの草取り")
    today = _session(program, hours=(later_today() - timezone.now()) / timedelta(hours=1),
                     capacity=4, places_taken=3)  # fmt: skip
    later = _session(program, days=3, capacity=5, places_taken=1)
    _session(program, days=9)  # beyond the week
    selection = _session(
        program, days=5, acceptance_mode="selection", capacity=3
    )  # a selection with two waiting
    ApplicationFactory(session=selection, helper=helper, status=Status.APPLIED)
    ApplicationFactory(session=selection, helper=other_helper, status=Status.APPLIED)
    elsewhere = ProgramFactory(municipality=other_municipality, title="郡上のそば打ち")
    _session(elsewhere, hours=1)
    ApplicationFactory(session=_session(elsewhere, days=2), helper=helper, status=Status.APPLIED)
    NeedFactory(municipality=municipality, nushi=organization, title="雪かきをお願い")
    NeedFactory(
        municipality=other_municipality,
        nushi=elsewhere.nushi,
        title="郡上の困りごと",
    )
    pending = ProgramFactory(
        municipality=municipality, nushi=organization, status="pending_nushi", title="和紙の下書き"
    )
    ProgramFactory(municipality=other_municipality, status="pending_nushi", title="郡上の下書き")
    for m in (municipality, other_municipality):
        OutboxMessage.objects.create(
            recipient=helper, kind="application_accepted", object_key=f"x:{m.pk}", subject="s",
            body="b", due_at=timezone.now(), attempts=MAX_ATTEMPTS, last_error="refused",
            municipality=m,
        )  # fmt: skip
    return {"today": today, "later": later, "selection": selection, "pending": pending}


def test_staff_see_their_municipality_today_this_week_and_what_waits(client, staff, staff_world):
    board = staff_dashboard(_fresh(staff))
    assert [s.pk for s in board.today] == [staff_world["today"].pk]
    assert [s.pk for s in board.week] == [staff_world["later"].pk, staff_world["selection"].pk]
    assert [s.pk for s in board.waiting_sessions] == [staff_world["selection"].pk]
    assert board.waiting_total == 2
    assert board.needs_total == 1 and [n.title for n in board.new_needs] == ["雪かきをお願い"]
    assert [p.pk for p in board.with_nushi] == [staff_world["pending"].pk]
    assert board.failed_notifications == 1

    client.force_login(staff)
    page = client.get(reverse("staff_dashboard")).content.decode()
    assert "確定 3 / 定員 4人" in page and "選考待ち 2人" in page
    assert "郡上" not in page
    for name in ("staff_home", "staff_outbox"):
        assert reverse(name) in page
    assert reverse("session_roster", args=[staff_world["today"].pk]) in page
    assert reverse("staff_program_detail", args=[staff_world["pending"].pk]) in page


def test_another_municipality_staff_see_none_of_it(staff_world, other_municipality_staff):
    board = staff_dashboard(_fresh(other_municipality_staff))
    assert all(s.program.municipality_id != staff_world["today"].program.municipality_id
               for s in board.today + board.week + board.waiting_sessions)  # fmt: skip
    assert [n.title for n in board.new_needs] == ["郡上の困りごと"]
    assert [p.title for p in board.with_nushi] == ["郡上の下書き"]
    assert board.failed_notifications == 1


def test_the_staff_dashboard_reads_a_fixed_number_of_queries(
    staff, staff_world, django_assert_num_queries, client
):
    # The staff member's municipalities (1), the week's sessions (1), the sessions with applications
    # waiting (1), need counts (1), newest needs (1), drafts with the nushi (1), failed sends (1).
    user = _fresh(staff)
    with django_assert_num_queries(7):
        board = staff_dashboard(user)
        assert board.today[0].program.title == "きょうの草取り"  # selected with the session
    client.force_login(staff)
    # A session's first page also checks the terms accepted (accounts.middleware) and stores that in the
    # session; the comparison is of the pages after it.
    client.get(reverse("staff_dashboard"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("staff_dashboard"))
    program = staff_world["today"].program
    for days in range(1, 6):
        s = _session(program, days=days, acceptance_mode="selection")
        ApplicationFactory(session=s, helper=HelperProfileFactory().user)
        ProgramFactory(municipality=program.municipality, status="pending_nushi")
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("staff_dashboard"))
    assert len(large) == len(small)


# --- nushi ------------------------------------------------------------------------------------------


@pytest.fixture
def nushi_world(municipality, organization, other_organization, nushi, helper, other_helper):
    program = ProgramFactory(municipality=municipality, nushi=organization, title="みょうが畑")
    selection = _session(program, days=4, acceptance_mode="selection")
    waiting = ApplicationFactory(session=selection, helper=helper, status=Status.APPLIED)
    past = _session(program, days=-3)
    ApplicationFactory(session=past, helper=other_helper, status=Status.ATTENDED)
    thanked = _session(program, days=-5)
    ApplicationFactory(session=thanked, helper=helper, status=Status.ATTENDED)
    ThankYou.objects.create(session=thanked, author=nushi, body="ありがとう")
    message = SessionMessage.objects.create(
        session=selection, application=waiting, author=helper, body="長靴は要りますか？"
    )
    SessionMessage.objects.create(session=selection, author=nushi, body="自分の投稿")
    draft = ProgramFactory(municipality=municipality, nushi=organization, status="pending_nushi")
    other = ProgramFactory(municipality=municipality, nushi=other_organization, title="和紙すき")
    other_session = _session(other, days=2, acceptance_mode="selection")
    ApplicationFactory(session=other_session, helper=other_helper, status=Status.APPLIED)
    return {
        "selection": selection, "waiting": waiting, "past": past, "message": message,
        "draft": draft, "other_session": other_session,
    }  # fmt: skip


def test_the_nushi_sees_sessions_waiting_people_messages_and_thanks_to_send(
    client, nushi, nushi_world
):
    board = nushi_dashboard(_fresh(nushi))
    assert [s.pk for s in board.upcoming] == [nushi_world["selection"].pk]
    assert board.upcoming[0].waiting == 1
    assert [a.pk for a in board.waiting] == [nushi_world["waiting"].pk]
    assert [m.pk for m in board.messages] == [nushi_world["message"].pk]
    assert [s.pk for s in board.thanks_due] == [nushi_world["past"].pk]
    assert [p.pk for p in board.to_confirm] == [nushi_world["draft"].pk]

    client.force_login(nushi)
    page = client.get(reverse("nushi_dashboard")).content.decode()
    assert "ゆうき" in page and "長靴は要りますか？" in page and "和紙すき" not in page
    assert reverse("session_thanks", args=[nushi_world["past"].pk]) in page
    assert reverse("application_messages", args=[nushi_world["waiting"].pk]) in page
    assert reverse("session_roster", args=[nushi_world["selection"].pk]) in page


def test_another_nushi_sees_only_their_own(other_nushi, nushi_world):
    board = nushi_dashboard(_fresh(other_nushi))
    assert [s.pk for s in board.upcoming] == [nushi_world["other_session"].pk]
    assert [a.session_id for a in board.waiting] == [nushi_world["other_session"].pk]
    assert board.messages == [] and board.thanks_due == [] and board.to_confirm == []


def test_the_nushi_dashboard_reads_a_fixed_number_of_queries(
    nushi, nushi_world, django_assert_num_queries, client
):
    # The user's organisations (1), upcoming sessions (1), applications waiting (1), messages (1),
    # sessions owed a thank-you (1), drafts to confirm (1).
    user = _fresh(nushi)
    with django_assert_num_queries(6):
        board = nushi_dashboard(user)
        # The helper's profile comes with the application.
        assert board.waiting[0].helper.helper_profile.display_name == "ゆうき"
    client.force_login(nushi)
    # A session's first page also checks the terms accepted (accounts.middleware) and stores that in the
    # session; the comparison is of the pages after it.
    client.get(reverse("nushi_dashboard"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("nushi_dashboard"))
    program = nushi_world["selection"].program
    for days in range(1, 6):
        s = _session(program, days=days, acceptance_mode="selection")
        a = ApplicationFactory(session=s, helper=HelperProfileFactory().user)
        SessionMessage.objects.create(session=s, application=a, author=a.helper, body="よろしく")
        past = _session(program, days=-days - 6)
        ApplicationFactory(session=past, helper=HelperProfileFactory().user, status="attended")
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("nushi_dashboard"))
    assert len(large) == len(small)


def test_a_program_nushi_confirmed_leaves_the_lists(nushi, nushi_world):
    Program.objects.filter(pk=nushi_world["draft"].pk).update(status="confirmed")
    assert nushi_dashboard(_fresh(nushi)).to_confirm == []
