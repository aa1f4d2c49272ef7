"""Every program transition is a service: compare-and-set from the allowed states, a history row saying
who and why, the nushi or staff notified in the same transaction."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import reminders
from notifications.models import OutboxMessage
from portal.models import Application, Need, Program, Session
from portal.services import programs as svc
from portal.services._state import InvalidTransition
from portal.services.applications import application_submit
from portal.services.sessions import session_create
from tests.portal.apply_helpers import assert_invariants, make_helpers
from tests.portal.factories import NeedFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
S = Program.Status


@pytest.fixture
def need(municipality, organization, nushi):
    return NeedFactory(municipality=municipality, nushi=organization, created_by=nushi)


@pytest.fixture
def draft(need, staff):
    program = svc.program_create_from_need(
        need=need,
        actor=staff,
        data={"title": "みょうが畑づくり体験", "category": "farming", "meeting_place": "畑"},
    )
    SessionFactory(program=program)
    with_cover(program)
    return program


def with_cover(program):
    """A cover photo, as publishing needs one (the name is enough: nothing reads the file here)."""
    Program.objects.filter(pk=program.pk).update(cover_image="programs/cover.jpg")
    program.refresh_from_db()
    return program


def at(program, status):
    Program.objects.filter(pk=program.pk).update(status=status)
    program.refresh_from_db()
    return program


def last_history(program):
    return program.history.order_by("-history_date", "-pk").first()


def test_creating_a_program_moves_the_need_into_design(need, draft, staff):
    need.refresh_from_db()
    assert need.status == Need.Status.IN_DESIGN
    assert (draft.status, draft.municipality_id, draft.nushi_id) == (
        S.DRAFT,
        need.municipality_id,
        need.nushi_id,
    )
    assert last_history(draft).history_user == staff


def test_send_asks_the_nushi_with_a_fresh_preview_link(draft, staff, nushi):
    old_token = draft.preview_token
    program = svc.program_send_to_nushi(program=draft, actor=staff)
    assert program.status == S.PENDING_NUSHI
    assert program.preview_token != old_token
    message = OutboxMessage.objects.get(recipient=nushi, kind="program_confirm_request")
    assert str(program.preview_token) in message.body
    assert (last_history(program).history_user, last_history(program).status) == (
        staff,
        S.PENDING_NUSHI,
    )


def test_send_needs_a_session(need, staff):
    program = svc.program_create_from_need(
        need=need, actor=staff, data={"title": "x", "category": "farming"}
    )
    with pytest.raises(InvalidTransition, match="開催日"):
        svc.program_send_to_nushi(program=program, actor=staff)
    assert Program.objects.get(pk=program.pk).status == S.DRAFT


def test_nushi_confirms_and_staff_are_told(draft, staff, nushi):
    at(draft, S.PENDING_NUSHI)
    program = svc.program_confirm(program=draft, actor=nushi)
    assert program.status == S.CONFIRMED
    assert OutboxMessage.objects.filter(recipient=staff, kind="program_confirmed").exists()
    assert last_history(program).history_user == nushi


def test_nushi_requests_changes_with_a_note(draft, staff, nushi):
    at(draft, S.PENDING_NUSHI)
    program = svc.program_request_changes(
        program=draft, actor=nushi, note="集合時間を9時にしてください"
    )
    assert (program.status, program.status_note) == (
        S.CHANGES_REQUESTED,
        "集合時間を9時にしてください",
    )
    assert OutboxMessage.objects.filter(recipient=staff, kind="program_changes_requested").exists()


def test_request_changes_without_a_note_is_refused(draft, nushi):
    at(draft, S.PENDING_NUSHI)
    with pytest.raises(InvalidTransition):
        svc.program_request_changes(program=draft, actor=nushi, note="  ")
    assert Program.objects.get(pk=draft.pk).status == S.PENDING_NUSHI


def test_changes_requested_can_be_sent_again(draft, staff):
    at(draft, S.CHANGES_REQUESTED)
    assert svc.program_send_to_nushi(program=draft, actor=staff).status == S.PENDING_NUSHI


def test_publish_a_confirmed_program_publishes_the_need(draft, need, staff, nushi):
    at(draft, S.CONFIRMED)
    program = svc.program_publish(program=draft, actor=staff)
    assert program.status == S.PUBLISHED and program.published_at is not None
    need.refresh_from_db()
    assert need.status == Need.Status.PUBLISHED
    assert OutboxMessage.objects.filter(recipient=nushi, kind="program_published").exists()


@pytest.mark.parametrize(
    "status", [S.DRAFT, S.PENDING_NUSHI, S.CHANGES_REQUESTED, S.CLOSED, S.REJECTED]
)
def test_publish_only_from_confirmed(draft, staff, status):
    at(draft, status)
    with pytest.raises(InvalidTransition):
        svc.program_publish(program=draft, actor=staff)
    assert Program.objects.get(pk=draft.pk).status == status


def test_publish_needs_a_cover_photo(draft, staff):
    Program.objects.filter(pk=draft.pk).update(cover_image="")
    at(draft, S.CONFIRMED)
    with pytest.raises(InvalidTransition, match="メイン写真がありません"):
        svc.program_publish(program=draft, actor=staff)
    assert Program.objects.get(pk=draft.pk).status == S.CONFIRMED


def test_publish_needs_a_session_still_open_for_applications(need, staff):
    program = svc.program_create_from_need(
        need=need, actor=staff, data={"title": "x", "category": "farming"}
    )
    with_cover(program)
    SessionFactory(
        program=program,
        starts_at=timezone.now() + timedelta(hours=5),
        apply_deadline=timezone.now() - timedelta(hours=1),
    )
    at(program, S.CONFIRMED)
    with pytest.raises(InvalidTransition, match="開催日"):
        svc.program_publish(program=program, actor=staff)


def test_a_stale_object_cannot_overwrite_a_newer_state(draft, staff, nushi):
    """Two people act on the same draft: staff reject it while the nushi's page still shows it pending."""
    at(draft, S.PENDING_NUSHI)
    stale = Program.objects.get(pk=draft.pk)
    svc.program_reject(program=draft, actor=staff, reason="時期が合わないため")
    with pytest.raises(InvalidTransition):
        svc.program_confirm(program=stale, actor=nushi)
    assert Program.objects.get(pk=draft.pk).status == S.REJECTED


def test_reject_needs_a_reason_and_tells_the_nushi(draft, staff, nushi):
    with pytest.raises(InvalidTransition):
        svc.program_reject(program=draft, actor=staff, reason="")
    program = svc.program_reject(program=draft, actor=staff, reason="安全面の確認が必要です")
    assert (program.status, program.status_note) == (S.REJECTED, "安全面の確認が必要です")
    assert OutboxMessage.objects.filter(recipient=nushi, kind="program_rejected").exists()


def test_close_stops_a_published_program(draft, staff):
    at(draft, S.PUBLISHED)
    assert svc.program_close(program=draft, actor=staff).status == S.CLOSED
    with pytest.raises(InvalidTransition):
        svc.program_close(program=draft, actor=staff)


def test_cancel_cancels_future_sessions_and_their_applications(draft, staff):
    """Cancelling a program is cancelling each of its sessions: nobody stays accepted, places are given
    back, no reminder is left to say あさって参加予定…, and each helper is told with the reason."""
    at(draft, S.PUBLISHED)
    session = draft.sessions.get()
    Session.objects.filter(pk=session.pk).update(capacity=1)
    helper, other = make_helpers(2)
    accepted = application_submit(helper=helper, session_id=session.pk)
    waiting = application_submit(helper=other, session_id=session.pk)
    assert (accepted.status, waiting.status) == ("accepted", "waitlisted")
    assert OutboxMessage.objects.filter(recipient=helper, kind__in=reminders.KINDS).exists()
    program = svc.program_cancel(program=draft, actor=staff, reason="大雪のため")
    assert program.status == S.CANCELLED
    session.refresh_from_db()
    assert (session.status, session.places_taken) == (Session.Status.CANCELLED, 0)
    assert set(Application.objects.filter(session=session).values_list("status", flat=True)) == {
        "cancelled"
    }
    assert not OutboxMessage.objects.filter(recipient=helper, kind__in=reminders.KINDS).exists()
    told = OutboxMessage.objects.get(recipient=helper, kind="session_cancelled")
    assert "大雪のため" in told.body and "STATUS:CANCELLED" in told.ics
    assert session.history.filter(history_change_reason="program_cancelled").exists()
    assert_invariants()


def test_editing_after_the_nushi_saw_it_goes_back_to_draft(draft, staff):
    at(draft, S.CONFIRMED)
    program = svc.program_update(
        program=draft, actor=staff, data={"title": "みょうが畑づくり（午前）"}
    )
    assert (program.status, program.title) == (S.DRAFT, "みょうが畑づくり（午前）")
    record = last_history(program)
    assert (record.history_user, record.title) == (staff, "みょうが畑づくり（午前）")


def test_editing_a_published_program_keeps_it_public_and_in_history(draft, staff):
    at(draft, S.PUBLISHED)
    program = svc.program_update(program=draft, actor=staff, data={"summary": "新しい紹介文"})
    assert program.status == S.PUBLISHED
    versions = list(program.history.order_by("history_date").values_list("summary", flat=True))
    assert versions[-1] == "新しい紹介文" and len(versions) >= 2


def test_adding_a_session_to_a_confirmed_draft_sends_it_back_to_draft(draft, staff):
    at(draft, S.CONFIRMED)
    start = timezone.now() + timedelta(days=20)
    session_create(
        program=draft,
        actor=staff,
        data={"starts_at": start, "ends_at": start + timedelta(hours=2), "capacity": 5,
              "apply_deadline": start - timedelta(days=1)},
    )  # fmt: skip
    assert Program.objects.get(pk=draft.pk).status == S.DRAFT


def test_no_edits_once_cancelled(staff):
    program = ProgramFactory(status=S.CANCELLED)
    with pytest.raises(InvalidTransition):
        svc.program_update(program=program, actor=staff, data={"title": "x"})


def test_clearing_the_cover_image(draft, staff):
    Program.objects.filter(pk=draft.pk).update(cover_image="programs/x.jpg")
    draft.refresh_from_db()
    program = svc.program_update(program=draft, actor=staff, data={"cover_image": False})
    assert not program.cover_image
