from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_http_methods, require_POST

from accounts import pages
from accounts.forms import HelperProfileForm
from accounts.middleware import CONSENT_SESSION_KEY
from accounts.models import Consent, HelperProfile, User
from accounts.permissions import AuthenticatedHttpRequest
from accounts.services import consent_record, helper_profile_update


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = HelperProfile.objects.filter(user=request.user).first() or HelperProfile(
        user=request.user, display_name=request.user.get_short_name()
    )
    form = HelperProfileForm(request.POST or None, request.FILES or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        helper_profile_update(profile=profile, data=form.cleaned_data)
        messages.success(request, _("プロフィールを保存しました。"))
        return redirect("mypage")
    return render(request, "accounts/profile_edit.html", {"form": form, "profile": profile})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (the footer form); for someone signed in it also becomes the language
    of the emails they receive."""
    response = i18n.set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def consent(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The terms or the privacy policy changed since this person last accepted them (or they never
    did, as after a LINE signup): accept to go on, or decline and be signed out."""
    required = pages.required_versions()
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    decision = request.POST.get("decision")
    if decision == "accept":
        consent_record(user=request.user, versions=required)
        request.session[CONSENT_SESSION_KEY] = required
        messages.success(request, _("利用規約とプライバシーポリシーに同意しました。"))
        return redirect(next_url or "mypage")
    if decision == "decline":
        logout(request)
        messages.info(
            request,
            _(
                "同意いただけなかったため、ログアウトしました。公開されているページはこのままご覧いただけます。"
                "同意いただける場合は、もう一度ログインしてください。"
            ),
        )
        return redirect("home")
    missing = pages.missing_consents(request.user, required)
    documents = [
        {"document": doc, "label": Consent.Document(doc).label, "url": f"page_{doc}"}
        for doc in missing or required
    ]
    return render(
        request,
        "accounts/consent.html",
        {
            "documents": documents,
            "next": next_url,
            "first_time": not request.user.consents.exists(),
        },
        status=400 if request.method == "POST" else 200,  # neither button: asked again
    )
