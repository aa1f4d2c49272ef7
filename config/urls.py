from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from accounts import views as accounts_views
from portal.sitemaps import SITEMAPS

# The admin's own password form would skip allauth's second factor, rate limits and Axes: staff sign in
# through allauth (with TOTP) and are then let into the admin. (Wrapping the bound method is allauth's
# documented way; mypy refuses any assignment over a method.)
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "お互いさま 事務局"
admin.site.site_title = "お互いさま 事務局"

urlpatterns = [
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("", include("portal.urls")),
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("notifications.urls")),
    path("", include("reports.urls")),
    path("", include("points.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
