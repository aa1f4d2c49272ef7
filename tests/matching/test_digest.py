"""The weekly digest: new programs per helper, opt-out and budget honoured, and a second beat (or a second
run the next day) doubles nothing."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from matching.models import DigestSchedule
from notifications.kinds import Kind
from notifications.models import OutboxMessage, TopicOptOut
from portal.models import Program
from portal.selectors.matching import forget_open_sessions
from portal.services.matching import digests_send_due, invitation_send
from portal.tasks import send_digests_due
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db
SUNDAY = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)  # 10:00 in Asia/Tokyo, the last day of ISO week 49


@pytest.fixture
def new_program(municipality, organization):
    with time_machine.travel(SUNDAY - timedelta(days=2), tick=False):
        program = ProgramFactory(municipality=municipality, nushi=organization, title="新しい畑")
        SessionFactory(program=program, starts_at=SUNDAY + timedelta(days=20))
    return program


def digests(user) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient=user, kind=Kind.DIGEST))


def run(when: datetime) -> int:
    forget_open_sessions()
    with time_machine.travel(when, tick=False):
        return send_digests_due()


def test_each_helper_gets_new_programs_once_a_week(
    helper, other_helper, new_program, municipality, organization
):
    with time_machine.travel(SUNDAY - timedelta(days=30), tick=False):
        old = ProgramFactory(municipality=municipality, nushi=organization, title="前からある畑")
    SessionFactory(program=old, starts_at=SUNDAY + timedelta(days=21))
    assert run(SUNDAY) == 2
    [message] = digests(helper)
    assert message.object_key == "digest:2026-W49"
    assert "新しい畑" in message.body and "前からある畑" not in message.body
    assert f"/programs/{new_program.pk}/" in message.body
    # The next day is another ISO week, and the helper was claimed for seven days: nothing more.
    assert run(SUNDAY + timedelta(days=1)) == 0
    assert len(digests(helper)) == 1
    assert DigestSchedule.objects.get(user=helper).due_at == SUNDAY + timedelta(days=7)
    # A week later, with nothing new published since: nothing to say, nothing sent.
    assert run(SUNDAY + timedelta(days=7, hours=1)) == 0


def test_a_second_beat_at_the_same_time_doubles_nothing(helper, new_program):
    assert run(SUNDAY) == 1
    assert run(SUNDAY) == 0
    assert len(digests(helper)) == 1


def test_opted_out_helpers_get_none(helper, other_helper, new_program):
    TopicOptOut.objects.create(user=helper, topic="digest")
    assert run(SUNDAY) == 1
    assert digests(helper) == [] and len(digests(other_helper)) == 1


def test_the_weekly_budget_counts_invitations(helper, staff, new_program, settings):
    settings.MATCHING_MESSAGES_PER_WEEK = 1
    with time_machine.travel(SUNDAY - timedelta(days=1), tick=False):
        session = new_program.sessions.get()
        invitation_send(session_id=session.pk, helper_id=helper.pk, actor=staff)
    assert run(SUNDAY) == 0
    assert digests(helper) == []


def test_closed_programs_are_not_in_the_digest(helper, new_program):
    Program.objects.filter(pk=new_program.pk).update(status=Program.Status.CLOSED)
    assert run(SUNDAY) == 0


def test_the_digest_reads_in_english(helper, new_program):
    helper.language = "en"
    helper.save()
    run(SUNDAY)
    assert "new recommended program" in digests(helper)[0].subject


def test_the_service_and_the_task_agree(helper, new_program):
    with time_machine.travel(SUNDAY, tick=False):
        assert digests_send_due() == 1
