"""Signed-in people must have accepted the terms and privacy policy in force (ConsentRequiredMiddleware).

Staff handle residents' personal data: they must turn on two-factor authentication (TOTP) before they
can use anything else. Helpers and nushi may opt in but are never forced."""

from urllib.parse import urlencode

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import pages
from accounts.permissions import is_staff_member

# Paths a staff member without MFA may still open: setting up MFA itself, logging out, static assets.
ALLOWED_PREFIXES = ("/accounts/", "/static/", "/media/", "/healthz", "/i18n/")


class StaffMFARequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            getattr(settings, "STAFF_MFA_REQUIRED", True)
            and user is not None
            and user.is_authenticated
            and not request.path.startswith(ALLOWED_PREFIXES)
            and (user.is_superuser or is_staff_member(user))
            and not is_mfa_enabled(user)
        ):
            messages.warning(
                request, _("職員のアカウントは二段階認証が必要です。認証アプリを設定してください。")
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


# Paths a signed-in person who has not accepted the terms and privacy policy in force may still open:
# the consent page and the rest of the account pages (logging out, two-factor set-up), the public
# service pages themselves (/pages/: the texts to accept, the contact form), static assets, the admin's
# sign-in.
CONSENT_FREE_PREFIXES = (
    *ALLOWED_PREFIXES,
    "/pages/",
    "/admin/login/",
    "/robots.txt",
    "/sitemap.xml",
)
CONSENT_SESSION_KEY = "consented_versions"


class ConsentRequiredMiddleware:
    """A signed-in person sees nothing else until they have accepted the versions of the terms and the
    privacy policy in force (accounts.pages.required_versions). A session that passed the check
    remembers the versions, so a request asks the database only after a version changed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(CONSENT_FREE_PREFIXES)
        ):
            required = pages.required_versions()
            if request.session.get(CONSENT_SESSION_KEY) != required:
                if pages.missing_consents(user, required):
                    url = reverse("consent")
                    return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
                request.session[CONSENT_SESSION_KEY] = required
        return self.get_response(request)
