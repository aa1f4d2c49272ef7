"""The pages staff and nushi land on after signing in (accounts.adapter sends them here): what needs
them today, each item a link to the page where they act on it."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from accounts.permissions import AuthenticatedHttpRequest, staff_required
from portal.permissions import is_nushi
from portal.selectors.dashboards import nushi_dashboard, staff_dashboard


@staff_required
def staff_dashboard_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff's day: scoped to their municipalities (portal.selectors.dashboards.staff_dashboard)."""
    return render(request, "portal/dashboards/staff.html", {"board": staff_dashboard(request.user)})


@login_required
def nushi_dashboard_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The nushi's programs: only for someone who acts for an organisation (403 otherwise)."""
    if not is_nushi(request.user):
        raise PermissionDenied
    return render(request, "portal/dashboards/nushi.html", {"board": nushi_dashboard(request.user)})
