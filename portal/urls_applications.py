"""Applying, rosters, check-in, attendance, the thread and the thank-you loop."""

from django.urls import path

from portal.views import applications, session_host

urlpatterns = [
    path(
        "sessions/<int:session_pk>/apply/", applications.application_apply, name="application_apply"
    ),
    path("applications/<int:pk>/", applications.application_detail, name="application_detail"),
    path(
        "applications/<int:pk>/cancel/", applications.application_cancel, name="application_cancel"
    ),
    path("applications/<int:pk>/qr.svg", applications.application_qr, name="application_qr"),
    path(
        "applications/<int:pk>/impression/",
        applications.application_impression,
        name="application_impression",
    ),
    path(
        "applications/<int:pk>/certificate.pdf",
        applications.application_certificate,
        name="application_certificate",
    ),
    path(
        "applications/<int:pk>/decide/", session_host.application_decide, name="application_decide"
    ),
    path(
        "applications/<int:pk>/messages/",
        session_host.application_messages,
        name="application_messages",
    ),
    path("sessions/<int:pk>/roster/", session_host.session_roster, name="session_roster"),
    path("sessions/<int:pk>/checkin/", session_host.session_checkin, name="session_checkin"),
    path(
        "sessions/<int:pk>/attendance/", session_host.session_attendance, name="session_attendance"
    ),
    path("sessions/<int:pk>/close/", session_host.session_close, name="session_close"),
    path("sessions/<int:pk>/cancel/", session_host.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/rain-date/", session_host.session_rain_date, name="session_rain_date"),
    path("sessions/<int:pk>/messages/", session_host.session_messages, name="session_messages"),
    path("sessions/<int:pk>/thanks/", session_host.session_thanks, name="session_thanks"),
    path(
        "sessions/<int:pk>/report-draft/",
        session_host.session_report_draft,
        name="session_report_draft",
    ),
]
