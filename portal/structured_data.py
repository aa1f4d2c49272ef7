"""schema.org Events for a program page (JSON-LD): search engines can show each upcoming session with
its date, place and free places, which is how many people find local events to join."""

import json
from typing import Any

from django.utils import timezone

from portal.models import Program, Session

# Escapes that keep the JSON inert inside <script> (as django.utils.html.json_script does).
_SCRIPT_SAFE = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def program_events(
    program: Program, sessions, *, url: str, image: str = "", now=None
) -> list[dict]:
    """One Event per session still to come. `sessions` is the list the page already read; `url` and
    `image` are absolute."""
    now = now or timezone.now()
    location: dict[str, Any]
    if program.is_online:
        location = {"@type": "VirtualLocation", "url": url}
        mode = "https://schema.org/OnlineEventAttendanceMode"
    else:
        location = {
            "@type": "Place",
            "name": program.meeting_place or str(program.municipality),
            # The area only: the street address is private (can_see_nushi_contact), often a home.
            "address": {
                "@type": "PostalAddress",
                "addressRegion": program.municipality.prefecture,
                "addressLocality": " ".join(
                    str(p) for p in (program.municipality.name, program.district) if p
                ),
                "addressCountry": "JP",
            },
        }
        if program.latitude is not None and program.longitude is not None:
            location["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": float(program.latitude),
                "longitude": float(program.longitude),
            }
        mode = "https://schema.org/OfflineEventAttendanceMode"
    events = []
    for session in sessions:
        if session.starts_at <= now:
            continue
        if session.status == Session.Status.CANCELLED:
            status = "https://schema.org/EventCancelled"
        elif session.moved_to_rain_date:
            status = "https://schema.org/EventRescheduled"
        else:
            status = "https://schema.org/EventScheduled"
        open_ = session.status == Session.Status.SCHEDULED and session.places_left > 0
        events.append(
            {
                "@context": "https://schema.org",
                "@type": "Event",
                "name": program.title,
                "description": program.summary or program.story[:300],
                "startDate": timezone.localtime(session.starts_at).isoformat(),
                "endDate": timezone.localtime(session.ends_at).isoformat(),
                "eventStatus": status,
                "eventAttendanceMode": mode,
                "location": location,
                "organizer": {
                    "@type": "Organization",
                    "name": program.municipality.site_name or str(program.municipality),
                },
                "isAccessibleForFree": True,
                "offers": {
                    "@type": "Offer",
                    "price": 0,
                    "priceCurrency": "JPY",
                    "url": url,
                    "availability": "https://schema.org/InStock"
                    if open_
                    else "https://schema.org/SoldOut",
                    "validThrough": timezone.localtime(session.apply_deadline).isoformat(),
                },
                **({"image": [image]} if image else {}),
            }
        )
    return events


def json_ld(data) -> str:
    return json.dumps(data, ensure_ascii=False).translate(_SCRIPT_SAFE)
