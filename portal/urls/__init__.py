"""The marketplace's URLs, one module per entity; config/urls.py mounts them at the root."""

from django.urls import include, path

from portal.views import dashboards, mypage, public

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", public.healthz, name="healthz"),
    path("robots.txt", public.robots_txt, name="robots_txt"),
    path("mypage/", mypage.mypage, name="mypage"),
    path("staff/today/", dashboards.staff_dashboard_page, name="staff_dashboard"),
    path("host/", dashboards.nushi_dashboard_page, name="nushi_dashboard"),
    path("", include("portal.urls.needs")),
    path("", include("portal.urls.programs")),
    path("", include("portal.urls.sessions")),
    path("", include("portal.urls.applications")),
    path("", include("portal.urls.reports")),
    path("", include("portal.urls.pages")),
    path("", include("portal.urls.staff")),
    path("", include("portal.urls.profiles")),
    path("", include("portal.urls.matching")),
]
