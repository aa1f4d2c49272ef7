"""A session's time for people: iCalendar files (the public カレンダーに追加 and the event an accepted
helper gets by email; one builder, so both describe a session the same way). Messages format the
time in their templates."""

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from notifications.services import site_url
from portal.models import Application, Session


def session_calendar(session: Session, *, uid: str, url: str, cancelled: bool = False) -> bytes:
    """One session as an event. Give the same `uid` for the same event every time: the SEQUENCE grows
    with each change (new times, the rain date, cancelled), so a calendar app updates the event it
    already has instead of adding a second one."""
    program = session.program
    cancelled = cancelled or session.status == Session.Status.CANCELLED
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("summary", program.title)
    event.add("sequence", session.times_changed + int(cancelled))
    if cancelled:
        event.add("status", "CANCELLED")
    # The public meeting place only: the exact address is private (can_see_nushi_contact), and this
    # file is public (カレンダーに追加) or kept in a calendar long after the helper's access ends.
    location = _("オンライン") if program.is_online else program.meeting_place
    if location:
        event.add("location", location)
    event.add("description", f"{program.summary}\n{url}".strip())
    event.add("url", url)
    calendar = Calendar()
    calendar.add("prodid", "-//Otagaisama//otagaisama//JA")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return calendar.to_ical()


def session_ics(application: Application, *, cancelled: bool = False) -> str:
    """The event for an accepted helper's calendar, attached to their notices; its UID is stable per
    application."""
    return session_calendar(
        application.session,
        uid=f"application-{application.pk}@otagaisama",
        url=site_url("application_detail", application.pk),
        cancelled=cancelled,
    ).decode()
