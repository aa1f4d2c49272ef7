"""Floor views: no templates, no ORM, raw SQL (one query per kind of data shown), a minimal HTML body
with the same data."""

from django.db import connection
from django.http import HttpResponse

HOME_PROGRAMS_SQL = """
SELECT s.program_id, s.starts_at, s.capacity - s.places_taken, p.title, p.summary, p.category,
       p.points_per_participant, p.okaeshi, m.name, d.name, COALESCE(NULLIF(p.cover_thumbnail, ''), p.cover_image)
FROM portal_session s
JOIN portal_program p ON p.id = s.program_id
JOIN accounts_municipality m ON m.id = p.municipality_id
LEFT JOIN accounts_district d ON d.id = p.district_id
WHERE p.status = 'published' AND s.status = 'scheduled' AND s.starts_at > now()
  AND s.places_taken < s.capacity
ORDER BY s.starts_at, s.id
LIMIT 18
"""

HOME_REPORTS_SQL = """
SELECT r.id, r.title, r.body, r.published_at, p.title,
       (SELECT COALESCE(NULLIF(ph.thumbnail, ''), ph.image) FROM portal_activityreportphoto ph
        WHERE ph.report_id = r.id ORDER BY ph."order", ph.id LIMIT 1)
FROM portal_activityreport r
JOIN portal_program p ON p.id = r.program_id
WHERE r.status = 'published' AND p.status IN ('published', 'closed')
ORDER BY r.published_at DESC
LIMIT 3
"""


def home(request):
    """The home page's data: six programs with places left, three reports with a photo, the towns."""
    with connection.cursor() as cursor:
        cursor.execute(HOME_PROGRAMS_SQL)
        sessions = cursor.fetchall()
        cursor.execute(HOME_REPORTS_SQL)
        reports = cursor.fetchall()
        cursor.execute(
            "SELECT prefecture, name, slug, site_name FROM accounts_municipality ORDER BY prefecture, name LIMIT 20"
        )
        towns = cursor.fetchall()
    first = {}
    for r in sessions:
        first.setdefault(r[0], r)
    cards = "".join(
        f"<li><img src=/media/{r[10]} alt=''><a href=/programs/{r[0]}/>{r[3]}</a> {r[4]} {r[5]} {r[1]} "
        f"{r[2]} {r[6]} {r[7]} {r[8]} {r[9]}</li>"
        for r in list(first.values())[:6]
    )
    items = "".join(
        f"<li><img src=/media/{r[5]} alt=''><a href=/reports/{r[0]}/>{r[1]}</a> {r[4]} {r[3]} {r[2][:60]}</li>"
        for r in reports
    )
    places = "".join(f"<li><a href=/towns/{s}/>{p}{n} {b}</a></li>" for p, n, s, b in towns)
    return HttpResponse(
        f"<!DOCTYPE html><html lang=ja><body><ul>{cards}</ul><ul>{items}</ul><ul>{places}</ul></body></html>"
    )


# --- The program list and a program page ----------------------------------------------------

# The same plan as portal.selectors.programs.program_list: sessions in date order (a prefix), each program's
# first one kept; the floor dedupes in Python exactly as the view does.
PROGRAM_LIST_SQL = """
SELECT s.id, s.program_id, s.starts_at, s.capacity - s.places_taken, p.title, p.summary, p.category,
       p.is_online, p.points_per_participant, p.okaeshi, m.name, d.name, m.points_name,
       COALESCE(NULLIF(p.cover_thumbnail, ''), p.cover_image)
FROM portal_session s
JOIN portal_program p ON p.id = s.program_id
JOIN accounts_municipality m ON m.id = p.municipality_id
LEFT JOIN accounts_district d ON d.id = p.district_id
WHERE p.status = 'published' AND s.status = 'scheduled' AND s.starts_at > now() {keyword}
ORDER BY s.starts_at, s.id
LIMIT 63
"""


def program_list(request):
    """The first page of the listing, unfiltered or with ?q= (one word, as the keyword search)."""
    q = request.GET.get("q", "").lower()
    with connection.cursor() as cursor:
        if q:
            cursor.execute(PROGRAM_LIST_SQL.format(keyword="AND p.search_text LIKE %s"), [f"%{q}%"])
        else:
            cursor.execute(PROGRAM_LIST_SQL.format(keyword=""))
        rows = cursor.fetchall()
    first = {}
    for r in rows:
        first.setdefault(r[1], r)
    items = "".join(
        f"<li><a href=/programs/{r[1]}/>{r[4]}</a> {r[5]} {r[6]} {r[10]} {r[11]} {r[2]} {r[3]} "
        f"{r[8]} {r[12]} {r[9]} {r[13]}</li>"
        for r in list(first.values())[:20]
    )
    return HttpResponse(f"<!DOCTYPE html><html lang=ja><body><ul>{items}</ul></body></html>")


PROGRAM_DETAIL_SQL = """
SELECT p.title, p.summary, p.story, p.background, p.about_nushi, p.what_to_bring, p.meeting_place,
       p.meeting_address, p.okaeshi, m.name, d.name, o.name, p.cover_image,
       s.id, s.starts_at, s.ends_at, s.capacity, s.places_taken, s.apply_deadline, s.status
FROM portal_program p
JOIN accounts_municipality m ON m.id = p.municipality_id
LEFT JOIN accounts_district d ON d.id = p.district_id
JOIN accounts_organization o ON o.id = p.nushi_id
LEFT JOIN portal_session s ON s.program_id = p.id
WHERE p.id = %s AND p.status IN ('published', 'closed')
ORDER BY s.starts_at
"""


PROGRAM_PHOTOS_SQL = """
SELECT COALESCE(NULLIF(thumbnail, ''), image), caption FROM portal_programphoto
WHERE program_id = %s ORDER BY "order", id
"""

PROGRAM_IMPRESSIONS_SQL = """
SELECT i.body, h.display_name, s.starts_at
FROM portal_impression i
JOIN portal_application a ON a.id = i.application_id
JOIN portal_session s ON s.id = a.session_id
LEFT JOIN accounts_helperprofile h ON h.user_id = a.helper_id
WHERE s.program_id = %s AND i.may_publish AND a.status = 'attended'
ORDER BY i.created_at DESC, i.id DESC
LIMIT 6
"""


def program_detail(request, pk: int):
    with connection.cursor() as cursor:
        cursor.execute(PROGRAM_DETAIL_SQL, [pk])
        rows = cursor.fetchall()
        if not rows:
            return HttpResponse(status=404)
        # The photos and the impressions the helpers allowed to be published (display names only).
        cursor.execute(PROGRAM_PHOTOS_SQL, [pk])
        photos = cursor.fetchall()
        cursor.execute(PROGRAM_IMPRESSIONS_SQL, [pk])
        impressions = cursor.fetchall()
    head = " ".join(str(v) for v in rows[0][:13])
    sessions = "".join(f"<li>{r[14]}〜{r[15]} {r[16] - r[17]}</li>" for r in rows if r[13])
    gallery = "".join(f"<li><img src=/media/{t} alt='{c}'></li>" for t, c in photos)
    voices = "".join(f"<li>{b} {n} {d}</li>" for b, n, d in impressions)
    return HttpResponse(
        f"<!DOCTYPE html><html lang=ja><body><p>{head}</p><ul>{sessions}</ul><ul>{gallery}</ul>"
        f"<ul>{voices}</ul></body></html>"
    )
