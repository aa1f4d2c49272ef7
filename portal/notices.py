"""Every message the marketplace sends, one function per kind.

A service changes state and then calls one notice; the notice decides who is told and hands plain
context (strings, numbers, datetimes, absolute URLs) to notifications.services.notify(), which writes one
outbox row per recipient in the caller's transaction. The texts are the kind's templates
(templates/notifications/<kind>/), rendered in each recipient's language; nothing here builds a sentence.

Object keys are the outbox's once-per-(recipient, kind, object) rule: a notice about an application uses
`application:<pk>` (with the session's change count when a session may change more than once), one about
a session `session:<pk>`, so a retried service never tells anyone twice.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from accounts.permissions import municipality_staff_ids, organization_member_ids
from accounts.selectors import public_name
from notifications.kinds import Kind
from notifications.services import notify, site_url
from portal.calendars import session_ics
from portal.models import Application, Need, Program, Session, SessionMessage, ThankYou
from portal.selectors.sessions import host_ids

# How much of a message typed by a person goes into the notice (the rest is on the linked page).
EXCERPT = 500


@dataclass(frozen=True)
class Told:
    """One message a notice would write: to whom, of which kind, with which template context."""

    recipient_id: int
    kind: Kind
    context: dict


# Set inside dry_run(): the notices collect what they would write instead of writing it.
_dry_run: ContextVar[list[Told] | None] = ContextVar("notices_dry_run", default=None)


@contextmanager
def dry_run() -> Iterator[list[Told]]:
    """Run notices without writing to the outbox: the list fills with what they would write. Staff's
    confirmation pages call the very notices the service will call, so that the preview shows the
    recipients and texts that will really go out."""
    told: list[Told] = []
    token = _dry_run.set(told)
    try:
        yield told
    finally:
        _dry_run.reset(token)


def _notify(*, recipient_id: int, kind: Kind, object_key: str, context: dict, **kwargs) -> None:
    collected = _dry_run.get()
    if collected is None:
        notify(
            recipient_id=recipient_id, kind=kind, object_key=object_key, context=context, **kwargs
        )
    else:
        collected.append(Told(recipient_id=recipient_id, kind=kind, context=context))


def _session_context(session: Session) -> dict:
    return {
        "program_title": session.program.title,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
    }


def _tell_helper(
    application: Application, kind: Kind, *, ics: str = "", object_key: str = "", **context
) -> None:
    session = application.session
    _notify(
        recipient_id=application.helper_id,
        municipality_id=session.program.municipality_id,
        kind=kind,
        object_key=object_key or f"application:{application.pk}",
        context={
            **_session_context(session),
            "url": site_url("application_detail", application.pk),
            **context,
        },
        ics=ics,
    )


def _tell_each(
    recipient_ids: Iterable[int],
    *,
    kind: Kind,
    object_key: str,
    municipality_id: int,
    context: dict,
) -> None:
    for user_id in sorted(recipient_ids):
        _notify(
            recipient_id=user_id,
            municipality_id=municipality_id,
            kind=kind,
            object_key=object_key,
            context=context,
        )


def _tell_hosts(session: Session, kind: Kind, *, object_key: str, **context) -> None:
    """The nushi's members and the municipality's staff."""
    _tell_each(
        host_ids(session),
        kind=kind,
        object_key=object_key,
        municipality_id=session.program.municipality_id,
        context={**_session_context(session), "for_hosts": True, **context},
    )


# --- applications ----------------------------------------------------------------------------------


def notice_application_submitted(application: Application) -> None:
    """The helper's application as it was received: accepted (first come, a place was free),
    waitlisted, or applied (a selection, waiting for the hosts)."""
    Status = Application.Status
    if application.status == Status.ACCEPTED:
        notice_application_accepted(application)
    elif application.status == Status.WAITLISTED:
        _tell_helper(application, Kind.APPLICATION_WAITLISTED)
    else:
        _tell_helper(application, Kind.APPLICATION_APPLIED)
        notice_application_received(application)


def notice_application_received(application: Application) -> None:
    """The nushi's members hear at once that someone applied to a selection session and waits for
    their decision (staff follow it on their dashboard). Once per application."""
    session = application.session
    _tell_each(
        organization_member_ids(session.program.nushi_id),
        kind=Kind.APPLICATION_RECEIVED,
        object_key=f"application:{application.pk}",
        municipality_id=session.program.municipality_id,
        context={
            **_session_context(session),
            "helper_name": public_name(application.helper),
            "message": application.message[:EXCERPT],
            "apply_deadline": session.apply_deadline,
            "url": site_url("session_roster", session.pk),
        },
    )


def notice_application_accepted(application: Application) -> None:
    """A place is the helper's: with the event for their calendar."""
    _tell_helper(application, Kind.APPLICATION_ACCEPTED, ics=session_ics(application))


def notice_application_promoted(application: Application) -> None:
    """A place freed up and went to the helper from the waitlist."""
    _tell_helper(application, Kind.APPLICATION_PROMOTED, ics=session_ics(application))


def notice_application_declined(application: Application, *, note: str = "") -> None:
    """The hosts did not take the helper; `note` is their reason, if they gave one."""
    _tell_helper(application, Kind.APPLICATION_DECLINED, reason="declined", note=note)


def notice_application_undecided(application: Application, *, was: str) -> None:
    """Nobody can decide the application any more: a selection closed (`was` applied) or the session
    began with the helper still on the waitlist."""
    reason = "selection_closed" if was == Application.Status.APPLIED else "waitlist_ended"
    _tell_helper(application, Kind.APPLICATION_DECLINED, reason=reason, note="")


def notice_application_cancelled(application: Application, *, by_helper: bool, note: str) -> None:
    """The helper cancelled (a receipt), or staff took their place away with `note` as the reason."""
    _tell_helper(application, Kind.APPLICATION_CANCELLED, by_staff=not by_helper, note=note)


def notice_late_cancellation(application: Application) -> None:
    """The hosts hear that a helper cancelled shortly before the start."""
    profile = getattr(application.helper, "helper_profile", None)
    _tell_hosts(
        application.session,
        Kind.LATE_CANCELLATION,
        object_key=f"application:{application.pk}",
        helper_name=profile.display_name if profile else "",
    )


def notice_selection_due(session: Session, *, waiting: int) -> None:
    """The hosts are reminded that `waiting` applications await their decision before the deadline."""
    _tell_hosts(
        session,
        Kind.SELECTION_DUE,
        object_key=f"session:{session.pk}",
        waiting=waiting,
        apply_deadline=session.apply_deadline,
        roster_url=site_url("session_roster", session.pk),
    )


# --- session changes -------------------------------------------------------------------------------


def notice_session_cancelled_to_helper(
    application: Application, *, reason: str, had_place: bool
) -> None:
    """One helper of a cancelled session; who held a place gets the event marked cancelled."""
    _tell_helper(
        application,
        Kind.SESSION_CANCELLED,
        reason=reason,
        for_hosts=False,
        # Marks the event the acceptance email put into the helper's calendar as cancelled.
        ics=session_ics(application, cancelled=True) if had_place else "",
    )


def notice_session_cancelled(session: Session, *, reason: str) -> None:
    """The hosts: the session is off (its helpers were told one by one)."""
    _tell_hosts(session, Kind.SESSION_CANCELLED, object_key=f"session:{session.pk}", reason=reason)


def _moved_context(before: Session, rain_date: bool) -> dict:
    """`before` holds the old times; `rain_date` tells a move to the rain date from new times."""
    return {
        "rain_date": rain_date,
        "before_starts_at": before.starts_at,
        "before_ends_at": before.ends_at,
    }


def notice_session_moved_released(
    application: Application, *, before: Session, rain_date: bool
) -> None:
    """The session's new times overlap another place the helper holds, so this one was released."""
    _tell_helper(
        application,
        Kind.SESSION_MOVED_RELEASED,
        object_key=f"application:{application.pk}:times{application.session.times_changed}",
        ics=session_ics(application, cancelled=True),
        **_moved_context(before, rain_date),
    )


def notice_session_moved_to_helper(
    application: Application, *, before: Session, rain_date: bool
) -> None:
    """One helper still on the session after new times or the rain date; the accepted get their
    calendar event moved. One notice per change: a session may change its times more than once."""
    _tell_helper(
        application,
        Kind.SESSION_MOVED,
        object_key=f"application:{application.pk}:times{application.session.times_changed}",
        ics=session_ics(application) if application.status == Application.Status.ACCEPTED else "",
        for_hosts=False,
        **_moved_context(before, rain_date),
    )


def notice_session_moved(session: Session, *, before: Session, rain_date: bool) -> None:
    """The hosts: the session moved to its rain date."""
    _tell_hosts(
        session,
        Kind.SESSION_MOVED,
        object_key=f"session:{session.pk}:times{session.times_changed}",
        **_moved_context(before, rain_date),
    )


# --- threads and thanks ----------------------------------------------------------------------------


def notice_session_message(message: SessionMessage, *, helper_ids: Iterable[int]) -> None:
    """Everyone in the session's group thread but its author: the helpers holding a place and the
    hosts."""
    session = message.session
    _tell_each(
        (set(helper_ids) | host_ids(session)) - {message.author_id},
        kind=Kind.SESSION_MESSAGE,
        object_key=f"session_message:{message.pk}",
        municipality_id=session.program.municipality_id,
        context={
            "program_title": session.program.title,
            "message": message.body[:EXCERPT],
            "url": site_url("session_messages", session.pk),
        },
    )


def notice_application_message(message: SessionMessage, application: Application) -> None:
    """The other side of an application's private thread: the helper when a host writes, the hosts
    when the helper writes (and the other hosts either way, who share the conversation)."""
    session = application.session
    _tell_each(
        ({application.helper_id} | host_ids(session)) - {message.author_id},
        kind=Kind.APPLICATION_MESSAGE,
        object_key=f"session_message:{message.pk}",
        municipality_id=session.program.municipality_id,
        context={
            "program_title": session.program.title,
            "message": message.body[:EXCERPT],
            "url": site_url("application_messages", application.pk),
        },
    )


def notice_thank_you(thank_you: ThankYou) -> None:
    """Every helper who attended hears the nushi's thanks."""
    session = thank_you.session
    program = session.program
    for application in Application.objects.filter(
        session=session, status=Application.Status.ATTENDED
    ).order_by("pk"):
        _notify(
            recipient_id=application.helper_id,
            municipality_id=program.municipality_id,
            kind=Kind.THANK_YOU,
            object_key=f"thank_you:{thank_you.pk}",
            context={
                "program_title": program.title,
                "nushi_name": program.nushi.name,
                "message": thank_you.body[:EXCERPT],
                "url": site_url("application_detail", application.pk),
            },
        )


# --- needs and programs ----------------------------------------------------------------------------


def notice_need_submitted(need: Need) -> None:
    """The municipality's staff: a new need to look at."""
    _tell_each(
        municipality_staff_ids(need.municipality_id),
        kind=Kind.NEED_SUBMITTED,
        object_key=f"need:{need.pk}",
        municipality_id=need.municipality_id,
        context={
            "need_title": need.title,
            "nushi_name": need.nushi.name,
            # The label, lazy: it is written out in each recipient's language.
            "channel": Need.Channel(need.channel).label,
            "url": site_url("staff_need_detail", need.pk),
        },
    )


def notice_need_rejected(need: Need) -> None:
    """The nushi's members: staff could not make a program of their need, and why."""
    _tell_each(
        organization_member_ids(need.nushi_id),
        kind=Kind.NEED_REJECTED,
        object_key=f"need:{need.pk}",
        municipality_id=need.municipality_id,
        context={"need_title": need.title, "reason": need.rejection_reason},
    )


def _tell_nushi(program: Program, kind: Kind, *, object_key: str, **context) -> None:
    _tell_each(
        organization_member_ids(program.nushi_id),
        kind=kind,
        object_key=object_key,
        municipality_id=program.municipality_id,
        context={"program_title": program.title, **context},
    )


def _tell_staff(program: Program, kind: Kind, **context) -> None:
    """The municipality's staff, once per version of the draft the nushi saw."""
    _tell_each(
        municipality_staff_ids(program.municipality_id),
        kind=kind,
        object_key=f"program:{program.pk}:{program.preview_token}",
        municipality_id=program.municipality_id,
        context={
            "program_title": program.title,
            "url": site_url("staff_program_detail", program.pk),
            **context,
        },
    )


def notice_program_confirm_request(program: Program) -> None:
    """The nushi's members are asked to look at the draft (its preview link) and confirm it."""
    _tell_nushi(
        program,
        Kind.PROGRAM_CONFIRM_REQUEST,
        object_key=f"program:{program.pk}:{program.preview_token}",
        url=site_url("program_preview", program.pk, program.preview_token),
    )


def notice_program_confirmed(program: Program) -> None:
    _tell_staff(program, Kind.PROGRAM_CONFIRMED)


def notice_program_changes_requested(program: Program) -> None:
    """Staff hear what the nushi wants changed (`status_note`)."""
    _tell_staff(program, Kind.PROGRAM_CHANGES_REQUESTED, note=program.status_note)


def notice_program_rejected(program: Program) -> None:
    _tell_nushi(
        program,
        Kind.PROGRAM_REJECTED,
        object_key=f"program:{program.pk}",
        reason=program.status_note,
    )


def notice_program_published(program: Program) -> None:
    _tell_nushi(
        program,
        Kind.PROGRAM_PUBLISHED,
        object_key=f"program:{program.pk}",
        url=site_url("program_detail", program.pk),
    )


# --- the contact form --------------------------------------------------------------------------------


def notice_contact_received(
    *, municipality_id: int, key: str, sender_id: int | None, context: dict
) -> None:
    """The municipality's staff (no other municipality's): a message from the contact form, whole, in
    plain text, so that it reads in full behind an LGWAN gateway; and the sender, when signed in, a
    receipt. `key` names this one message; `context` holds what the sender typed."""
    _tell_each(
        municipality_staff_ids(municipality_id),
        kind=Kind.CONTACT_RECEIVED,
        object_key=f"contact:{key}",
        municipality_id=municipality_id,
        context=context,
    )
    if sender_id is not None:
        _notify(
            recipient_id=sender_id,
            municipality_id=municipality_id,
            kind=Kind.CONTACT_RECEIPT,
            object_key=f"contact:{key}",
            context={
                key_: context[key_]
                for key_ in ("municipality_name", "topic", "message", "contact_url")
            },
        )


# --- monthly reports -------------------------------------------------------------------------------


def notice_monthly_report_ready(
    *,
    municipality_id: int,
    report_id: int,
    year: int,
    month: int,
    version: int,
    url: str,
    attendances: int,
    unique_helpers: int,
) -> None:
    """The municipality's staff: a 月次参加レポート is ready (reports hands plain data; portal never
    imports reports). The email is a link to the signed-in page, never an attachment (LGWAN)."""
    _tell_each(
        municipality_staff_ids(municipality_id),
        kind=Kind.MONTHLY_REPORT_READY,
        object_key=f"monthly_report:{report_id}",
        municipality_id=municipality_id,
        context={
            "year": year,
            "month": month,
            "version": version,
            "attendances": attendances,
            "unique_helpers": unique_helpers,
            "url": url,
        },
    )


# --- matching: invitations and the weekly digest ----------------------------------------------


def notice_session_invitation(
    session: Session, *, helper_id: int, inviter: str, reason: str
) -> None:
    """A host's or staff's invitation to one session (matching's candidate list). Once per helper and
    session; a topic, so the helper's opt-out and the unsubscribe link apply."""
    _notify(
        recipient_id=helper_id,
        municipality_id=session.program.municipality_id,
        kind=Kind.SESSION_INVITATION,
        object_key=f"session:{session.pk}",
        context={
            **_session_context(session),
            "inviter": inviter,
            "reason": reason,
            "url": site_url("program_detail", session.program_id),
        },
    )


def notice_digest(helper_id: int, *, week: str, items: list[dict]) -> None:
    """The weekly digest of new programs for one helper: `items` are dicts with program_title,
    starts_at, reason and url. Once per helper and week (`week`, an ISO week such as 2026-W49)."""
    _notify(
        recipient_id=helper_id,
        kind=Kind.DIGEST,
        object_key=f"digest:{week}",
        context={"items": items, "url": site_url("mypage")},
    )
