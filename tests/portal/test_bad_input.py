"""Malformed or absurd input from the address bar and from forms gets a page with a clear message or a
sane default, never a server error; text that becomes a header (an email subject) is one line."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.delivery import deliver_due
from notifications.models import OutboxMessage
from notifications.services import notify
from portal.models import Need
from tests.accounts.factories import StaffMembershipFactory
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiet_client() -> Client:
    """A client that returns the 500 page instead of raising, as a visitor would see it."""
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "query",
    [
        {"year": "9999", "month": "12"},
        {"year": "1", "month": "1"},
        {"year": "10000", "month": "1"},
        {"year": "-5", "month": "3"},
        {"year": "2026", "month": "13"},
        {"year": "2026", "month": "0"},
        {"year": "9" * 5000, "month": "1"},
        {"year": "２０２６", "month": "x"},
        {"year": "", "month": ""},
    ],
)
def test_the_calendar_answers_any_year_and_month(quiet_client, query):
    response = quiet_client.get(reverse("program_calendar"), query)
    assert response.status_code == 200


def test_a_calendar_out_of_range_shows_the_nearest_month_and_says_so(client):
    this_year = timezone.localdate().year
    page = client.get(reverse("program_calendar"), {"year": "9999", "month": "12"}).content
    page = page.decode()
    assert f"{this_year + 10}年12月の開催日" in page
    assert "表示できる範囲の月を表示しています" in page
    # The last month offers no 次の月 that would lead nowhere.
    assert "次の月" not in page and "前の月" in page
    page = client.get(reverse("program_calendar"), {"year": "1", "month": "1"}).content.decode()
    assert f"{this_year - 10}年1月の開催日" in page and "前の月" not in page


def test_a_months_calendar_in_range_has_no_warning(client):
    today = timezone.localdate()
    page = client.get(
        reverse("program_calendar"), {"year": today.year, "month": today.month}
    ).content.decode()
    assert "表示できる範囲" not in page and "前の月" in page and "次の月" in page


@pytest.mark.parametrize(
    "page", ["99999999999999999999", "9" * 5000, "1000000", "-3", "0", "abc", "1.5", ""]
)
def test_the_listing_answers_any_page_number(quiet_client, municipality, page):
    program = ProgramFactory(municipality=municipality, nushi__municipality=municipality)
    SessionFactory(program=program)
    response = quiet_client.get(reverse("program_list"), {"page": page})
    assert response.status_code == 200


@pytest.mark.parametrize("page", ["99999999999999999999", "201", "0", "-3", "abc", "1.5"])
def test_a_page_out_of_range_shows_the_first_page_and_says_so(client, municipality, page):
    program = ProgramFactory(municipality=municipality, nushi__municipality=municipality)
    SessionFactory(program=program, capacity=10)
    response = client.get(reverse("program_list"), {"page": page, "q": "みょうが"})
    assert len(response.context["listing"].cards) == 1
    problems = response.context["problems"]
    assert problems == [
        f"「ページ」の「{page}」は使えないため、"
        "1ページ目を表示しています（1から200までの数で指定してください）。"
    ]
    assert problems[0] in response.content.decode()


def test_a_page_past_the_last_says_so_and_links_the_first(client, municipality):
    program = ProgramFactory(municipality=municipality, nushi__municipality=municipality)
    SessionFactory(program=program)
    page = client.get(reverse("program_list"), {"page": "3", "q": "みょうが"}).content.decode()
    assert "3ページ目にはプログラムがありません。" in page
    assert '<a href="?q=%E3%81%BF%E3%82%87%E3%81%86%E3%81%8C">1ページ目へ</a>' in page


@pytest.mark.parametrize(
    "query",
    [
        {"date_to": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"date_from": "9999-12-31", "date_to": "0001-01-01"},
        {"district": "99999999999999999999"},
        {"q": "\x00みょうが"},
        {"q": "x" * 10000},
    ],
)
def test_the_listing_answers_any_filter(quiet_client, municipality, query):
    response = quiet_client.get(reverse("program_list"), query)
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_a_date_far_off_is_left_out_and_named(client, municipality, name):
    label = {"date_from": "この日から", "date_to": "この日まで"}[name]
    this_year = timezone.localdate().year
    for day in ("9999-12-31", "0001-01-01"):
        response = client.get(reverse("program_list"), {name: day})
        assert response.context["problems"] == [
            f"「{label}」の「{day}」は使えないため、この条件を外してさがしました"
            f"（日付は{this_year - 10}年から{this_year + 10}年までで指定してください）。"
        ]
        assert response.context["filtered"] is False


def test_a_subject_is_one_line_whatever_the_caller_passes(helper):
    message = notify(
        recipient_id=helper.pk,
        kind="need_submitted",
        object_key="1",
        context={
            # (A NUL cannot reach a notice: PostgreSQL refuses it in the row the title comes from.)
            "need_title": "草取り\r\nBcc: everyone@example.jp" + "あ" * 300,
            "nushi_name": "中田",
            "channel": "電話",
            "url": "https://x.example/",
        },
    )
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.subject.startswith("新しい困りごと: 草取り Bcc: everyone@example.jp")
    assert len(message.subject) <= OutboxMessage._meta.get_field("subject").max_length
    assert message.body.startswith(
        "中田さんから新しい困りごとが届きました（電話）。\n草取り\r\nBcc"
    )


def test_staff_hear_of_a_need_titled_over_two_lines(nushi, organization, staff, mailoutbox):
    """A need saved with a line break in its title (as an older form or the admin could) still reaches
    staff: the notification's subject is made one line, where Django would refuse the header."""
    from portal.services.needs import need_submit

    need = need_submit(
        actor=nushi,
        nushi=organization,
        data={"title": "草取り\r\nをお願い", "description": "畑の草取り", "dates_flexible": True},
    )
    deliver_due()
    assert [m.subject for m in mailoutbox] == ["新しい困りごと: 草取り をお願い"]
    assert not OutboxMessage.objects.filter(sent_at=None).exists()
    assert Need.objects.filter(pk=need.pk).exists()


def test_single_line_fields_lose_line_breaks_and_control_characters(client, nushi, organization):
    client.force_login(nushi)
    response = client.post(
        reverse("need_create"),
        {
            "who-organization": organization.pk,
            "title": "草取り\r\nを\x1bお願い\u2028します\x00",
            "description": "一行目\r\n二行目\x07",
            "meeting_place": "\t公民館\x0b前",
            "dates_flexible": "on",
            "helpers_wanted": "2",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    need = Need.objects.get()
    assert need.title == "草取り をお願い します"
    assert need.meeting_place == "公民館 前"
    # A multi-line field keeps its line breaks and loses the other control characters.
    assert need.description == "一行目\n二行目"


@pytest.mark.parametrize("value", [" ", "abc", "²", "1\x00", "99999999999999999999"])
def test_a_need_for_an_organisation_that_is_no_number_is_refused_on_the_form(
    quiet_client, nushi, organization, staff, value
):
    """The need form's districts depend on the organisation chosen: the choice is read before the form
    is validated, through the field's own cleaning, so any value gives the form back, not a 500."""
    for user, url, field in (
        (nushi, reverse("need_create"), "who-organization"),
        (staff, reverse("staff_need_create"), "intake-organization"),
    ):
        quiet_client.force_login(user)
        response = quiet_client.post(url, {field: value, "title": "草取り", "description": "畑"})
        assert response.status_code == 200, (url, value)
    assert not Need.objects.exists()


def test_a_session_cancelled_with_control_characters_in_its_reason(client, staff, session, helper):
    """The reason is read through a form like every other input: a NUL (which PostgreSQL cannot store)
    is dropped instead of failing the cancellation; one too long is refused with a message."""
    client.force_login(staff)
    url = reverse("session_cancel", args=[session.pk])
    response = client.post(url, {"reason": "x" * 501, "confirm": "on"})
    assert response.status_code == 200
    assert "500" in response.content.decode()  # the form's message: at most 500 characters
    session.refresh_from_db()
    assert session.status == "scheduled"
    response = client.post(url, {"reason": "雨\x00のため\r\n中止", "confirm": "on"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == "cancelled"


def test_a_program_whose_author_left_can_still_be_edited(client, staff, municipality, organization):
    """created_by empties when its author's account is deleted (SET_NULL); an edit then used to fail
    model validation on a field the form does not show, and answer 500."""
    from django.forms.models import model_to_dict

    from portal.forms.programs import ProgramForm

    author = StaffMembershipFactory(municipality=municipality).user
    program = ProgramFactory(
        municipality=municipality, nushi=organization, status="draft", created_by=author
    )
    author.delete()
    program.refresh_from_db()
    assert program.created_by is None
    data = {
        k: v
        for k, v in model_to_dict(program, fields=ProgramForm._meta.fields).items()
        if v not in (None, "")
    }
    data.update(title="新しいタイトル", tags="農業", required_skills=[])
    client.force_login(staff)
    response = client.post(reverse("staff_program_edit", args=[program.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    program.refresh_from_db()
    assert program.title == "新しいタイトル"


def test_a_service_error_on_a_field_the_form_does_not_show_goes_to_the_top_of_the_form():
    from django.core.exceptions import ValidationError

    from portal.forms.common import ReasonForm, add_service_error

    form = ReasonForm({"reason": "理由"})
    assert form.is_valid()
    add_service_error(
        form, ValidationError({"created_by": "作成者がいません。", "reason": "短すぎます。"})
    )
    assert form.non_field_errors() == ["作成者がいません。"]
    assert form.errors["reason"] == ["短すぎます。"]


def test_a_subject_stored_over_two_lines_before_is_sent_on_one(helper, mailoutbox):
    """Rows written before notify() made subjects one line are still delivered."""
    OutboxMessage.objects.create(
        recipient=helper,
        kind="need_submitted",
        object_key="need:1",
        subject="新しい困りごと: 草取り\r\nをお願い",
        body="本文",
        due_at=timezone.now(),
    )
    assert deliver_due() == 1
    assert [m.subject for m in mailoutbox] == ["新しい困りごと: 草取り をお願い"]
