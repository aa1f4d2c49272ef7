"""Staff record a nushi's confirmation of a draft given by phone, on paper or at a visit: the channel
is kept on the program, the history names the staff member; the preview page says who must confirm."""

import pytest
from django.urls import reverse

from notifications.models import OutboxMessage
from portal.models import Program
from portal.services import programs as program_services
from portal.services.errors import InvalidTransition, NotAllowed
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(municipality, organization, nushi):
    # With a cover photo, as publishing needs one (the name is enough: nothing reads the file).
    program = ProgramFactory(
        municipality=municipality, nushi=organization, status="pending_nushi",
        cover_image="programs/cover.jpg",
    )  # fmt: skip
    SessionFactory(program=program)
    return program


def _post(client, user, program, channel="phone"):
    client.force_login(user)
    url = reverse("program_confirm_for_nushi", args=[program.pk, program.preview_token])
    return client.post(url, {"channel": channel})


def test_staff_confirm_for_the_nushi_with_the_channel_and_the_history(client, staff, draft):
    response = _post(client, staff, draft, "phone")
    assert response["Location"] == reverse("staff_program_detail", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == Program.Status.CONFIRMED and draft.confirmed_via == "phone"
    last = draft.history.latest("history_date")
    assert last.history_user_id == staff.pk
    assert last.history_change_reason == "confirmed for the nushi by staff (phone)"
    assert last.confirmed_via == "phone"
    page = client.get(reverse("staff_program_detail", args=[draft.pk])).content.decode()
    assert "ヌシの確認: 済み（電話）" in page
    # It can now be published, as after the nushi's own confirmation.
    program_services.program_publish(program=draft, actor=staff)


def test_the_nushi_own_confirmation_records_the_web(nushi, draft):
    program_services.program_confirm(program=draft, actor=nushi)
    draft.refresh_from_db()
    assert draft.confirmed_via == "web"


def test_a_wrong_channel_is_refused_and_changes_nothing(client, staff, draft):
    for channel in ("web", "fax", ""):
        response = _post(client, staff, draft, channel)
        assert response["Location"] == reverse(
            "program_preview", args=[draft.pk, draft.preview_token]
        )
    draft.refresh_from_db()
    assert draft.status == Program.Status.PENDING_NUSHI and draft.confirmed_via == ""
    page = client.get(response["Location"]).content.decode()
    assert "ヌシから確認を受けた方法を選んでください。" in page
    with pytest.raises(InvalidTransition):
        program_services.program_confirm_for_nushi(program=draft, actor=staff, channel="web")


def test_only_the_municipalitys_staff_may(client, nushi, other_municipality_staff, draft):
    assert _post(client, nushi, draft).status_code == 404
    with pytest.raises(NotAllowed):
        program_services.program_confirm_for_nushi(program=draft, actor=nushi, channel="phone")
    draft.refresh_from_db()
    assert draft.status == Program.Status.PENDING_NUSHI


def test_a_draft_not_waiting_for_the_nushi_is_refused(client, staff, draft):
    Program.objects.filter(pk=draft.pk).update(status="draft")
    _post(client, staff, draft)
    draft.refresh_from_db()
    assert draft.status == Program.Status.DRAFT and draft.confirmed_via == ""


def test_the_preview_says_who_must_confirm(client, staff, nushi, draft):
    nushi.name = "中田 花子"
    nushi.save()
    client.force_login(staff)
    page = client.get(reverse("program_preview", args=[draft.pk, draft.preview_token])).content
    page = page.decode()
    assert "ヌシ「みょうが農家 中田さん」の方（中田 花子）" in page
    assert 'data-testid="confirm-for-nushi"' in page
    client.force_login(nushi)
    page = client.get(reverse("program_preview", args=[draft.pk, draft.preview_token])).content
    assert 'data-testid="confirm-for-nushi"' not in page.decode()


def test_staff_are_told_as_after_the_nushis_confirmation(staff, draft):
    # The municipality's staff hear of it (program_confirmed), once per version of the draft.
    program_services.program_confirm_for_nushi(program=draft, actor=staff, channel="visit")
    assert OutboxMessage.objects.filter(kind="program_confirmed", recipient=staff).count() == 1


def test_an_edit_after_the_confirmation_forgets_the_channel(staff, draft):
    program_services.program_confirm_for_nushi(program=draft, actor=staff, channel="paper")
    draft.refresh_from_db()
    program_services.program_update(program=draft, actor=staff, data={"title": "新しい題"})
    draft.refresh_from_db()
    assert draft.status == Program.Status.DRAFT and draft.confirmed_via == ""


def test_the_history_names_the_confirmation_for_the_nushi_in_japanese(client, staff, draft):
    """The staff page's 変更履歴 showed the code words 「confirmed for the nushi by staff (phone)」."""
    _post(client, staff, draft, "phone")
    page = client.get(reverse("staff_program_detail", args=[draft.pk])).content.decode()
    assert "事務局がヌシに代わって確認（電話）" in page
    assert "confirmed for the nushi" not in page
