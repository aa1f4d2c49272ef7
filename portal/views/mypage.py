from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from accounts.models import HelperProfile, Skill
from accounts.permissions import AuthenticatedHttpRequest
from portal.selectors.applications import mypage_context
from portal.selectors.needs import nushi_context


@login_required
def mypage(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in person's hub: their helper profile, and (as other issues add them) their
    applications, their needs and programs as nushi, and links for staff."""
    profile = HelperProfile.objects.filter(user=request.user).first()
    skills = (
        [Skill(code).label for code in profile.skills if code in Skill.values] if profile else []
    )
    context = {"profile": profile, "profile_skills": skills}
    context.update(nushi_context(request.user))  # needs and drafts to confirm
    context.update(mypage_context(request.user))  # applications, rosters, check-in
    return render(request, "portal/mypage.html", context)
