from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from accounts.models import Municipality
from portal.selectors import profiles

# The home page's programs, reports and municipalities are cached together for this long (a place
# taken shows within it; the program page itself is live).
HOME_CACHE_SECONDS = 30
HOME_PROGRAMS = 6
HOME_REPORTS = 3


def home(request: HttpRequest) -> HttpResponse:
    """No query while its sections are cached; on a miss: upcoming programs (1), reports and their
    photos (2), municipalities (1). The sections are callables the cached fragment calls."""
    return render(
        request,
        "portal/home.html",
        {
            "upcoming": lambda: profiles.upcoming_cards(limit=HOME_PROGRAMS),
            "latest_reports": lambda: profiles.latest_reports(limit=HOME_REPORTS),
            "municipalities": lambda: list(
                Municipality.objects.only("name", "prefecture", "slug", "site_name").order_by(
                    "prefecture", "name"
                )[:20]
            ),
            "home_seconds": HOME_CACHE_SECONDS,
        },
    )


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and uptime checks: 200 when the database and the cache answer, else 503."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        from django.core.cache import cache

        if hasattr(cache, "check"):
            # The fail-open Redis cache (config/cache.py) hides an outage from the pages, not from here.
            cache.check()
            checks["cache"] = "ok"
        else:
            cache.set("healthz", "ok", 5)
            checks["cache"] = "ok" if cache.get("healthz") == "ok" else "error: read back failed"
    except Exception as exc:
        checks["cache"] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


# Private areas are closed to crawlers (they need a sign-in anyway); the rest is listed in the sitemap.
ROBOTS_DISALLOW = ("/admin/", "/staff/", "/accounts/", "/mypage/", "/needs/", "/applications/",
                   "/sessions/", "/i18n/")  # fmt: skip


def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW)]
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
