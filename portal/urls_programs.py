"""URLs of needs, programs, the public listing, staff co-design, activity reports."""

from django.urls import path

from portal.views import needs, programs, staff

urlpatterns = [
    # Public
    path("programs/", programs.program_list, name="program_list"),
    path("programs/calendar/", programs.program_calendar, name="program_calendar"),
    path("programs/<int:pk>/", programs.program_detail, name="program_detail"),
    path(
        "programs/<int:pk>/sessions/<int:session_pk>.ics", programs.session_ics, name="session_ics"
    ),
    path("reports/", programs.report_list, name="report_list"),
    path("reports/<int:pk>/", programs.report_detail, name="report_detail"),
    # Nushi
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
        "programs/<int:pk>/preview/<uuid:token>/changes/",
        needs.program_request_changes,
        name="program_request_changes",
    ),
    # Staff
    path("staff/", staff.staff_home, name="staff_home"),
    path("staff/needs/new/", staff.staff_need_create, name="staff_need_create"),
    path("staff/needs/<int:pk>/", staff.staff_need_detail, name="staff_need_detail"),
    path("staff/needs/<int:pk>/reject/", staff.staff_need_reject, name="staff_need_reject"),
    path(
        "staff/needs/<int:need_pk>/program/",
        staff.staff_program_create,
        name="staff_program_create",
    ),
    path("staff/programs/<int:pk>/", staff.staff_program_detail, name="staff_program_detail"),
    path("staff/programs/<int:pk>/edit/", staff.staff_program_edit, name="staff_program_edit"),
    path(
        "staff/programs/<int:pk>/do/<slug:action>/",
        staff.staff_program_action,
        name="staff_program_action",
    ),
    path(
        "staff/programs/<int:pk>/sessions/new/",
        staff.staff_session_create,
        name="staff_session_create",
    ),
    path("staff/sessions/<int:pk>/edit/", staff.staff_session_edit, name="staff_session_edit"),
    path("staff/programs/<int:pk>/photos/", staff.staff_photo_add, name="staff_photo_add"),
    path("staff/photos/<int:pk>/delete/", staff.staff_photo_delete, name="staff_photo_delete"),
    path(
        "staff/programs/<int:pk>/reports/new/",
        staff.staff_report_create,
        name="staff_report_create",
    ),
    path("staff/reports/<int:pk>/", staff.staff_report_detail, name="staff_report_detail"),
    path(
        "staff/reports/<int:pk>/publish/", staff.staff_report_publish, name="staff_report_publish"
    ),
    path("staff/notifications/failed/", staff.staff_outbox_failures, name="staff_outbox_failures"),
    path(
        "staff/notifications/<int:pk>/retry/", staff.staff_outbox_retry, name="staff_outbox_retry"
    ),
]
