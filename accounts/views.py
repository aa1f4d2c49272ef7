from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import HelperProfileForm
from accounts.models import HelperProfile, User
from accounts.permissions import AuthenticatedHttpRequest
from accounts.services import helper_profile_update


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
