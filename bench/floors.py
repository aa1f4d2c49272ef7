"""Floor views: no templates, no ORM, one raw query, a minimal HTML body with the same data."""

from django.db import connection
from django.http import HttpResponse


def home(request):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT prefecture, name, site_name FROM accounts_municipality ORDER BY prefecture, name LIMIT 20"
        )
        rows = cursor.fetchall()
    items = "".join(f"<li>{p}{n} {s}</li>" for p, n, s in rows)
    return HttpResponse(f"<!DOCTYPE html><html lang=ja><body><ul>{items}</ul></body></html>")


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
       p.meeting_address, p.okaeshi, m.name, d.name, o.name,
       s.id, s.starts_at, s.ends_at, s.capacity, s.places_taken, s.apply_deadline, s.status
FROM portal_program p
JOIN accounts_municipality m ON m.id = p.municipality_id
LEFT JOIN accounts_district d ON d.id = p.district_id
JOIN accounts_organization o ON o.id = p.nushi_id
LEFT JOIN portal_session s ON s.program_id = p.id
WHERE p.id = %s AND p.status IN ('published', 'closed')
ORDER BY s.starts_at
"""


def program_detail(request, pk: int):
    with connection.cursor() as cursor:
        cursor.execute(PROGRAM_DETAIL_SQL, [pk])
        rows = cursor.fetchall()
    if not rows:
        return HttpResponse(status=404)
    head = " ".join(str(v) for v in rows[0][:12])
    sessions = "".join(f"<li>{r[13]}〜{r[14]} {r[15] - r[16]}</li>" for r in rows if r[12])
    return HttpResponse(
        f"<!DOCTYPE html><html lang=ja><body><p>{head}</p><ul>{sessions}</ul></body></html>"
    )
