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
