"""Races on PostgreSQL, each forced into one interleaving (threads with their own connections): two hosts
inviting the same helper when the week's budget has one message left, and two digest runs at once."""

import pytest

from matching.models import DigestSchedule
from notifications.kinds import Kind
from notifications.models import OutboxMessage
from portal.services import matching as services
from portal.services.matching import NotInvitable, digests_send_due, invitation_send
from tests.portal.apply_helpers import Pause, interleave, make_helpers, pause_after
from tests.portal.factories import ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_hosts_inviting_for_the_last_message_of_the_week_send_one(
    monkeypatch, settings, staff, nushi, municipality, organization, helper
):
    """The first host has counted the helper's messages this week (none) and not yet written; the
    second must wait on the helper's row lock, then count one and be told so. Without the lock both
    would count none and the helper would get two."""
    settings.MATCHING_MESSAGES_PER_WEEK = 1
    program = ProgramFactory(municipality=municipality, nushi=organization)
    first_session, second_session = SessionFactory.create_batch(2, program=program)
    pause = Pause()
    pause_after(monkeypatch, services, "matching_messages_this_week", pause)
    first, second = interleave(
        lambda: invitation_send(session_id=first_session.pk, helper_id=helper.pk, actor=staff),
        lambda: invitation_send(session_id=second_session.pk, helper_id=helper.pk, actor=nushi),
        pause,
    )
    sent = OutboxMessage.objects.filter(recipient=helper, kind=Kind.SESSION_INVITATION)
    assert [m.object_key for m in sent] == [f"session:{first_session.pk}"]
    assert "error" not in first
    assert isinstance(second["error"], NotInvitable) and second["error"].code == "budget"
    assert "今週はもうお知らせを送りました" in str(second["error"])
    assert second["blocked"]  # it waited for the first's lock on the helper


def test_two_digest_runs_at_once_share_the_helpers_without_waiting(
    monkeypatch, municipality, organization
):
    """The first run has locked its claim (two helpers) and not yet committed; the second skips those
    rows (SKIP LOCKED) instead of waiting, and claims the others. Every helper gets one digest, written
    by one run: without FOR UPDATE both runs would claim (and rank, and write) the same two; without
    SKIP LOCKED the second would wait for the first."""
    monkeypatch.setattr(services, "DIGEST_BATCH", 2)
    helpers = make_helpers(5)
    program = ProgramFactory(municipality=municipality, nushi=organization, title="新しい畑")
    SessionFactory(program=program)
    pause = Pause()
    pause_after(monkeypatch, services, "_lock_due", pause)
    first, second = interleave(digests_send_due, digests_send_due, pause)
    assert not second["blocked"]
    assert (first["result"], second["result"]) == (2, 3)
    for user in helpers:
        assert OutboxMessage.objects.filter(recipient=user, kind=Kind.DIGEST).count() == 1
    assert not DigestSchedule.objects.filter(last_sent_at__isnull=True).exists()
