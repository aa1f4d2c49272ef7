"""Closing a session credits its attendees through one settle request (the task after the commit), and
a correction of a closed session's attendance reverses or credits."""

import pytest
from django.utils import timezone

from points import services
from points.models import SettleRequest, Transaction
from points.selectors import ledger_mismatches, wallet_balance
from portal.models import Application, Session
from portal.services import attendance
from portal.services.errors import InvalidTransition
from tests.points.conftest import ended_session

pytestmark = pytest.mark.django_db


def test_closing_credits_every_attendee_after_commit(
    funded, helper, other_helper, staff, django_capture_on_commit_callbacks
):
    session, (_came, absent) = ended_session(funded, helpers=[helper, other_helper], closed=False)
    Application.objects.filter(pk=absent.pk).update(status="no_show")
    with django_capture_on_commit_callbacks(execute=True):
        attendance.session_close(session_id=session.pk, actor=staff)
    assert wallet_balance(helper_id=helper.pk, municipality_id=funded.pk) == 500
    assert wallet_balance(helper_id=other_helper.pk, municipality_id=funded.pk) == 0
    request = SettleRequest.objects.get()  # one task for the whole session
    assert request.done_at is not None
    # The same request delivered again, and the session settled again: nothing doubles.
    SettleRequest.objects.filter(pk=request.pk).update(done_at=None)
    services.points_settle_request(request_id=request.pk)
    assert Transaction.objects.filter(kind="credit").count() == 1


def test_a_lost_task_is_done_by_the_retry_job(funded, helper, staff):
    session, _ = ended_session(funded, helpers=[helper], closed=False)
    attendance.session_close(session_id=session.pk, actor=staff)  # on_commit never runs: task lost
    assert wallet_balance(helper_id=helper.pk, municipality_id=funded.pk) == 0
    assert services.points_retry_requests() == 0  # still within its grace
    later = timezone.now() + services.SETTLE_GRACE
    assert services.points_retry_requests(now=later) == 1
    assert services.points_retry_requests(now=later) == 0
    assert wallet_balance(helper_id=helper.pk, municipality_id=funded.pk) == 500


def test_correction_after_close_reverses_with_reason(
    funded, helper, staff, django_capture_on_commit_callbacks
):
    session, (app,) = ended_session(funded, helpers=[helper], closed=False)
    with django_capture_on_commit_callbacks(execute=True):
        attendance.session_close(session_id=session.pk, actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        attendance.attendance_correct(
            application_id=app.pk, to="no_show", reason="受付の取り違え", actor=staff
        )
    app.refresh_from_db()
    assert app.status == "no_show"
    session.refresh_from_db()
    assert session.places_taken == 0  # a no-show holds no place
    assert wallet_balance(helper_id=helper.pk, municipality_id=funded.pk) == 0
    assert Transaction.objects.get(kind="reversal").reason == "受付の取り違え"
    with django_capture_on_commit_callbacks(execute=True):
        attendance.attendance_correct(
            application_id=app.pk, to="attended", reason="本人と確認", actor=staff
        )
    assert wallet_balance(helper_id=helper.pk, municipality_id=funded.pk) == 500
    session.refresh_from_db()
    assert session.places_taken == 1
    assert ledger_mismatches() == []


def test_a_correction_to_attended_needs_a_place(funded, helper, other_helper, staff):
    session, (app, _other) = ended_session(funded, helpers=[helper, other_helper], closed=False)
    attendance.session_close(session_id=session.pk, actor=staff)
    attendance.attendance_correct(application_id=app.pk, to="no_show", reason="欠席", actor=staff)
    Session.objects.filter(pk=session.pk).update(capacity=1)  # the place went to nobody else here
    with pytest.raises(InvalidTransition, match="定員"):
        attendance.attendance_correct(application_id=app.pk, to="attended", reason="x", actor=staff)
    app.refresh_from_db()
    assert app.status == "no_show"


def test_correction_needs_a_reason_and_a_closed_session(funded, helper, staff):
    session, (app,) = ended_session(funded, helpers=[helper], closed=False)
    with pytest.raises(InvalidTransition, match="締める前"):
        attendance.attendance_correct(application_id=app.pk, to="no_show", reason="x", actor=staff)
    attendance.session_close(session_id=session.pk, actor=staff)
    with pytest.raises(InvalidTransition, match="理由"):
        attendance.attendance_correct(application_id=app.pk, to="no_show", reason=" ", actor=staff)
    app.refresh_from_db()
    assert app.status == "attended"
