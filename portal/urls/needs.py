"""Needs (困りごと): a nushi's intake and the program preview they confirm; staff's queue."""

from django.urls import path

from portal.views import needs, staff

urlpatterns = [
    path("needs/new/", needs.need_create, name="need_create"),
    path("postal/lookup/", needs.postal_lookup, name="postal_lookup"),
    path("needs/<int:pk>/", needs.need_detail, name="need_detail"),
    path("needs/<int:pk>/edit/", needs.need_edit, name="need_edit"),
    path("needs/<int:pk>/withdraw/", needs.need_withdraw, name="need_withdraw"),
    path("programs/<int:pk>/preview/<uuid:token>/", needs.program_preview, name="program_preview"),
    path(
        "programs/<int:pk>/preview/<uuid:token>/confirm/",
        needs.program_confirm,
        name="program_confirm",
    ),
    path(
        "programs/<int:pk>/preview/<uuid:token>/confirm-for-nushi/",
        needs.program_confirm_for_nushi,
        name="program_confirm_for_nushi",
    ),
    path(
        "programs/<int:pk>/preview/<uuid:token>/changes/",
        needs.program_request_changes,
        name="program_request_changes",
    ),
    path("staff/needs/new/", staff.staff_need_create, name="staff_need_create"),
    path("staff/needs/<int:pk>/", staff.staff_need_detail, name="staff_need_detail"),
    path("staff/needs/<int:pk>/reject/", staff.staff_need_reject, name="staff_need_reject"),
]
