"""Applications nobody can decide any more: a selection after its deadline, a waitlist after the start.
Helpers still waiting are told, once; hosts are reminded a day before a selection closes, once."""

from datetime import timedelta

import pytest

from notifications.models import OutboxMessage
from portal.models import Application, Session
from portal.services import applications as services
from portal.services import undecided
from portal.tasks import close_undecided_due
from tests.portal.apply_helpers import make_helpers

pytestmark = pytest.mark.django_db
Status = Application.Status


def statuses(session) -> dict[int, str]:
    return dict(Application.objects.filter(session=session).values_list("helper_id", "status"))


def messages(kind: str, recipient_id: int | None = None):
    qs = OutboxMessage.objects.filter(kind=kind)
    return qs.filter(recipient_id=recipient_id) if recipient_id else qs


def test_a_selection_past_its_deadline_tells_the_undecided(session, nushi):
    Session.objects.filter(pk=session.pk).update(acceptance_mode="selection")
    chosen, waiting, gone = make_helpers(3)
    apps = {
        h: services.application_submit(helper=h, session_id=session.pk)
        for h in (chosen, waiting, gone)
    }
    services.application_accept(application_id=apps[chosen].pk, actor=nushi)
    services.application_cancel(application_id=apps[gone].pk, actor=gone)

    before = session.apply_deadline - timedelta(minutes=1)
    assert undecided.sweep(now=before)["closed"] == 0
    assert statuses(session)[waiting.pk] == Status.APPLIED

    after = session.apply_deadline + timedelta(minutes=1)
    assert undecided.sweep(now=after)["closed"] == 1
    assert statuses(session) == {
        chosen.pk: Status.ACCEPTED, waiting.pk: Status.DECLINED, gone.pk: Status.CANCELLED
    }  # fmt: skip
    told = messages("application_declined", waiting.pk).get()
    assert (
        "選考の締切までに参加が決まらなかった" in told.body and session.program.title in told.body
    )
    history = Application.history.filter(id=apps[waiting].pk).order_by("-history_date").first()
    assert history.history_change_reason == "undecided at close" and history.history_user is None

    # Again: nothing left to close, nobody told twice.
    assert undecided.sweep(now=after + timedelta(minutes=5))["closed"] == 0
    assert messages("application_declined").count() == 1


def test_a_waitlist_closes_at_the_start_not_at_the_deadline(session):
    Session.objects.filter(pk=session.pk).update(capacity=1)
    first, second = make_helpers(2)
    services.application_submit(helper=first, session_id=session.pk)
    services.application_submit(helper=second, session_id=session.pk)
    assert statuses(session)[second.pk] == Status.WAITLISTED

    # First come: the waitlist can still move after the deadline (a cancellation promotes).
    assert undecided.sweep(now=session.apply_deadline + timedelta(minutes=1))["closed"] == 0
    assert undecided.sweep(now=session.starts_at)["closed"] == 1
    assert statuses(session) == {first.pk: Status.ACCEPTED, second.pk: Status.DECLINED}
    assert "キャンセル待ちを終了しました" in messages("application_declined", second.pk).get().body


def test_a_cancelled_session_is_left_to_its_own_message(session):
    Session.objects.filter(pk=session.pk).update(acceptance_mode="selection")
    (helper,) = make_helpers(1)
    services.application_submit(helper=helper, session_id=session.pk)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    assert undecided.sweep(now=session.starts_at + timedelta(hours=1))["closed"] == 0
    assert statuses(session)[helper.pk] == Status.APPLIED
    assert not messages("application_declined").exists()


def test_hosts_are_reminded_once_a_day_before_a_selection_closes(
    session, nushi, staff, other_municipality_staff
):
    Session.objects.filter(pk=session.pk).update(acceptance_mode="selection")
    a, b = make_helpers(2)
    for helper in (a, b):
        services.application_submit(helper=helper, session_id=session.pk)

    assert undecided.sweep(now=session.apply_deadline - timedelta(hours=30))["reminded"] == 0
    soon = session.apply_deadline - timedelta(hours=12)
    assert undecided.sweep(now=soon)["reminded"] == 1
    assert set(messages("selection_due").values_list("recipient_id", flat=True)) == {
        nushi.pk, staff.pk
    }  # fmt: skip
    body = messages("selection_due", nushi.pk).get().body
    assert "選考待ちの応募が2件" in body and f"/sessions/{session.pk}/roster/" in body

    undecided.sweep(now=soon + timedelta(minutes=5))
    assert messages("selection_due").count() == 2


def test_no_reminder_when_nothing_waits(session):
    Session.objects.filter(pk=session.pk).update(acceptance_mode="selection")
    assert undecided.sweep(now=session.apply_deadline - timedelta(hours=1))["reminded"] == 0


def test_the_beat_task_runs_the_sweep(settings):
    assert settings.CELERY_BEAT_SCHEDULE["portal-close-undecided"]["task"] == (
        "portal.tasks.close_undecided_due"
    )
    assert close_undecided_due.delay().get(timeout=10) == {"reminded": 0, "closed": 0}
