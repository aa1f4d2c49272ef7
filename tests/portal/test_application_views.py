"""Pages: apply (explained refusals, rate limit), my application, QR, certificate, roster, check-in,
and every permission boundary: denied, nothing changed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Application, Session
from portal.services import applications as services
from portal.services import attendance
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
Status = Application.Status


@pytest.fixture
def session(municipality, organization):
    program = ProgramFactory(
        municipality=municipality, nushi=organization, meeting_address="岐阜県飛騨市古川町殿町1-2"
    )
    return SessionFactory(program=program, capacity=2)


@pytest.fixture
def accepted(session, helper):
    return services.application_submit(helper=helper, session_id=session.pk)


def test_apply_page_explains_why_not_and_changes_nothing(client, session, helper):
    helper.helper_profile.birth_year = None
    helper.helper_profile.save()
    client.force_login(helper)
    page = client.get(reverse("application_apply", args=[session.pk]))
    assert "プロフィール" in page.content.decode()
    response = client.post(reverse("application_apply", args=[session.pk]), {"message": "よろしく"})
    assert response.status_code == 409
    assert "生まれた年" in response.content.decode()
    assert not Application.objects.exists()


def test_apply_and_see_own_application_with_contact(client, session, helper):
    client.force_login(helper)
    response = client.post(reverse("application_apply", args=[session.pk]), {"message": "軍手持参"})
    application = Application.objects.get(helper=helper)
    assert response.url == reverse("application_detail", args=[application.pk])
    page = client.get(response.url).content.decode()
    assert "参加確定" in page and application.checkin_code in page
    assert "古川町殿町1-2" in page  # accepted: the exact address and phone are shown


def test_apply_is_rate_limited_with_a_clear_message_and_the_text_kept(client, helper, settings):
    from portal.views import applications as views

    client.force_login(helper)
    sessions = [SessionFactory(starts_at=timezone.now() + timedelta(days=5 + i)) for i in range(22)]
    limited = None
    for s in sessions:
        response = client.post(
            reverse("application_apply", args=[s.pk]), {"message": f"備考{s.pk}"}
        )
        if response.status_code == 429:
            limited = (s, response)
            break
    assert limited is not None, views.APPLY_RATE
    s, response = limited
    body = response.content.decode()
    assert "しばらく待って" in body and f"備考{s.pk}" in body
    assert not Application.objects.filter(session=s).exists()


def test_contact_is_hidden_before_acceptance(client, session, helper, nushi):
    Session.objects.filter(pk=session.pk).update(acceptance_mode="selection")
    client.force_login(helper)
    client.post(reverse("application_apply", args=[session.pk]))
    application = Application.objects.get(helper=helper)
    page = client.get(reverse("application_detail", args=[application.pk])).content.decode()
    assert "古川町殿町1-2" not in page and "0577" not in page
    assert "参加が確定した方に" in page


def test_contact_is_hidden_a_week_after_the_session(
    client, session, helper, accepted, time_machine
):
    time_machine.move_to(session.ends_at + timedelta(days=8))
    client.force_login(helper)
    page = client.get(reverse("application_detail", args=[accepted.pk])).content.decode()
    assert "古川町殿町1-2" not in page


def test_another_helpers_application_qr_and_cancel_are_not_found(client, accepted, other_helper):
    client.force_login(other_helper)
    for name in ["application_detail", "application_qr", "application_certificate"]:
        assert client.get(reverse(name, args=[accepted.pk])).status_code == 404
    assert client.post(reverse("application_cancel", args=[accepted.pk])).status_code == 404
    assert Application.objects.get(pk=accepted.pk).status == Status.ACCEPTED


def test_own_qr_is_an_svg_of_the_code(client, accepted, helper):
    client.force_login(helper)
    response = client.get(reverse("application_qr", args=[accepted.pk]))
    assert response["Content-Type"] == "image/svg+xml" and b"<svg" in response.content


def test_another_nushi_cannot_see_the_roster_or_check_in(client, session, accepted, other_nushi):
    client.force_login(other_nushi)
    assert client.get(reverse("session_roster", args=[session.pk])).status_code == 404
    assert client.get(reverse("session_checkin", args=[session.pk])).status_code == 404
    response = client.post(
        reverse("session_checkin", args=[session.pk]), {"code": accepted.checkin_code}
    )
    assert response.status_code == 404
    assert (
        client.post(
            reverse("application_decide", args=[accepted.pk]), {"decision": "cancel"}
        ).status_code
        == 404
    )
    assert Application.objects.get(pk=accepted.pk).status == Status.ACCEPTED


def test_other_municipality_staff_cannot_cancel_the_session(
    client, session, other_municipality_staff
):
    client.force_login(other_municipality_staff)
    assert client.post(reverse("session_cancel", args=[session.pk])).status_code == 404
    assert Session.objects.get(pk=session.pk).status == Session.Status.SCHEDULED


def test_nushi_cannot_cancel_a_session_only_staff_can(client, session, nushi, staff):
    client.force_login(nushi)
    assert client.post(reverse("session_cancel", args=[session.pk])).status_code == 404
    client.force_login(staff)
    client.post(reverse("session_cancel", args=[session.pk]), {"reason": "雪", "confirm": "on"})
    assert Session.objects.get(pk=session.pk).status == Session.Status.CANCELLED


def test_roster_query_budget(client, session, nushi, django_assert_max_num_queries):
    from tests.portal.apply_helpers import make_helpers

    for h in make_helpers(6):
        services.application_submit(helper=h, session_id=session.pk)
    client.force_login(nushi)
    # session, memberships (permission), roster with profiles + attendance, messages/session overhead
    with django_assert_max_num_queries(12):
        assert client.get(reverse("session_roster", args=[session.pk])).status_code == 200


def test_nushi_checks_in_by_typed_code(client, session, accepted, nushi, time_machine):
    time_machine.move_to(session.starts_at - timedelta(minutes=30))
    client.force_login(nushi)
    response = client.post(
        reverse("session_checkin", args=[session.pk]),
        {"code": accepted.checkin_code.lower()},
        follow=True,
    )
    assert "受付をしました" in response.content.decode()
    assert Application.objects.get(pk=accepted.pk).status == Status.ATTENDED


def test_certificate_is_a_pdf_for_attended_only(
    client, session, accepted, helper, nushi, time_machine
):
    client.force_login(helper)
    response = client.get(reverse("application_certificate", args=[accepted.pk]))
    assert response.status_code == 302  # not attended yet: explained on the page
    time_machine.move_to(session.starts_at)
    attendance.attendance_check_in(session_id=session.pk, code=accepted.checkin_code, actor=nushi)
    response = client.get(reverse("application_certificate", args=[accepted.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content[:5] == b"%PDF-"


def test_thread_is_closed_to_helpers_without_a_place(
    client, session, accepted, other_helper, helper
):
    client.force_login(other_helper)
    assert client.get(reverse("session_messages", args=[session.pk])).status_code == 404
    client.force_login(helper)
    client.post(reverse("session_messages", args=[session.pk]), {"body": "駐車場はありますか？"})
    assert session.messages.count() == 1


def test_mypage_lists_applications(client, accepted, helper):
    client.force_login(helper)
    page = client.get(reverse("mypage")).content.decode()
    assert accepted.session.program.title in page and accepted.checkin_code in page


def test_back_after_applying_links_to_the_application_instead_of_an_error(client, session, helper):
    client.force_login(helper)
    url = reverse("application_apply", args=[session.pk])
    first = client.post(url, {"message": "軍手持参"})
    application = Application.objects.get(helper=helper)
    # Back: the apply page says it is done and links to the application, with no red refusal.
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("application_detail", args=[application.pk]) in html
    assert "alert-error" not in html and "応募できません" not in html
    # And sent again: to the application, with a word, and still one application.
    again = client.post(url, {"message": "軍手持参"})
    assert again.status_code == 302 and again.url == first.url
    assert "すでに応募しています" in client.get(again.url).content.decode()
    assert Application.objects.filter(helper=helper).count() == 1
