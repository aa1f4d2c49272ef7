"""Staff handle residents' personal data: they must turn on two-factor authentication (TOTP) before they
can use anything else. Helpers and nushi may opt in but are never forced."""

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

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
