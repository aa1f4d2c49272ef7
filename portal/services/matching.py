"""Matching's effects: an invitation to one session, the weekly digest of new programs, and confirming an
allocation proposal. The engine (matching/) only ranks; what is sent goes through portal.notices and the
outbox, and places are given by the application services.

No spam: invitations and digests are topics (a helper's opt-out and the unsubscribe link apply), an
invitation goes once per helper and session, and together they are limited to
settings.MATCHING_MESSAGES_PER_WEEK per helper in 7 days, counted under a lock on the helper's row so
that two hosts inviting at once cannot both pass the count.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import HelperProfile, User
from accounts.permissions import is_member_of
from matching.engine import rank_helpers, rank_sessions_many
from matching.models import DigestSchedule
from notifications.kinds import TOPIC_OF, Kind
from notifications.models import OutboxMessage, TopicOptOut
from notifications.services import site_url
from portal import notices
from portal.models import Application, Program, Session
from portal.permissions import can_host_program, can_manage_session
from portal.selectors.matching import (
    helper_features,
    matching_messages_this_week,
    open_sessions,
    open_sessions_qs,
    session_features,
    still_open,
)
from portal.services import applications as application_services
from portal.services.errors import NotAllowed, ServiceError
from portal.services.locking import lock_helper

WEEK = timedelta(days=7)
DIGEST_ITEMS = 5
# Helpers claimed (and ranked) per digest batch: one transaction claims them, then each gets its own.
DIGEST_BATCH = 2000


class NotInvitable(ServiceError):
    code = "not_invitable"
    default_message = gettext_lazy("この方は今はお誘いできません。")


def invitation_send(*, session_id: int, helper_id: int, actor: User) -> None:
    """Invite one helper to one session, on behalf of its hosts (the nushi's members or staff)."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        session = Session.objects.select_related("program__municipality", "program__nushi").get(
            pk=session_id
        )
        if not can_manage_session(actor, session):
            raise NotAllowed
        if not open_sessions_qs(now).filter(pk=session_id).exists():
            raise NotInvitable(_("この日程は募集していないため、お誘いできません。"))
        helper = User.objects.filter(pk=helper_id, helper_profile__isnull=False).first()
        if helper is None:
            raise NotInvitable
        lock_helper(helper_id)  # the weekly count below is read and written under this lock
        if OutboxMessage.objects.filter(
            recipient_id=helper_id, kind=Kind.SESSION_INVITATION, object_key=f"session:{session_id}"
        ).exists():
            raise NotInvitable(_("この方はすでにお誘いしています。"), code="already_invited")
        if TopicOptOut.objects.filter(
            user_id=helper_id, topic=TOPIC_OF[Kind.SESSION_INVITATION]
        ).exists():
            raise NotInvitable(_("この方はお誘いを受け取らない設定です。"), code="opted_out")
        sent = matching_messages_this_week([helper_id], now).get(helper_id, 0)
        if sent >= settings.MATCHING_MESSAGES_PER_WEEK:
            raise NotInvitable(
                _("この方には今週はもうお知らせを送りました。来週あらためてお誘いください。"),
                code="budget",
            )
        program = session.program
        if is_member_of(actor, program.nushi_id):
            inviter = program.nushi.name
        else:
            inviter = _("%(town)sの事務局") % {"town": program.municipality.name}
        with translation.override(helper.language or settings.LANGUAGE_CODE):
            reason = _helper_reason(session, helper_id, now)
            inviter = str(inviter)
        notices.notice_session_invitation(
            session, helper_id=helper_id, inviter=inviter, reason=reason
        )


def _helper_reason(session: Session, helper_id: int, now: datetime) -> str:
    """Why this session suits the helper, in their words (「週末・岐阜県内」)."""
    target = session_features([session])[0]
    ranked = rank_helpers(
        target, helper_features([helper_id], now), model=open_sessions(now).model, now=now
    )
    return ranked[0].reason if ranked else ""


def digests_send_due(*, now: datetime | None = None) -> int:
    """The weekly digest, for every helper whose digest is due: claim a batch, rank, write. Returns
    how many digests were written. A helper with nothing new this week, who opted out, or who already
    received their week's share of messages gets none (and is due again a week later)."""
    now = now or timezone.now()
    _schedule_new_helpers(now)
    written = 0
    while ids := _claim_due(now):
        written += _send_digests(ids, now)
    return written


def _schedule_new_helpers(now: datetime) -> None:
    """Every helper has a schedule row; a new helper's first digest is due now."""
    missing = HelperProfile.objects.filter(user__digest_schedule__isnull=True).values_list(
        "user_id", flat=True
    )
    with transaction.atomic(durable=True):
        DigestSchedule.objects.bulk_create(
            [DigestSchedule(user_id=pk, due_at=now) for pk in missing],
            ignore_conflicts=True,  # another beat inserted it meanwhile
            batch_size=5000,
        )


def _claim_due(now: datetime) -> list[int]:
    """Claim up to DIGEST_BATCH due helpers: rows another run holds are skipped, and the claimed ones
    are due again a week later, whatever happens next (a digest is at most once a week)."""
    with transaction.atomic(durable=True):
        ids = _lock_due(now)
        DigestSchedule.objects.filter(user_id__in=ids, due_at__lte=now).update(due_at=now + WEEK)
    return ids


def _lock_due(now: datetime) -> list[int]:
    """Up to DIGEST_BATCH due helpers, their schedule rows locked (FOR UPDATE) until the claim commits;
    rows another run has locked are skipped (SKIP LOCKED), not waited for."""
    return list(
        DigestSchedule.objects.select_for_update(skip_locked=True)
        .filter(due_at__lte=now)
        .order_by("due_at", "user_id")
        .values_list("user_id", flat=True)[:DIGEST_BATCH]
    )


def _send_digests(ids: list[int], now: datetime) -> int:
    opted_out = set(
        TopicOptOut.objects.filter(user_id__in=ids, topic=TOPIC_OF[Kind.DIGEST]).values_list(
            "user_id", flat=True
        )
    )
    sent = matching_messages_this_week(ids, now)
    wanted = [
        pk
        for pk in ids
        if pk not in opted_out and sent.get(pk, 0) < settings.MATCHING_MESSAGES_PER_WEEK
    ]
    languages = dict(User.objects.filter(pk__in=wanted).values_list("pk", "language"))
    opens = open_sessions(now)
    ranked: dict[int, list] = {}
    by_language: dict[str, list] = {}
    for features in helper_features(wanted, now):
        by_language.setdefault(languages.get(features.id) or settings.LANGUAGE_CODE, []).append(
            features
        )
    for language, helpers in sorted(by_language.items()):
        with translation.override(language):
            ranked |= rank_sessions_many(
                helpers,
                opens.table,
                model=opens.model,
                now=now,
                k=DIGEST_ITEMS,
                new_since=now - WEEK,
            )
    fresh = still_open(sorted({r.id for rows in ranked.values() for r in rows}), now)
    week = "{}-W{:02d}".format(*timezone.localtime(now).isocalendar()[:2])
    written = 0
    for helper_id, rows in ranked.items():
        items = [
            {
                "program_title": fresh[r.id].program.title,
                "starts_at": fresh[r.id].starts_at,
                "reason": r.reason,
                "url": site_url("program_detail", fresh[r.id].program_id),
            }
            for r in rows
            if r.id in fresh
        ]
        if not items:
            continue
        with transaction.atomic(durable=True):
            notices.notice_digest(helper_id, week=week, items=items)
            DigestSchedule.objects.filter(user_id=helper_id).update(last_sent_at=now)
        written += 1
    return written


def allocation_confirm(*, program: Program, application_ids: list[int], actor: User) -> list[str]:
    """Accept the applications staff kept from the proposal, one by one through the decision service
    (each in its own transaction, with its own capacity and overlap checks). Returns the problems,
    one line per application that could not be accepted; the others are accepted."""
    if not can_host_program(actor, program):
        raise NotAllowed
    problems = []
    rows = Application.objects.filter(
        pk__in=application_ids, session__program=program
    ).select_related("helper__helper_profile")
    for application in rows:
        try:
            application_services.application_accept(application_id=application.pk, actor=actor)
        except ServiceError as exc:
            name = getattr(getattr(application.helper, "helper_profile", None), "display_name", "")
            problems.append(f"{name}: {exc.message}")
    return problems
