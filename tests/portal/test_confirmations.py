"""Staff actions that tell people or cannot be undone (cancel a session or a program, move a session to
its rain date, close, reject) run only from a confirmation page that shows who will be told what. The
page writes nothing; the POST without the confirmation (or without a reason where people are told one)
changes nothing and sends nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from portal.models import Application, Program, Session
from portal.services import programs as program_services
from portal.services import session_changes
from portal.services.errors import InvalidTransition
from tests.accounts.factories import HelperProfileFactory
from tests.portal.factories import ApplicationFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


def named_helper(name: str):
    return HelperProfileFactory(display_name=name).user


@pytest.fixture
def program(municipality, organization):
    return ProgramFactory(municipality=municipality, nushi=organization, title="みょうが畑づくり")


@pytest.fixture
def session(program):
    starts = timezone.now() + timedelta(days=10)
    return SessionFactory(
        program=program,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        rain_starts_at=starts + timedelta(days=1),
        rain_ends_at=starts + timedelta(days=1, hours=3),
        capacity=5,
        places_taken=1,
    )


@pytest.fixture
def people(session, nushi):
    """An accepted helper, one on the waitlist and one still applied (選考中)."""
    return {
        status: ApplicationFactory(session=session, helper=named_helper(name), status=status)
        for status, name in [
            (Status.ACCEPTED, "やまだ"),
            (Status.WAITLISTED, "すずき"),
            (Status.APPLIED, "たなか"),
        ]
    }


def state(session: Session) -> tuple:
    session.refresh_from_db()
    return (
        session.status,
        session.starts_at,
        OutboxMessage.objects.count(),
        sorted(session.applications.values_list("status", flat=True)),
    )


# --- the services refuse an empty reason ------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "  \n"])
def test_session_cancel_refuses_an_empty_reason(session, people, staff, reason):
    before = state(session)
    with pytest.raises(InvalidTransition):
        session_changes.session_cancel(session_id=session.pk, actor=staff, reason=reason)
    assert state(session) == before


def test_program_cancel_refuses_an_empty_reason(program, session, people, staff):
    before = state(session)
    with pytest.raises(InvalidTransition):
        program_services.program_cancel(program=program, actor=staff, reason=" ")
    assert state(session) == before
    assert Program.objects.get(pk=program.pk).status == Program.Status.PUBLISHED


# --- cancelling a session ---------------------------------------------------------------------------


def test_the_cancel_page_shows_who_is_told_what_and_writes_nothing(client, session, people, staff):
    """`people` has the nushi (a member of the organisation) among the hosts; `staff` the other."""
    client.force_login(staff)
    before = state(session)
    page = client.get(reverse("session_cancel", args=[session.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    groups = page.context["preview"].groups
    assert [(g.label, g.names) for g in groups[:3]] == [
        ("参加確定の方", ["やまだ"]),
        ("選考中の方", ["たなか"]),
        ("キャンセル待ちの方", ["すずき"]),
    ]
    # The hosts' copy: the nushi and the municipality's staff.
    assert groups[3].label == "ヌシと事務局" and groups[3].count == 2
    assert groups[3].names == [f"{session.program.nushi.name} 1人", "事務局 1人"]
    # The messages come from the notice templates, the reason's place marked.
    assert groups[0].message.subject == "開催中止のお知らせ"
    assert "申し訳ありません。次の日程は中止になりました。" in groups[0].message.body
    assert "（ここに入力した中止の理由が入ります）" in text
    assert "この日程を中止しました。" in groups[3].message.body
    assert "中止は元に戻せません。" in text
    assert state(session) == before  # no outbox row, nothing changed


def test_cancelling_needs_the_confirmation_and_a_reason(client, session, people, staff):
    client.force_login(staff)
    url = reverse("session_cancel", args=[session.pk])
    before = state(session)
    response = client.post(url, {"reason": "大雨のため"})
    assert response.status_code == 200
    assert "内容を確かめたら、チェックを入れてください。" in response.content.decode()
    # What was typed stays, and the preview shows it in the message.
    assert "大雨のため" in response.context["preview"].groups[0].message.body
    response = client.post(url, {"reason": " ", "confirm": "on"})
    assert "理由を入力してください。お知らせに載ります。" in response.content.decode()
    assert state(session) == before
    response = client.post(url, {"reason": "大雨のため", "confirm": "on"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
    told = OutboxMessage.objects.filter(kind="session_cancelled")
    helpers = {a.helper_id for a in people.values()}
    assert helpers <= set(told.values_list("recipient_id", flat=True))
    assert all("大雨のため" in m.body for m in told)


def test_the_cancel_page_speaks_the_language_of_the_page(client, session, people, staff):
    client.force_login(staff)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("session_cancel", args=[session.pk]))
    groups = page.context["preview"].groups
    assert groups[0].message.subject == "Session cancelled"


# --- moving to the rain date ------------------------------------------------------------------------


def test_the_rain_date_page_shows_the_new_date_and_who_is_told(client, session, people, staff):
    client.force_login(staff)
    before = state(session)
    page = client.get(reverse("session_rain_date", args=[session.pk]))
    text = page.content.decode()
    rain = timezone.localtime(session.rain_starts_at)
    assert f"新しい日時: {rain.year}年{rain.month}月{rain.day}日" in text
    groups = page.context["preview"].groups
    assert [g.names for g in groups[:3]] == [["やまだ"], ["たなか"], ["すずき"]]
    assert groups[0].message.subject == "予備日に変更になりました"
    assert f"{rain.month}月{rain.day}日" in groups[0].message.body
    assert state(session) == before


def test_the_rain_date_page_names_who_loses_their_place_by_an_overlap(
    client, program, session, people, staff
):
    """An accepted helper whose rain date overlaps another place they hold is released by the move:
    the page says so, with the message they will receive."""
    accepted = people[Status.ACCEPTED]
    other = SessionFactory(
        program=program,
        starts_at=session.rain_starts_at,
        ends_at=session.rain_ends_at,
        places_taken=1,
    )
    ApplicationFactory(session=other, helper=accepted.helper, status=Status.ACCEPTED)
    client.force_login(staff)
    groups = client.get(reverse("session_rain_date", args=[session.pk])).context["preview"].groups
    assert groups[0].label.endswith("取り消しになる方") and groups[0].names == ["やまだ"]
    assert groups[0].message.subject == "予備日への変更のお知らせ（参加取消）"
    client.post(reverse("session_rain_date", args=[session.pk]), {"confirm": "on"})
    assert (
        OutboxMessage.objects.get(recipient=accepted.helper, kind="session_moved_released").subject
        == groups[0].message.subject
    )


def test_moving_to_the_rain_date_needs_the_confirmation(client, session, people, staff):
    client.force_login(staff)
    url = reverse("session_rain_date", args=[session.pk])
    before = state(session)
    response = client.post(url)
    assert response.status_code == 200
    assert "内容を確かめたら、チェックを入れてください。" in response.content.decode()
    assert state(session) == before
    starts = session.starts_at
    client.post(url, {"confirm": "on"})
    session.refresh_from_db()
    assert session.moved_to_rain_date and session.moved_from_starts_at == starts
    assert OutboxMessage.objects.filter(kind="session_moved").exists()


def test_a_session_without_a_rain_date_has_no_rain_date_page(client, session, staff):
    Session.objects.filter(pk=session.pk).update(rain_starts_at=None, rain_ends_at=None)
    client.force_login(staff)
    response = client.get(reverse("session_rain_date", args=[session.pk]))
    assert response.status_code == 302


# --- closing a session ------------------------------------------------------------------------------


@pytest.fixture
def past_session(program):
    starts = timezone.now() - timedelta(days=1)
    return SessionFactory(
        program=program,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        apply_deadline=starts - timedelta(days=2),
        places_taken=1,
    )


def test_the_nushi_closes_a_session_after_the_confirmation(client, past_session, nushi):
    ApplicationFactory(session=past_session, helper=named_helper("やまだ"), status=Status.ATTENDED)
    ApplicationFactory(session=past_session, helper=named_helper("すずき"), status=Status.NO_SHOW)
    client.force_login(nushi)
    url = reverse("session_close", args=[past_session.pk])
    page = client.get(url)
    assert page.context["affected"][:2] == [("参加", ["やまだ"]), ("欠席", ["すずき"])]
    assert "元に戻せません" in page.content.decode()
    assert client.post(url).status_code == 200
    assert Session.objects.get(pk=past_session.pk).status == Session.Status.SCHEDULED
    client.post(url, {"confirm": "on"})
    assert Session.objects.get(pk=past_session.pk).status == Session.Status.CLOSED


def test_the_close_page_says_when_attendance_is_missing(client, past_session, nushi):
    ApplicationFactory(session=past_session, helper=named_helper("やまだ"), status=Status.ACCEPTED)
    client.force_login(nushi)
    page = client.get(reverse("session_close", args=[past_session.pk]))
    assert "出欠が未入力の方が1人います。" in page.content.decode()
    assert page.context["affected"][2] == ("出欠が未入力", ["やまだ"])


# --- program actions --------------------------------------------------------------------------------


def test_the_program_cancel_page_lists_the_sessions_and_who_is_told(
    client, program, session, people, staff
):
    client.force_login(staff)
    url = reverse("staff_program_action", args=[program.pk, "cancel"])
    before = state(session)
    page = client.get(url)
    assert page.context["sessions"] == [session]
    groups = page.context["preview"].groups
    assert [g.names for g in groups] == [["やまだ"], ["たなか"], ["すずき"]]
    assert "ヌシにはお知らせが届きません" in page.content.decode()
    client.post(url, {"confirm": "on"})
    client.post(url, {"reason": "イベント中止のため"})
    assert state(session) == before
    assert Program.objects.get(pk=program.pk).status == Program.Status.PUBLISHED
    client.post(url, {"reason": "イベント中止のため", "confirm": "on"})
    assert Program.objects.get(pk=program.pk).status == Program.Status.CANCELLED
    assert Session.objects.get(pk=session.pk).status == Session.Status.CANCELLED


def test_the_reject_page_shows_the_nushi_the_message(
    client, municipality, organization, nushi, staff
):
    draft = ProgramFactory(municipality=municipality, nushi=organization, status="confirmed")
    client.force_login(staff)
    url = reverse("staff_program_action", args=[draft.pk, "reject"])
    page = client.get(url)
    (group,) = page.context["preview"].groups
    assert group.names == [organization.name] and group.count == 1
    assert "（ここに入力した見送りの理由が入ります）" in group.message.body
    assert OutboxMessage.objects.count() == 0
    client.post(url, {"confirm": "on"})
    assert Program.objects.get(pk=draft.pk).status == "confirmed"
    client.post(url, {"reason": "時期が合わないため", "confirm": "on"})
    assert Program.objects.get(pk=draft.pk).status == "rejected"
    assert "時期が合わないため" in OutboxMessage.objects.get(recipient=nushi).body


def test_closing_a_program_needs_the_confirmation(client, program, staff):
    client.force_login(staff)
    url = reverse("staff_program_action", args=[program.pk, "close"])
    assert "募集の終了は元に戻せません。" in client.get(url).content.decode()
    client.post(url)
    assert Program.objects.get(pk=program.pk).status == Program.Status.PUBLISHED
    client.post(url, {"confirm": "on"})
    assert Program.objects.get(pk=program.pk).status == Program.Status.CLOSED


def test_actions_without_a_confirmation_page_take_post_only(client, program, staff):
    client.force_login(staff)
    assert client.get(reverse("staff_program_action", args=[program.pk, "send"])).status_code == 405


# --- who may open the pages -------------------------------------------------------------------------


def confirmation_urls(program, session, past_session):
    return [
        reverse("session_cancel", args=[session.pk]),
        reverse("session_rain_date", args=[session.pk]),
        reverse("session_close", args=[past_session.pk]),
        *(
            reverse("staff_program_action", args=[program.pk, action])
            for action in ("close", "reject", "cancel")
        ),
    ]


def test_other_municipality_staff_get_404_and_change_nothing(
    client, program, session, past_session, people, other_municipality_staff
):
    client.force_login(other_municipality_staff)
    before = state(session)
    for url in confirmation_urls(program, session, past_session):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x", "confirm": "on"}).status_code == 404, url
    assert state(session) == before
    assert Program.objects.get(pk=program.pk).status == Program.Status.PUBLISHED


def test_the_nushi_may_close_but_not_cancel_or_move(client, session, past_session, people, nushi):
    client.force_login(nushi)
    for name in ("session_cancel", "session_rain_date"):
        url = reverse(name, args=[session.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"reason": "x", "confirm": "on"}).status_code == 404
    assert client.get(reverse("session_close", args=[past_session.pk])).status_code == 200


def test_the_roster_leads_to_the_confirmation_pages(client, session, people, staff):
    client.force_login(staff)
    page = client.get(reverse("session_roster", args=[session.pk])).content.decode()
    for name in ("session_cancel", "session_rain_date"):
        url = reverse(name, args=[session.pk])
        assert f'href="{url}"' in page
        assert f'action="{url}"' not in page
