"""Activity reports (活動レポート): public pages, the draft from a session, staff's editing."""

from django.urls import path

from portal.views import programs, session_host, staff

urlpatterns = [
    path("reports/", programs.report_list, name="report_list"),
    path("reports/<int:pk>/", programs.report_detail, name="report_detail"),
    path(
        "sessions/<int:pk>/report-draft/",
        session_host.session_report_draft,
        name="session_report_draft",
    ),
    path(
        "staff/programs/<int:pk>/reports/new/",
        staff.staff_report_create,
        name="staff_report_create",
    ),
    path("staff/reports/<int:pk>/", staff.staff_report_detail, name="staff_report_detail"),
    path(
        "staff/reports/<int:pk>/publish/", staff.staff_report_publish, name="staff_report_publish"
    ),
]
